"""Pilot: new logs appear on the Logs screen without ctrl+l. At the top of the list
they go on top at once and the cursor stays on its log; further down the summary
counts them until the reader goes back to the top; logs the filters leave out never
show. End to end: a mail to the bounce simulator shows, then turns bounced."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from textual.widgets import DataTable, Select, Static

import tui.events_worker as events_worker
from core.events.simulator import register
from core.models import EmailLog, utcnow
from core.runtime import Runtime
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.messages import LogsChanged, RuntimeReady
from tui.screens.logs import PAGE_SIZE, LogsScreen

SIZE = (160, 48)


def new_log(subject: str, minutes_ago: float = 0, **fields: Any) -> dict[str, Any]:
    doc = {
        "messageId": f"m-{subject}",
        "to": ["ann@acme.test"],
        "from": "noreply@depllc.example",
        "subject": subject,
        "category": "notification",
        "status": "sent",
        "size": 100,
        "createdAt": utcnow() - timedelta(minutes=minutes_ago),
    }
    doc.update(fields)
    return EmailLog.model_validate(doc).to_mongo()


def first_subjects(screen: LogsScreen, n: int) -> list[str]:
    return [str(d["subject"]) for d in list(screen._docs.values())[:n]]


def summary(screen: LogsScreen) -> str:
    return str(screen.query_one("#logs-summary", Static).render())


async def open_logs(app: DepllcApp, pilot: Any) -> LogsScreen:
    screen = app.screen
    assert isinstance(screen, LogsScreen)
    await until(pilot, lambda: screen.renders >= 1)
    return screen


async def test_at_the_top_new_logs_go_on_top_and_the_cursor_stays(runtime: Runtime) -> None:
    runtime.store.emaillogs.insert_many([new_log(f"old {i}", minutes_ago=10 + i) for i in range(5)])
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(app, pilot)
        assert screen._generation == 1  # one query when the screen opens
        table = screen.query_one("#logs-table", DataTable)
        table.move_cursor(row=1)
        reading = screen.selected_key()
        renders = screen.renders
        runtime.store.emaillogs.insert_many([new_log("new a", 1), new_log("new b", 2)])
        app.post_message(LogsChanged(["m-new a", "m-new b"]))
        await until(pilot, lambda: screen.live_added == 2)
        assert first_subjects(screen, 3) == ["new a", "new b", "old 0"]
        assert screen.selected_key() == reading and table.cursor_row == 3
        assert screen.renders == renders  # put on top, not a reload
        await until(pilot, lambda: summary(screen).startswith("7 of ~7 logs"))  # recounted
        # an event for a log already shown only updates its row
        runtime.store.emaillogs.update_one(
            {"messageId": "m-new a"}, {"$set": {"status": "bounced"}}
        )
        app.post_message(LogsChanged(["m-new a"]))
        first = next(iter(screen._docs))
        await until(pilot, lambda: str(table.get_cell(first, "status")) == "bounced")
        assert screen.live_added == 2 and table.row_count == 7


async def test_a_new_log_the_filters_leave_out_is_not_shown(runtime: Runtime) -> None:
    runtime.store.emaillogs.insert_many(
        [new_log(f"bounced {i}", 5 + i, status="bounced") for i in range(3)]
    )
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(app, pilot)
        renders = screen.renders
        screen.query_one("#logs-status", Select).value = "bounced"
        await until(pilot, lambda: screen.renders > renders)
        runtime.store.emaillogs.insert_many(
            [new_log("delivered now", 0, status="delivered"), new_log("bounced now", 1)]
        )
        app.post_message(LogsChanged(["m-delivered now"]))
        await pilot.pause(0.8)
        assert screen.live_added == 0 and screen.new_above == 0
        assert first_subjects(screen, 4) == ["bounced 0", "bounced 1", "bounced 2"]
        runtime.store.emaillogs.update_one(
            {"messageId": "m-bounced now"}, {"$set": {"status": "bounced"}}
        )
        app.post_message(LogsChanged(["m-bounced now"]))
        await until(pilot, lambda: screen.live_added == 1)
        assert first_subjects(screen, 2) == ["bounced now", "bounced 0"]


async def test_down_the_list_new_logs_wait_until_the_top(runtime: Runtime) -> None:
    runtime.store.emaillogs.insert_many(
        [new_log(f"old {i:03d}", minutes_ago=10 + i) for i in range(2 * PAGE_SIZE)]
    )
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_logs(app, pilot)
        table = screen.query_one("#logs-table", DataTable)
        table.focus()
        await pilot.press("ctrl+end")
        await until(pilot, lambda: table.row_count == 2 * PAGE_SIZE)
        await pilot.press("ctrl+end", "up")
        await until(pilot, lambda: table.scroll_y > 0 and table.cursor_row == 2 * PAGE_SIZE - 2)
        reading, row, scroll = screen.selected_key(), table.cursor_row, table.scroll_y
        top = next(iter(screen._docs))
        runtime.store.emaillogs.insert_one(new_log("arrived", 0))
        app.post_message(LogsChanged(["m-arrived"]))
        await until(pilot, lambda: screen.new_above == 1)
        assert "1 new above: ctrl+home shows them" in summary(screen)
        assert first_subjects(screen, 1) == ["old 000"]  # the table did not move
        assert (screen.selected_key(), table.cursor_row, table.scroll_y) == (reading, row, scroll)
        await pilot.press("ctrl+home")
        await until(pilot, lambda: screen.live_added == 1)
        assert first_subjects(screen, 2) == ["arrived", "old 000"]
        assert screen.new_above == 0 and "new above" not in summary(screen)
        assert screen.selected_key() == top and table.cursor_row == 1  # on the same log


@pytest.fixture
def short_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_worker, "LONG_POLL_SECONDS", 1)


@pytest.mark.usefixtures("short_polls")
async def test_a_sent_mail_and_its_bounce_show_without_a_reload(runtime: Runtime) -> None:
    from core.mail.send import send
    from core.validation import SendEmailRequest

    register(runtime)  # the mailbox simulator answers sends with SES events
    runtime.store.emaillogs.insert_one(new_log("earlier", 30))
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(RuntimeReady(runtime))
        await until(pilot, lambda: app.events_worker is not None)
        screen = await open_logs(app, pilot)
        renders = screen.renders
        request = SendEmailRequest(
            to=["bounce@simulator.amazonses.com"],
            subject="Live bounce",
            textContent="hello",
            category="notification",
        )
        await asyncio.to_thread(send, runtime, request)
        await until(pilot, lambda: first_subjects(screen, 1) == ["Live bounce"])
        key = next(iter(screen._docs))
        await until(pilot, lambda: screen._docs[key]["status"] == "bounced")
        table = screen.query_one("#logs-table", DataTable)
        assert str(table.get_cell(key, "status")) == "bounced"
        assert first_subjects(screen, 2) == ["Live bounce", "earlier"]
        assert screen.renders == renders  # never reloaded
