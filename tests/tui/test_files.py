"""Pilot: the Files screen. Upload two files in the sandbox and watch their progress,
download one back and compare bytes; cancel a transfer with Esc; the per-file keys."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from core.config import Settings
from core.files.upload import UploadRequest, upload_file
from core.runtime import Runtime
from tests.core.files.conftest import pdf_bytes, pending_uploads
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.modals.confirm import ConfirmAction
from tui.modals.files_download import FilesDownloadDialog
from tui.modals.files_link import FilesLinkDialog, FilesLinkResult
from tui.modals.files_tags import FilesTagsDialog
from tui.modals.files_upload import FilesUploadDialog
from tui.modals.files_versions import FilesVersionsDialog
from tui.screens.files import FilesScreen
from tui.widgets.transfer_panel import TransferPanel

SIZE = (160, 48)
MiB = 1024 * 1024


def files_screen(app: DepllcApp) -> FilesScreen:
    for screen in app.screen_stack:
        if isinstance(screen, FilesScreen):
            return screen
    raise AssertionError("the files screen is not open")


def notes(app: DepllcApp) -> str:
    return " ".join(str(n.message) for n in app._notifications)


def notified(app: DepllcApp, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


def select_row(screen: FilesScreen, name: str) -> str:
    rid = next(k for k, r in screen._records.items() if r.originalName == name)
    table = screen.query_one("#files-table", DataTable)
    table.move_cursor(row=table.get_row_index(rid))
    return rid


def watch_panel(panel: TransferPanel) -> list[tuple[str, int, int]]:
    seen: list[tuple[str, int, int]] = []
    real = panel.update

    def update(tid: str, done: int, total: int) -> None:
        seen.append((tid, done, total))
        real(tid, done, total)

    panel.update = update  # type: ignore[method-assign]
    return seen


async def test_upload_two_watch_progress_download_one(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    big = src / "contract.pdf"
    big.write_bytes(pdf_bytes() + os.urandom(40 * MiB))
    notes = src / "notes.txt"
    notes.write_bytes(b"call the client back\n" * 10)
    out = tmp_path / "out"
    out.mkdir()
    app = DepllcApp(Settings.model_validate({"sandbox": True, "depllc_user": "tester"}))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.runtime is not None)
        await pilot.press("3")
        screen = files_screen(app)
        await until(pilot, lambda: bool(screen._records))
        panel = screen.query_one(TransferPanel)
        seen = watch_panel(panel)

        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, FilesUploadDialog))
        dialog = app.screen
        for path in (big, notes):
            dialog.query_one("#files-upload-path", Input).value = str(path)
            await pilot.press("enter")
        dialog.query_one("#files-upload-tags", Input).value = "pilot, signed"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: screen.finished_batches == 1)
        rows = list(panel.rows.values())
        assert [r.state for r in rows] == ["done", "done"]
        big_updates = [
            (d, t) for tid, d, t in seen if panel.rows[tid].name.endswith("contract.pdf")
        ]
        assert any(0 < d < t for d, t in big_updates), "no progress seen mid-upload"
        assert big_updates[-1][0] == big.stat().st_size
        await until(
            pilot,
            lambda: (
                {"contract.pdf", "notes.txt"} <= {r.originalName for r in screen._records.values()}
            ),
        )
        rid = select_row(screen, "contract.pdf")
        assert screen._records[rid].metadata.tags == ["pilot", "signed"]

        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, FilesDownloadDialog))
        app.screen.query_one("#files-download-folder", Input).value = str(out)
        await pilot.press("enter")
        await until(pilot, lambda: screen.finished_batches == 2)
        assert (out / "contract.pdf").read_bytes() == big.read_bytes()
        assert sorted(p.name for p in out.iterdir()) == ["contract.pdf"]
        last = list(panel.rows.values())[-1]
        assert last.state == "done" and "SHA-256" in last.text


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "huge.pdf"
    path.write_bytes(pdf_bytes() + os.urandom(48 * MiB))
    return path


async def test_escape_cancels_a_transfer_without_freezing(runtime: Runtime, big_file: Path) -> None:
    from core.files.transfer import transfer_client
    from tui.modals.files_upload import UploadPlan

    def slow_line(**_: Any) -> None:  # a slow link: each part takes a while to go out
        time.sleep(0.5)

    transfer_client(runtime).meta.events.register("before-send.s3.UploadPart", slow_line)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        screen = files_screen(app)
        panel = screen.query_one(TransferPanel)
        seen = watch_panel(panel)
        screen.start_upload(UploadPlan(paths=[big_file]))
        await until(pilot, lambda: bool(seen))
        await pilot.press("escape")
        started = asyncio.get_running_loop().time()
        await pilot.press("slash")  # the UI still answers keys while the worker winds down
        assert asyncio.get_running_loop().time() - started < 3.0
        assert app.focused is screen.query_line
        await until(pilot, lambda: screen.finished_batches == 1)
        row = next(iter(panel.rows.values()))
        assert row.state == "failed" and "cancelled" in row.text.lower()
    doc = runtime.store.files.find_one({"originalName": "huge.pdf"})
    assert doc and doc["status"] == "failed"
    assert pending_uploads(runtime) == []


async def test_link_tags_delete_restore_purge_versions(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "deal.pdf"
    path.write_bytes(pdf_bytes())
    record = upload_file(runtime, UploadRequest(path=path))
    copied: list[str] = []
    app = DepllcApp(runtime.settings, runtime=runtime)
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        screen = files_screen(app)
        await until(pilot, lambda: bool(screen._records))
        select_row(screen, "deal.pdf")
        await until(
            pilot,
            lambda: screen.previewed is not None and screen.previewed.record.id == record.id,
        )

        # a stuck upload whose bytes never came: ctrl+r settles it from S3
        stale = record.model_copy(
            update={
                "key": "general/tester/1-0-ghost.pdf",
                "originalName": "ghost.pdf",
                "updatedAt": record.updatedAt - timedelta(hours=3),
            }
        ).to_mongo() | {"status": "uploading"}
        stale.pop("_id")
        ghost = runtime.store.files.insert_one(stale).inserted_id
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.press("y")
        await until(
            pilot,
            lambda: runtime.store.files.find_one({"_id": ghost, "status": "failed"}) is not None,
        )

        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, FilesLinkDialog))
        app.screen.query_one(Input).value = "2h"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, FilesLinkResult))
        assert copied and "X-Amz-Expires=7200" in copied[0]
        await pilot.press("escape")

        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, FilesTagsDialog))
        app.screen.query_one("#files-tags-tags", Input).value = "q4, urgent"
        await pilot.press("ctrl+s")
        await until(
            pilot,
            lambda: (
                screen._records.get(str(record.id)) is not None
                and screen._records[str(record.id)].metadata.tags == ["q4", "urgent"]
            ),
        )

        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, FilesVersionsDialog))
        assert app.screen.query_one(DataTable).row_count == 1
        await pilot.press("escape")

        def status() -> str:
            doc = runtime.store.files.find_one({"_id": record.id})
            return str(doc["status"]) if doc else ""

        # delete asks; the row stays, marked deleted, under the cursor; ctrl+z undoes
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.press("y")
        await until(pilot, lambda: status() == "deleted")
        await until(pilot, lambda: screen._records[str(record.id)].status.value == "deleted")
        assert screen.selected_key() == str(record.id)
        assert notified(app, "ctrl+z undoes")
        await pilot.press("ctrl+z")
        await until(pilot, lambda: status() == "completed")
        await until(pilot, lambda: screen._records[str(record.id)].status.value == "completed")
        # deleted again, R restores this very file (after asking)
        await pilot.press("x", "y")
        await until(pilot, lambda: screen._records[str(record.id)].status.value == "deleted")
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.press("y")
        await until(pilot, lambda: status() == "completed")
        await pilot.press("x", "y")
        await until(pilot, lambda: status() == "deleted")

        await pilot.press("P")  # an operator may not purge, even their own file
        await until(pilot, lambda: "Only an admin may purge deal.pdf" in notes(app))
        assert not isinstance(app.screen, ConfirmAction)
        runtime.identity = replace(runtime.whoami(), role="admin")
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        field = app.screen.query_one(Input)
        field.value = "wrong.pdf"
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmAction)  # not confirmed: still asking
        field.value = "deal.pdf"
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                runtime.store.files.find_one({"_id": record.id, "purgedAt": {"$exists": True}})
                is not None
            ),
        )
    versions = runtime.aws.s3.list_object_versions(Bucket=record.s3Info.bucket, Prefix=record.key)
    assert versions.get("Versions", []) == [] and versions.get("DeleteMarkers", []) == []


async def test_upload_dialog_refuses_a_symlink(runtime: Runtime, tmp_path: Path) -> None:
    target = tmp_path / "shadow.txt"
    target.write_bytes(b"root:secret\n")
    link = tmp_path / "invoice.txt"
    link.symlink_to(target)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, FilesUploadDialog))
        dialog = app.screen
        assert isinstance(dialog, FilesUploadDialog)
        dialog.query_one("#files-upload-path", Input).value = str(link)
        await pilot.press("enter")
        await until(pilot, lambda: str(dialog.query_one("#files-upload-error").render()) != "")
        error = str(dialog.query_one("#files-upload-error").render())
        assert error == (
            "invoice.txt is a symbolic link: links are not uploaded. Pick the file it points to."
        )
        assert dialog.selected == []
        dialog.query_one("#files-upload-path", Input).value = str(target)
        await pilot.press("enter")
        assert (
            dialog.selected == [target]
            and str(dialog.query_one("#files-upload-error").render()) == ""
        )
