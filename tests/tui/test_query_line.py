"""Pilot: the `/` query line on Logs and Suppressions at 80x24: completion, Enter,
Esc, the selects that mirror it, history on the up arrow, the palette's queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.widgets import DataTable, Select

from core import query_history
from core.models import EmailLog, utcnow
from core.runtime import Runtime
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.screens.logs import LogsScreen
from tui.screens.suppressions import SuppressionsScreen
from tui.widgets.query_line import QueryCompletion, QueryLine

SIZE = (80, 24)


def _log(n: int, status: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "messageId": f"m-{n}",
        "to": [f"client{n}@acme.test"],
        "from": "noreply@depllc.example",
        "subject": f"Invoice {n}",
        "category": "notification",
        "status": status,
        "size": 100,
        "createdAt": utcnow() - timedelta(days=n),
    }
    base.update(fields)
    return EmailLog.model_validate(base).to_mongo()


async def test_slash_complete_enter_and_recall_on_logs(runtime: Runtime) -> None:
    statuses = ["sent", "bounced", "delivered", "complaint", "bounced", "sent", "bounced"]
    runtime.store.emaillogs.insert_many([_log(n, s) for n, s in enumerate(statuses)])
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        table = screen.query_one("#logs-table", DataTable)
        await until(pilot, lambda: table.row_count == 7)
        line = screen.query_line
        await pilot.press("slash")
        assert app.focused is line
        # keys complete from their first letters, values from the key
        await pilot.press("s", "t")
        dropdown = screen.query_one(QueryCompletion)
        await until(pilot, lambda: dropdown.display)
        await pilot.press("tab")
        assert line.value == "status:"
        await until(pilot, lambda: dropdown.option_list.option_count == 6)  # every status
        await pilot.press("b", "tab")
        assert line.value == "status:bounced "
        # Tab typed before the dropdown opened completes all the same
        line.set_text("status:bounced s")
        dropdown.action_hide()
        await pilot.press("tab")
        assert line.value == "status:bounced status:"
        line.set_text("status:bounced ")
        await pilot.press(*"since:5d", "enter")  # 5 key presses: / st Tab b Tab, then since
        await until(pilot, lambda: app.focused is table)
        await until(pilot, lambda: table.row_count == 2)  # bounced, 1 and 4 days old
        assert screen.query_one("#logs-status", Select).value == "bounced"
        assert screen.query_one("#logs-since", Select).is_blank()  # 5d: no such item
        # a select rewrites its key in the line
        screen.query_one("#logs-since", Select).value = "7d"
        await until(pilot, lambda: table.row_count == 3)
        assert line.value == "status:bounced since:7d"
        # Esc leaves the line without applying what was typed since
        await pilot.press("slash", *" ann", "escape")
        assert app.focused is table
        # the applied lines are kept (state dir) and come back with the up arrow
        assert query_history.load("logs") == ["status:bounced since:5d"]
        line.set_text("")
        await pilot.press("slash", "up")
        assert line.value == "status:bounced since:5d"
        await pilot.press("down")
        assert line.value == ""
        # an unknown key: Enter says which keys there are, and the line stays
        await pilot.press(*"colour:red", "enter")
        await until(pilot, lambda: screen.summary.has_class("-error"))
        assert "Unknown key colour: (the logs keys are status: cat:" in str(screen.summary.render())
        assert app.focused is line and line.has_class("-invalid")
        # the palette's ready-made queries
        await pilot.press("escape", "ctrl+p")
        await pilot.press(*"complaints this week")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: line.value == "status:complaint since:7d")
        await until(pilot, lambda: table.row_count == 1)


async def test_the_suppressions_query_line(runtime: Runtime) -> None:
    now = utcnow()
    for email, reason, days in (
        ("new@client.example", "complaint", 2),
        ("old@client.example", "complaint", 20),
        ("hard@other.example", "bounce", 1),
    ):
        runtime.store.suppressions.insert_one(
            {"email": email, "reason": reason, "at": now - timedelta(days=days), "by": "x"}
        )
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        screen = app.screen
        assert isinstance(screen, SuppressionsScreen)
        table = screen.query_one("#sup-table", DataTable)
        await until(pilot, lambda: table.row_count == 3)
        assert app.focused is table
        await pilot.press("slash", *"reason:c", "tab", *"since:7d", "enter")
        await until(pilot, lambda: table.row_count == 1)
        assert screen.entries[0].email == "new@client.example"
        assert app.focused is table
        screen.query_one(QueryLine).set_text("other")
        await until(pilot, lambda: [e.email for e in screen.entries] == ["hard@other.example"])


async def test_typing_a_letter_in_a_select_picks_a_value_not_any(runtime: Runtime) -> None:
    runtime.store.emaillogs.insert_many([_log(1, "sent"), _log(2, "sent", category="auth")])
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        await until(pilot, lambda: screen.renders >= 1)
        select = screen.query_one("#logs-category", Select)
        select.focus()
        await pilot.press("enter", "a", "enter")  # open, type a, take it
        await until(pilot, lambda: screen.query_line.value == "cat:auth")
        assert select.value == "auth"
