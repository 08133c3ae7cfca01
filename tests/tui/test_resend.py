"""Resend from the console: to a new address, with the original's stored attachment
(as the CRM records it: `fileId` alone); a suppressed recipient dropped in the dialog;
the new log links to the original and the original lists it."""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console
from textual.widgets import Input

from core.models import utcnow
from core.runtime import Runtime
from core.sandbox_seed import seed_all
from tests.tui.keys import Keys
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.modals.confirm import ConfirmAction
from tui.modals.resend import ResendDialog
from tui.screens.log_detail import LogDetailScreen, header_table
from tui.screens.logs import LogsScreen

SIZE = (80, 24)


def shown(detail: LogDetailScreen) -> str:
    """The detail's header (as its Static shows it) in plain text."""
    if detail.detail is None:
        return ""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(header_table(detail.detail))
    return console.export_text()


async def test_resend_an_invoice_to_a_new_address(runtime: Runtime) -> None:
    seed_all(runtime.store, runtime.aws, runtime.settings)
    runtime.identity = replace(runtime.whoami(), role="support")  # reads clients' files
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        await until(pilot, lambda: screen.renders >= 1)
        keys = Keys(pilot)
        await keys.press("slash")
        await keys.type("Invoice INV")
        await keys.press("enter")
        await until(pilot, lambda: screen.settled and screen.table.row_count > 0)
        doc = next(iter(screen._docs.values()))
        assert str(doc["subject"]).startswith("Invoice INV")
        (attachment,) = doc["attachments"]
        assert set(attachment) >= {"fileId", "filename"} and "source" not in attachment
        await keys.press("r")
        await until(pilot, lambda: isinstance(app.screen, ResendDialog))
        dialog = app.screen
        to = dialog.query_one("#resend-to", Input)
        await until(pilot, lambda: to.value != "")
        await keys.press("ctrl+u")  # clear To
        await keys.type("new.address@client.example")
        await keys.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        said = app.screen.plain
        assert "To: new.address@client.example" in said
        assert f"Attached: {attachment['filename']}" in said
        await keys.press("y")
        await until(
            pilot,
            lambda: (
                runtime.store.emaillogs.count_documents(
                    {"_id": doc["_id"], "customData.resends": {"$size": 1}}
                )
                == 1
            ),
        )
        assert keys.count == 8
    copy = runtime.store.emaillogs.find_one({"to": ["new.address@client.example"]})
    assert copy is not None and copy["status"] == "sent"
    assert copy["customData"]["resendOf"] == str(doc["_id"])
    assert copy["attachments"][0]["filename"] == attachment["filename"]
    original = runtime.store.emaillogs.find_one({"_id": doc["_id"]})
    assert original is not None and original["customData"]["resends"] == [str(copy["_id"])]


async def test_a_suppressed_recipient_is_dropped_in_the_dialog(runtime: Runtime) -> None:
    now = utcnow()
    runtime.store.suppressions.insert_one(
        {"email": "gone@client.example", "reason": "bounce", "at": now, "by": "ses-events"}
    )
    log_id = runtime.store.emaillogs.insert_one(
        {
            "to": ["ann@client.example", "gone@client.example"],
            "from": "noreply@depllc.example",
            "subject": "Your statement",
            "content": {"text": "Attached."},
            "status": "bounced",
            "category": "notification",
            "priority": "normal",
            "messageId": "ses-1",
            "size": 100,
            "cost": 0.0001,
            "createdAt": now,
            "updatedAt": now,
            "events": [],
        }
    ).inserted_id
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        await until(pilot, lambda: screen.table.row_count == 1)
        screen.table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))
        detail = app.screen
        assert isinstance(detail, LogDetailScreen)
        await until(pilot, lambda: detail.detail is not None)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ResendDialog))
        dialog = app.screen
        warning = dialog.query_one("#resend-suppressed")
        await until(pilot, lambda: "gone@client.example (bounce" in str(warning.render()))
        await pilot.press("ctrl+r")
        assert dialog.query_one("#resend-to", Input).value == "ann@client.example"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        assert "To: ann@client.example" in app.screen.plain
        await pilot.press("y")
        await until(pilot, lambda: app.screen is detail)
        await until(pilot, lambda: detail.detail is not None and bool(detail.detail.log.customData))
        new = runtime.store.emaillogs.find_one({"customData.resendOf": str(log_id)})
        assert new is not None and new["to"] == ["ann@client.example"]
        await until(pilot, lambda: f"Resent as  {new['_id']}" in shown(detail))
