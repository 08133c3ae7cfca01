"""Pilot: the logs screen over the sandbox's seed data (and hand-made logs)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Select, Static

from core.logs import saved
from core.models import EmailLog, utcnow
from core.runtime import Runtime
from core.sandbox_seed import seed_all
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.messages import LogsChanged
from tui.modals.confirm import ConfirmAction
from tui.modals.logs_dialogs import LogsPick, LogsPrompt
from tui.modals.resend import ResendDialog
from tui.screens.log_detail import LogDetailScreen
from tui.screens.logs import PAGE_SIZE, LogsScreen

SIZE = (160, 48)


@pytest.fixture
def seeded(runtime: Runtime) -> Runtime:
    seed_all(runtime.store, runtime.aws, runtime.settings)
    return runtime


def logs_screen(app: DepllcApp) -> LogsScreen:
    screen = app.screen
    assert isinstance(screen, LogsScreen)
    return screen


def table_of(screen: LogsScreen) -> DataTable[Any]:
    return screen.query_one("#logs-table", DataTable)


def statuses(screen: LogsScreen) -> set[str]:
    return {str(d["status"]) for d in screen._docs.values()}


async def test_filter_to_bounced_open_one_and_see_its_diagnostic(seeded: Runtime) -> None:
    app = DepllcApp(seeded.settings, runtime=seeded)
    async with app.run_test(size=SIZE) as pilot:
        screen = logs_screen(app)
        await until(pilot, lambda: screen.renders >= 1)
        assert table_of(screen).row_count == PAGE_SIZE  # first page of the 520 seeded
        before = screen.renders
        screen.query_one("#logs-status", Select).value = "bounced"
        await until(pilot, lambda: screen.renders > before)
        assert statuses(screen) == {"bounced"}
        expected = seeded.store.emaillogs.count_documents({"status": "bounced"})
        assert 0 < table_of(screen).row_count == min(expected, PAGE_SIZE)
        summary = str(screen.query_one("#logs-summary", Static).render())
        assert "status=bounced" in summary
        table_of(screen).focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))
        detail_screen = app.screen
        assert isinstance(detail_screen, LogDetailScreen)
        await until(pilot, lambda: detail_screen.detail is not None)
        detail = detail_screen.detail
        assert detail is not None
        bounce = next(t for t in detail.timeline if t.type == "bounce")
        diagnostic = next(v for k, v in bounce.details.items() if k.startswith("diagnostic"))
        shown = str(detail_screen.query_one("#detail-timeline", Static).render())
        assert diagnostic in shown
        assert bounce.details["bounce type"] in shown
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))


async def test_save_a_search_and_recall_it(seeded: Runtime) -> None:
    app = DepllcApp(seeded.settings, runtime=seeded)
    async with app.run_test(size=SIZE) as pilot:
        screen = logs_screen(app)
        await until(pilot, lambda: screen.renders >= 1)
        screen.query_one("#logs-category", Select).value = "marketing"
        await until(pilot, lambda: screen.query_line.value == "cat:marketing")
        screen.query_one("#logs-since", Select).value = "30d"
        await until(pilot, lambda: screen._filters is not None and screen._filters.dates == "30d")
        assert screen.query_line.value == "cat:marketing since:30d"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, LogsPrompt))
        await pilot.press(*"marketing month", "enter")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))
        stored = saved.get("marketing month")
        assert (stored.category, stored.dates) == ("marketing", "30d")
        assert json.loads(saved.store_path().read_text())["marketing month"]["category"]
        # clear everything, then recall with the key
        await pilot.press("ctrl+u")
        await until(pilot, lambda: screen._filters is not None and screen._filters.is_empty())
        assert len(statuses(screen)) > 1
        await pilot.press("apostrophe")
        await until(pilot, lambda: isinstance(app.screen, LogsPick))
        rendered = renders = screen.renders
        await pilot.press("1")
        await until(pilot, lambda: screen.renders > renders)
        assert screen.query_one("#logs-category", Select).value == "marketing"
        assert screen.query_line.value == "cat:marketing since:30d"
        assert screen.query_one("#logs-since", Select).value == "30d"
        assert {d["category"] for d in screen._docs.values()} == {"marketing"}
        assert rendered < screen.renders


async def test_saved_search_from_the_command_palette(seeded: Runtime) -> None:
    from core.logs.query import FilterSet

    saved.save("urgent ones", FilterSet(priority="urgent"))
    app = DepllcApp(seeded.settings, runtime=seeded)
    async with app.run_test(size=SIZE) as pilot:
        screen = logs_screen(app)
        await until(pilot, lambda: screen.renders >= 1)
        renders = screen.renders
        await pilot.press("ctrl+p")
        await pilot.pause(0.1)
        await pilot.press(*"urgent ones")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(pilot, lambda: screen.renders > renders)
        assert {d["priority"] for d in screen._docs.values()} == {"urgent"}


def _log(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "messageId": f"m-{fields.get('subject', 'x')}",
        "to": ["ann@acme.test"],
        "from": "noreply@depllc.example",
        "subject": "x",
        "category": "notification",
        "status": "sent",
        "size": 100,
    }
    base.update(fields)
    return EmailLog.model_validate(base).to_mongo()


async def test_search_as_you_type_bad_dates_and_live_updates(runtime: Runtime) -> None:
    now = utcnow()
    docs = [
        _log(subject=f"Invoice {n:03d}", createdAt=now - timedelta(minutes=n)) for n in range(250)
    ]
    docs.append(_log(subject="Contract (v2) [final]", createdAt=now - timedelta(days=2)))
    runtime.store.emaillogs.insert_many(docs)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = logs_screen(app)
        table = table_of(screen)
        await until(pilot, lambda: screen.renders >= 1)
        assert table.row_count == PAGE_SIZE
        # more rows load as the cursor nears the end
        table.focus()
        table.move_cursor(row=PAGE_SIZE - 5)
        await until(pilot, lambda: table.row_count == 2 * PAGE_SIZE)
        # End goes to the last row of the list (loading the rest), and stays there
        await pilot.press("end")
        await until(pilot, lambda: table.row_count == 251 and table.cursor_row == 250)
        await pilot.pause(0.2)
        assert (table.row_count, table.cursor_row) == (251, 250)
        assert "251 of ~251 logs ·" in str(screen.summary.render())  # no "(more below)"
        keys = [str(k.value) for k in table.rows]
        assert len(set(keys)) == len(keys)
        # search text with regex metacharacters is literal
        await pilot.press("slash")
        await pilot.press(*"(v2) [")
        await until(pilot, lambda: table.row_count == 1)
        # malformed dates: nothing while typing; Enter says what is wrong and stays
        line = screen.query_line
        line.set_text("")
        await pilot.press(*"since:2026-11-20 until:2026-11-01")
        await pilot.pause(0.2)
        assert not screen.summary.has_class("-error")  # not while typing
        await pilot.press("enter")
        await until(pilot, lambda: screen.summary.has_class("-error"))
        assert "ends before it starts" in str(screen.summary.render())
        assert line.has_class("-invalid") and app.focused is line
        line.set_text('"(v2) [" since:1d')
        await until(pilot, lambda: not screen.summary.has_class("-error"))
        await until(pilot, lambda: table.row_count == 0)  # the contract is 2 days old
        line.set_text("Invoice 00")
        await until(pilot, lambda: table.row_count == 10)
        await pilot.press("enter")  # applied: back to the table
        assert app.focused is table
        # a status change arrives from event ingestion: the row updates in place
        target = next(d for d in screen._docs.values() if d["subject"] == "Invoice 003")
        runtime.store.emaillogs.update_one({"_id": target["_id"]}, {"$set": {"status": "bounced"}})
        app.post_message(LogsChanged([str(target["messageId"])]))
        key = str(target["_id"])
        await until(pilot, lambda: screen._docs[key]["status"] == "bounced")
        assert str(table.get_cell(key, "status")) == "bounced"
        assert table.row_count == 10


async def test_sort_by_header_and_keys(runtime: Runtime) -> None:
    now = utcnow()
    runtime.store.emaillogs.insert_many(
        [_log(subject=s, createdAt=now - timedelta(minutes=i)) for i, s in enumerate("cab")]
    )
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = logs_screen(app)
        await until(pilot, lambda: screen.renders >= 1)

        def subjects() -> list[str]:
            return [str(d["subject"]) for d in screen._docs.values()]

        assert subjects() == ["c", "a", "b"]
        renders = screen.renders
        table = table_of(screen)
        before = ("time", "status", "to")  # the columns left of Subject
        x = sum(table.columns[k].get_render_width(table) for k in before) + 2  # type: ignore[index]
        await pilot.click("#logs-table", offset=(x, 0))  # the Subject header
        await until(pilot, lambda: screen.renders > renders)
        assert screen._sort_field == "subject"
        assert subjects() == ["a", "b", "c"]
        renders = screen.renders
        table_of(screen).focus()
        await pilot.press("O")
        await until(pilot, lambda: screen.renders > renders)
        assert subjects() == ["c", "b", "a"]


def notified(app: DepllcApp, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


async def test_triage_keys(runtime: Runtime, tmp_path: Path) -> None:
    def suppressed(email: str) -> bool:
        return runtime.store.suppressions.find_one({"email": email}) is not None

    runtime.store.emaillogs.insert_one(
        _log(
            subject="Hello",
            to=["ann@acme.example", "bob@acme.example"],
            messageId="ses-1",
            content={"text": "Hello again"},
        )
    )
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = logs_screen(app)
        await until(pilot, lambda: screen.renders >= 1)
        table_of(screen).focus()
        await pilot.press("y")
        assert app.clipboard == "ses-1"
        # suppress a recipient picked from the list: the confirmation names it; "n" keeps
        # the list as it was, "y" suppresses
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, LogsPick))
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        assert "Address: bob@acme.example" in app.screen.plain
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))
        assert not suppressed("bob@acme.example")
        await pilot.press("s", "2")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.press("y")
        await until(pilot, lambda: suppressed("bob@acme.example"))
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, LogsPick))
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        assert "Reason: manual" in app.screen.plain
        await pilot.press("y")
        await until(pilot, lambda: not suppressed("bob@acme.example"))
        # export to a folder that does not exist: a clear error, nothing written
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, LogsPrompt))
        prompt = app.screen.query_one(Input)
        prompt.value = str(tmp_path / "missing" / "out.csv")
        await pilot.press("enter")
        await until(pilot, lambda: notified(app, "does not exist"))
        # and to a good path
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, LogsPrompt))
        app.screen.query_one(Input).value = str(tmp_path / "out.jsonl")
        await pilot.press("enter")
        await until(pilot, lambda: (tmp_path / "out.jsonl").exists())
        assert json.loads((tmp_path / "out.jsonl").read_text())["messageId"] == "ses-1"
        # resend: the dialog offers the same recipients; Enter checks, the confirmation
        # asks; "n" cancels
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ResendDialog))
        dialog = app.screen
        await until(pilot, lambda: dialog.query_one("#resend-to", Input).value != "")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        assert "To: ann@acme.example, bob@acme.example" in app.screen.plain
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))
        assert runtime.store.emaillogs.count_documents({}) == 1
        # "y" resends through core.mail.resend: a new log linked to the original
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ResendDialog))
        dialog = app.screen
        await until(pilot, lambda: dialog.query_one("#resend-to", Input).value != "")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.press("y")
        await until(pilot, lambda: runtime.store.emaillogs.count_documents({}) == 2)
        original = runtime.store.emaillogs.find_one({"messageId": "ses-1"})
        assert original is not None
        copy = runtime.store.emaillogs.find_one({"customData.resendOf": str(original["_id"])})
        assert copy is not None and copy["to"] == ["ann@acme.example", "bob@acme.example"]
        await until(pilot, lambda: table_of(screen).row_count == 2)  # the list refreshed


async def test_detail_never_shows_auth_bodies(runtime: Runtime) -> None:
    from core.logs.detail import REDACTED
    from tui.modals.help import HelpScreen

    runtime.store.emaillogs.insert_one(
        _log(
            subject="Reset your password",
            category="auth",
            content={"text": "https://app.example/reset?token=SECRET77"},
            messageId="ses-auth",
        )
    )
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = logs_screen(app)
        await until(pilot, lambda: screen.renders >= 1)
        table_of(screen).focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))
        detail_screen = app.screen
        assert isinstance(detail_screen, LogDetailScreen)
        await until(pilot, lambda: detail_screen.detail is not None)
        body = str(detail_screen.query_one("#detail-body", Static).render())
        assert REDACTED in body
        assert "SECRET77" not in body
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))


def test_timeline_does_not_repeat_what_the_summary_says() -> None:
    from types import SimpleNamespace

    from core.logs.detail import TimelineEntry
    from core.models import utcnow
    from tui.screens.log_detail import timeline_text

    entry = TimelineEntry(
        at=utcnow(),
        type="delivery",
        summary="a@example.com · 250 Ok: queued as 212d",
        details={"SMTP response": "250 Ok: queued as 212d", "processing": "8811 ms"},
    )
    shown = timeline_text(SimpleNamespace(timeline=[entry])).plain  # type: ignore[arg-type]
    assert shown.count("250 Ok: queued as 212d") == 1
    assert "processing: 8811 ms" in shown
