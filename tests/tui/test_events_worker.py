"""The SES events worker in the app: started when the runtime is ready (the queue URL
is set), it applies what arrives (here: the mailbox simulator's events), shows its
progress and the rates warning in the header, posts LogsChanged, and stops on exit.
And the Suppressions screen: list, add, remove (audited)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from textual.widgets import DataTable, Input

import tui.events_worker as events_worker
from core.events.simulator import register
from core.models import EmailLog, utcnow
from core.runtime import Runtime
from core.vocabulary import EmailStatus
from tests.core.events import bodies as b
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.messages import LogsChanged, RuntimeReady
from tui.modals.confirm import ConfirmAction
from tui.screens.suppressions import SuppressionsScreen

SIZE = (160, 48)


@pytest.fixture(autouse=True)
def _short_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_worker, "LONG_POLL_SECONDS", 1)


async def test_worker_applies_events_and_updates_the_header(runtime: Runtime) -> None:
    register(runtime)
    store = runtime.store
    # enough history for a bounce rate near SES's threshold once the bounce lands
    for _ in range(30):
        store.emaillogs.insert_one(
            b.make_log(
                b.ses_message_id(),
                ["x@client.example"],
                status=EmailStatus.DELIVERED,
                created=utcnow() - timedelta(days=1),
            )
        )
    log = EmailLog.model_validate(
        b.make_log(b.ses_message_id(), ["someone@client.example"], created=utcnow())
    )
    store.emaillogs.insert_one(log.to_mongo())
    bounce_log = EmailLog.model_validate(
        b.make_log(b.ses_message_id(), ["bounce@simulator.amazonses.com"], created=utcnow())
    )
    store.emaillogs.insert_one(bounce_log.to_mongo())

    app = DepllcApp(runtime.settings, runtime=runtime)
    seen: list[list[str]] = []
    original = app.post_message

    def spy(message: Any) -> bool:
        if isinstance(message, LogsChanged):
            seen.append(message.message_ids)
        return original(message)

    app.post_message = spy  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(RuntimeReady(runtime))
        await until(pilot, lambda: app.events_worker is not None)
        worker = app.events_worker
        assert worker is not None and worker.running
        runtime.notify_sent(bounce_log)  # the simulator publishes Send + Bounce
        await until(
            pilot,
            lambda: (
                store.emaillogs.find_one({"messageId": bounce_log.messageId})["status"] == "bounced"
            ),
        )
        await until(pilot, lambda: "2 applied" in app.header.status)
        assert app.header.status.startswith("events: last poll ")
        assert app.header.status.endswith("2 applied · 0 set aside")
        assert [bounce_log.messageId] in seen
        assert store.suppressions.find_one({"email": "bounce@simulator.amazonses.com"})
        # simulator mail does not count (as at SES): no warning yet
        assert app.header.warning == ""

        # a real bounce of a real address: 1 of 31 sent (simulator mail left out) = 3.2%
        runtime.aws.sns.publish(
            TopicArn=runtime.aws.sns.create_topic(Name="depllc-ses-events")["TopicArn"],
            Message=json.dumps(b.bounce(log.messageId, log.to, log.to, utcnow())),
        )
        await until(pilot, lambda: "bounces" in app.header.warning)
        assert app.header.warning == "SES: bounces 3.2% near 5% (7 d)"
    # the app closed: the worker was told to stop and its thread ends after its poll
    assert worker.stop_event.is_set()
    worker.thread.join(timeout=5)
    assert not worker.thread.is_alive()


async def test_no_queue_no_worker(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(update={"ses_events_queue_url": None})
    runtime.settings = settings
    app = DepllcApp(settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(RuntimeReady(runtime))
        await pilot.pause(0.2)
        assert app.runtime is runtime
        assert app.events_worker is None
        assert "events:" not in app.header.status


async def test_suppressions_screen_lists_adds_and_removes(runtime: Runtime) -> None:
    from core import suppressions
    from core.vocabulary import SuppressionReason

    suppressions.add(
        runtime.store,
        "hard@client.example",
        SuppressionReason.BOUNCE,
        by="ses-events",
        message_id="0100-abc",
        diagnostic="smtp; 550 5.1.1 user unknown",
    )
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await pilot.pause()
        assert isinstance(app.screen, SuppressionsScreen)
        screen = app.screen
        table = screen.query_one("#sup-table", DataTable)
        await until(pilot, lambda: table.row_count == 1)
        row = [str(cell) for cell in table.get_row("hard@client.example")]
        assert row[1] == "bounce" and row[4] == "ses-events"
        # why (in plain words; w shows the server's own), then which mail
        assert row[2] == "The address does not exist" and row[5] == "0100-abc"
        await pilot.press("w")
        raw = [str(cell) for cell in table.get_row("hard@client.example")]
        assert raw[2] == "smtp; 550 5.1.1 user unknown"

        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"nope")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#sup-error").render().plain.startswith("Type a full")
        app.screen.query_one("#sup-email", Input).value = "Client@Example.com"
        app.screen.query_one("#sup-note", Input).value = "asked by phone"
        await pilot.press("enter")
        await until(pilot, lambda: table.row_count == 2)
        entry = runtime.store.suppressions.find_one({"email": "client@example.com"})
        assert entry is not None and entry["reason"] == "manual" and entry["by"] == "tester"

        table.move_cursor(row=[e.email for e in screen.entries].index("hard@client.example"))
        await pilot.press("u")  # lift: the confirmation names the address and its reason
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        assert "Reason: bounce" in app.screen.plain
        await pilot.press("y")
        await until(pilot, lambda: table.row_count == 1)
        assert runtime.store.suppressions.find_one({"email": "hard@client.example"}) is None
        actions = {(a["action"], a["target"]) for a in runtime.store.auditlog.find()}
        assert ("suppress", "client@example.com") in actions
        assert ("unsuppress", "hard@client.example") in actions


async def test_suppressions_in_the_palette(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Suppressions")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SuppressionsScreen))


async def test_a_queue_that_cannot_be_polled_is_reported(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={"ses_events_queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/gone"}
    )
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(RuntimeReady(runtime))
        await until(pilot, lambda: "cannot poll" in app.header.status)
        assert app.header.status.startswith("events: cannot poll, retrying · last poll never")
        await until(pilot, lambda: bool(app._notifications))
        text = next(iter(app._notifications)).message
        assert "NonExistentQueue" in text or "does not exist" in text
        assert "keeps retrying" in text
