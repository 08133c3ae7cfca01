"""Pilot: the actions of the case view, each through the same dialog and confirmation
as on the other screens, checked against the store and S3: resend an email, suppress
and lift (a complaint asks why), a file link, upload for the client (its id filled
in), download all the client's files into the folder the dialog proposes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static

from core.files.upload import UploadRequest, upload_file
from core.models import utcnow
from core.runtime import Runtime
from tests.core.files.conftest import pdf_bytes
from tests.core.logs.conftest import make_doc
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.modals.confirm import ConfirmAction
from tui.modals.files_download import FilesDownloadDialog
from tui.modals.files_link import FilesLinkDialog, FilesLinkResult
from tui.modals.files_upload import FilesUploadDialog
from tui.modals.logs_dialogs import LogsPick
from tui.modals.resend import ResendDialog
from tui.screens.case import CaseScreen

ANN = "ann@client.example"
BOB = "bob@client.example"
CLIENT = "665f1c2a9b1e4a0012345678"
SIZE = (80, 24)


@pytest.fixture
def case(runtime: Runtime, tmp_path: Path) -> dict[str, Any]:
    """Two addresses of one client (Ann complained), an email to each, two files."""
    store = runtime.store
    now = utcnow()
    ann_log = make_doc(to=[ANN], clientId=CLIENT, subject="Your invoice", createdAt=now)
    ann_log["_id"] = store.emaillogs.insert_one(ann_log).inserted_id
    bob_log = make_doc(to=[BOB], clientId=CLIENT, subject="Your contract", createdAt=now)
    bob_log["_id"] = store.emaillogs.insert_one(bob_log).inserted_id
    store.suppressions.insert_one(
        {"email": ANN, "reason": "complaint", "at": now, "by": "ses-events"}
    )
    src = tmp_path / "src"
    src.mkdir()
    (src / "contract.pdf").write_bytes(pdf_bytes(2000))
    (src / "notes.txt").write_bytes(b"call the client back\n" * 20)
    files = {
        name: upload_file(runtime, UploadRequest(path=src / name, clientId=CLIENT))
        for name in ("contract.pdf", "notes.txt")
    }
    return {"ann": ann_log, "bob": bob_log, "files": files, "src": src}


async def open_case(pilot: Any, app: DepllcApp, query: str) -> CaseScreen:
    await until(pilot, lambda: app.runtime is not None)
    screen = CaseScreen(query)
    app.push_screen(screen)
    await until(pilot, lambda: screen.case is not None and bool(screen.items))
    return screen


def select(screen: CaseScreen, kind: str, ref: str) -> None:
    key = next(k for k, item in screen.items.items() if item.kind == kind and item.ref == ref)
    table = screen.query_one("#case-timeline", DataTable)
    table.move_cursor(row=table.get_row_index(key))


async def test_resend_from_the_case(runtime: Runtime, case: dict[str, Any]) -> None:
    original = case["bob"]["_id"]
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, app, BOB)
        select(screen, "email", str(original))
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ResendDialog))
        to = app.screen.query_one("#resend-to", Input)
        await until(pilot, lambda: to.value == BOB)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        assert f"To: {BOB}" in app.screen.plain
        await pilot.press("y")
        await until(pilot, lambda: app.screen is screen)
        # the case reloads: the resend is in its timeline
        await until(pilot, lambda: screen.case is not None and len(screen.case.emails) == 2)
    copy = runtime.store.emaillogs.find_one({"customData.resendOf": str(original)})
    assert copy is not None and copy["to"] == [BOB] and copy["status"] == "sent"


async def test_suppress_then_lift_a_complaint_from_the_case(
    runtime: Runtime, case: dict[str, Any]
) -> None:
    store = runtime.store
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, app, CLIENT)
        person = screen.query_one("#case-person", Static)
        # on a file row, s is about the case's addresses: Bob is the one not suppressed
        select(screen, "file", str(case["files"]["notes.txt"].id))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        assert f"Address: {BOB}" in app.screen.plain
        await pilot.press("y")
        await until(pilot, lambda: store.suppressions.find_one({"email": BOB}) is not None)
        await until(pilot, lambda: str(person.render()).count("SUPPRESSED") == 2)
        # u on Ann's email: her complaint, which asks why
        select(screen, "email", str(case["ann"]["_id"]))
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        confirm = app.screen
        assert f"Address: {ANN}" in confirm.plain and "Reason: complaint" in confirm.plain
        await pilot.press("enter")  # no reason yet: nothing happens
        assert app.screen is confirm
        await pilot.press(*"asked by phone")
        await pilot.press("enter")
        await until(pilot, lambda: store.suppressions.find_one({"email": ANN}) is None)
        # both lifted now? u on a file row asks which of the suppressed ones (Bob alone)
        await until(pilot, lambda: str(person.render()).count("SUPPRESSED") == 1)
    entry = store.auditlog.find_one({"action": "unsuppress", "target": ANN})
    assert entry is not None and entry["details"]["note"] == "asked by phone"
    assert store.suppressions.find_one({"email": BOB})["reason"] == "manual"


async def test_lift_asks_which_address_when_several(runtime: Runtime, case: dict[str, Any]) -> None:
    runtime.store.suppressions.insert_one(
        {"email": BOB, "reason": "bounce", "at": utcnow(), "by": "ses-events"}
    )
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, app, CLIENT)
        select(screen, "file", str(case["files"]["notes.txt"].id))
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, LogsPick))
        values = [value for value, _ in app.screen.items]
        assert sorted(values) == [ANN, BOB]
        await pilot.press(str(values.index(BOB) + 1))
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        assert f"Address: {BOB}" in app.screen.plain
        await pilot.press("y")
        await until(pilot, lambda: runtime.store.suppressions.find_one({"email": BOB}) is None)
    assert runtime.store.suppressions.find_one({"email": ANN}) is not None


async def test_link_to_a_file_of_the_case(runtime: Runtime, case: dict[str, Any]) -> None:
    record = case["files"]["contract.pdf"]
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, app, CLIENT)
        select(screen, "email", str(case["ann"]["_id"]))
        await pilot.press("l")  # not a file: nothing opens
        await pilot.pause(0.1)
        assert app.screen is screen
        select(screen, "file", str(record.id))
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, FilesLinkDialog))
        await pilot.press("enter")  # 1h
        await until(pilot, lambda: isinstance(app.screen, FilesLinkResult))
        assert record.key in app.screen.url
    entry = runtime.store.auditlog.find_one({"action": "presign", "target": record.key})
    assert entry is not None and entry["details"]["fileId"] == str(record.id)


async def test_upload_for_the_client_of_the_case(
    runtime: Runtime, case: dict[str, Any], tmp_path: Path
) -> None:
    new = tmp_path / "signed.pdf"
    new.write_bytes(pdf_bytes(500))
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, app, ANN)  # the address's client id: from its email
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, FilesUploadDialog))
        dialog = app.screen
        assert dialog.query_one("#files-upload-client", Input).value == CLIENT
        dialog.query_one("#files-upload-path", Input).value = str(new)
        await pilot.press("enter")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: screen.finished_batches == 1)
        await until(
            pilot,
            lambda: (
                screen.case is not None
                and "signed.pdf" in {f.originalName for f in screen.case.files}
            ),
        )
    doc = runtime.store.files.find_one({"originalName": "signed.pdf"})
    assert doc is not None and doc["clientId"] == CLIENT and doc["status"] == "completed"
    body = runtime.aws.s3.get_object(Bucket=doc["s3Info"]["bucket"], Key=doc["key"])["Body"]
    assert body.read() == new.read_bytes()


async def test_download_all_files_of_the_case(
    runtime: Runtime, case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.files.lifecycle import soft_delete

    monkeypatch.chdir(tmp_path)
    gone = tmp_path / "src" / "old.txt"
    gone.write_bytes(b"superseded\n")
    soft_delete(runtime, str(upload_file(runtime, UploadRequest(gone, clientId=CLIENT)).id))
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, app, CLIENT)
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, FilesDownloadDialog))
        dialog = app.screen
        title = dialog.query_one(".files-dialog-title").render()
        assert f"all 2 files of {CLIENT}" in str(title)
        assert "1 deleted or unfinished left out" in str(title)
        folder = tmp_path / f"case-{CLIENT}"
        assert dialog.query_one("#files-download-folder", Input).value == str(folder)
        await pilot.press("enter")  # the folder does not exist: asks
        await pilot.pause(0.05)
        assert not folder.exists() and app.screen is dialog
        await pilot.press("enter")  # creates it, downloads
        await until(pilot, lambda: screen.finished_batches == 1)
    src = case["src"]
    assert sorted(p.name for p in folder.iterdir()) == ["contract.pdf", "notes.txt"]
    for name in ("contract.pdf", "notes.txt"):
        assert (folder / name).read_bytes() == (src / name).read_bytes()
