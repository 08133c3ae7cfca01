"""Files for support staff: the summary says how many files the role hides; an upload
sets category, tags and client once for a batch (a client id is checked, "Client Y" is
refused); several marked files get their tags and client at once; a download creates
its folder when asked and takes `~`."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from core.files.upload import UploadRequest, upload_file
from core.runtime import Runtime
from core.sandbox_seed import seed_all
from tests.core.files.conftest import pdf_bytes
from tests.tui.keys import Keys
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.modals.files_download import FilesDownloadDialog
from tui.modals.files_tags import FilesTagsDialog
from tui.modals.files_upload import FilesUploadDialog
from tui.screens.files import FilesScreen

SIZE = (120, 40)
CLIENT = "683d063fe345c182ead5c02a"


def summary(screen: FilesScreen) -> str:
    return str(screen.query_one("#files-summary", Static).render())


async def open_files(app: DepllcApp, pilot: object) -> FilesScreen:
    await pilot.press("3")  # type: ignore[attr-defined]
    screen = app.screen
    assert isinstance(screen, FilesScreen)
    await until(pilot, lambda: bool(screen._records) and screen.count_label != "")
    return screen


async def test_the_summary_says_how_many_files_the_role_hides(runtime: Runtime) -> None:
    seed_all(runtime.store, runtime.aws, runtime.settings)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_files(app, pilot)
        every = runtime.store.files.count_documents({"status": {"$ne": "deleted"}})
        text = summary(screen)
        shown = len(screen._records)
        assert f"private files of other users hidden (role {runtime.role})" in text
        assert f"{every - shown:,} private files" in text


async def test_upload_three_pdfs_for_a_client_as_invoices(runtime: Runtime, tmp_path: Path) -> None:
    for n in (1, 2, 3):
        (tmp_path / f"invoice-{n}.pdf").write_bytes(pdf_bytes())
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, FilesScreen)
        await until(pilot, lambda: screen.settled)
        keys = Keys(pilot)
        await keys.press("a")
        await until(pilot, lambda: isinstance(app.screen, FilesUploadDialog))
        dialog = app.screen
        await keys.type(f"{tmp_path}/*.pdf")
        await keys.press("enter")
        assert len(dialog.selected) == 3
        await keys.press("tab", "tab")  # past the folder tree, to the category
        await keys.press("enter")
        await keys.type("invoice")
        await keys.press("enter")
        await keys.press("tab", "tab")  # tags, then the client
        await keys.type("Client Y")
        await keys.press("enter")
        error = dialog.query_one("#files-upload-error", Static)
        assert "not a client id" in str(error.render())  # refused, nothing uploaded
        assert isinstance(app.screen, FilesUploadDialog)
        await keys.press("ctrl+u")
        await keys.type(CLIENT)
        await keys.press("enter")
        await until(pilot, lambda: screen.finished_batches == 1)
        assert keys.count == 15
    docs = list(runtime.store.files.find({"clientId": CLIENT}))
    assert sorted(d["originalName"] for d in docs) == [f"invoice-{n}.pdf" for n in (1, 2, 3)]
    assert {d["category"] for d in docs} == {"invoice"}


async def test_tags_and_client_of_several_marked_files_at_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    for name in ("a.pdf", "b.pdf"):
        (tmp_path / name).write_bytes(pdf_bytes())
        upload_file(runtime, UploadRequest(path=tmp_path / name, tags=["old"]))
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_files(app, pilot)
        screen.table.focus()
        await pilot.press("space", "space", "t")
        await until(pilot, lambda: isinstance(app.screen, FilesTagsDialog))
        dialog = app.screen
        dialog.query_one("#files-tags-tags", Input).value = "q4, signed"
        dialog.query_one("#files-tags-client", Input).value = "Client Y"
        await pilot.press("ctrl+s")
        assert "not a client id" in str(dialog.query_one("#files-tags-error").render())
        dialog.query_one("#files-tags-client", Input).value = CLIENT
        await pilot.press("ctrl+s")
        await until(pilot, lambda: runtime.store.files.count_documents({"clientId": CLIENT}) == 2)
    for doc in runtime.store.files.find():
        assert doc["metadata"]["tags"] == ["q4", "signed"]
        assert doc["category"] == "general"  # left as it was


async def test_download_asks_then_creates_its_folder_under_home(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "deal.pdf").write_bytes(pdf_bytes())
    upload_file(runtime, UploadRequest(path=tmp_path / "deal.pdf"))
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_files(app, pilot)
        screen.table.focus()
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, FilesDownloadDialog))
        dialog = app.screen
        dialog.query_one("#files-download-folder", Input).value = "~/clients/acme"
        await pilot.press("enter")
        assert "Enter again creates it" in str(dialog.query_one("#files-download-error").render())
        assert not (tmp_path / "clients").exists()
        await pilot.press("enter")
        await until(pilot, lambda: screen.finished_batches == 1)
    assert (tmp_path / "clients" / "acme" / "deal.pdf").read_bytes() == pdf_bytes()


async def test_at_80_columns_the_summary_is_one_line_and_the_status_in_view(
    runtime: Runtime,
) -> None:
    seed_all(runtime.store, runtime.aws, runtime.settings)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_files(app, pilot)
        text = summary(screen)
        assert f"hidden by role {runtime.role}" in text and len(text) <= 78, text
        table = screen.table
        widths = [c.get_render_width(table) for c in table.ordered_columns]
        assert str(table.ordered_columns[1].label) == "Status"
        assert sum(widths[:2]) <= 78  # Name and Status on screen
        await pilot.resize_terminal(160, 40)
        await until(pilot, lambda: "private files of other users hidden" in summary(screen))
