"""Pilot: the Audit screen (key 6 and the palette: newest first, the query line, pages)
and the audit entries of one log in its detail and of one file in the Files pane."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import Select, Static

from core import audit
from core.files.upload import UploadRequest, upload_file
from core.models import utcnow
from core.runtime import Runtime
from tests.core.files.conftest import pdf_bytes
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.screens.audit import PAGE_SIZE, AuditScreen
from tui.screens.files import FilesScreen
from tui.screens.log_detail import LogDetailScreen

SIZE = (80, 24)


def _seed(runtime: Runtime) -> None:
    now = utcnow()
    docs = [
        {
            "at": now - timedelta(minutes=n + 10),
            "operator": "ana",
            "host": "desk-1",
            "action": "send",
            "target": f"log-{n}",
            "details": {"status": "sent"},
        }
        for n in range(PAGE_SIZE + 5)
    ]
    docs += [
        {
            "at": now - timedelta(minutes=1),
            "operator": "ben",
            "host": "desk-2",
            "action": "purge",
            "target": "invoice/u1/INV-1.pdf",
            "details": {"fileId": "f1", "versionsRemoved": 3},
        },
        {
            "at": now - timedelta(days=40),
            "operator": "ben",
            "host": "desk-2",
            "action": "purge",
            "target": "invoice/u1/old.pdf",
            "details": {},
        },
    ]
    runtime.store.auditlog.insert_many(docs)


def _text(screen: AuditScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_the_audit_screen_lists_newest_first_with_a_query(runtime: Runtime) -> None:
    _seed(runtime)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        await until(pilot, lambda: screen.table.row_count == PAGE_SIZE)
        assert app.focused is screen.table
        assert [e.target for e in screen.entries[:2]] == ["invoice/u1/INV-1.pdf", "log-0"]
        assert "entries (more below), newest first" in _text(screen, "#audit-summary")
        # the highlighted entry whole under the table: host and every detail
        await until(pilot, lambda: "desk-2" in _text(screen, "#audit-entry"))
        assert "versionsRemoved=3" in _text(screen, "#audit-entry")
        screen.go_to_last_row()  # End: the rest of the list
        await until(pilot, lambda: screen.table.row_count == PAGE_SIZE + 7)

        await pilot.press("slash", *"actor:ben action:purge since:7d", "enter")
        await until(pilot, lambda: [e.target for e in screen.entries] == ["invoice/u1/INV-1.pdf"])
        assert screen.query_one("#audit-action", Select).value == "purge"
        assert screen.query_one("#audit-since", Select).value == "7d"
        assert app.focused is screen.table

        await pilot.press("slash", "ctrl+u", *"old.pdf", "enter")  # text in the target
        await until(pilot, lambda: [e.target for e in screen.entries] == ["invoice/u1/old.pdf"])
        await pilot.press("slash", "ctrl+u", *"nothing-like-this", "enter")
        await until(pilot, lambda: "none match the query" in _text(screen, "#audit-summary"))
        await pilot.press("ctrl+u")
        await until(pilot, lambda: screen.table.row_count == PAGE_SIZE)


async def test_the_palette_opens_the_audit_screen(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Go to Audit")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AuditScreen))
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        await until(pilot, lambda: "none yet" in _text(screen, "#audit-summary"))


async def test_a_logs_detail_lists_its_audit_entries(runtime: Runtime) -> None:
    now = utcnow()
    log_id = runtime.store.emaillogs.insert_one(
        {
            "to": ["ann@client.example"],
            "from": "noreply@depllc.example",
            "subject": "Invoice",
            "content": {"text": "hi"},
            "status": "sent",
            "category": "notification",
            "priority": "normal",
            "messageId": "ses-1",
            "createdAt": now,
            "updatedAt": now,
            "events": [],
            "size": 100,
            "cost": 0.0001,
        }
    ).inserted_id
    audit.record(runtime.store, "ana", "send", str(log_id), status="sent")
    audit.record(runtime.store, "ben", "send", "another-log")
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(LogDetailScreen(str(log_id)))
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))
        detail = app.screen
        assert isinstance(detail, LogDetailScreen)
        await until(pilot, lambda: detail.detail is not None)
        assert [(e.operator, e.action) for e in detail.audit] == [("ana", "send")]
        shown = str(detail.query_one("#detail-audit", Static).render())
        assert "send by ana" in shown and "status=sent" in shown and "ben" not in shown


async def test_a_files_detail_lists_its_audit_entries(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "deal.pdf"
    path.write_bytes(pdf_bytes())
    record = upload_file(runtime, UploadRequest(path=path))  # audited: upload
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, FilesScreen)
        await until(pilot, lambda: bool(screen.audited))
        assert [(e.action, e.details["fileId"]) for e in screen.audited] == [
            ("upload", str(record.id))
        ]
        shown = str(screen.query_one("#files-audit", Static).render())
        assert "upload by tester" in shown
