"""Pilot: the Files detail pane under 100 columns: hidden at first, Enter on the list
shows it beside the table (the footer offers it) and hides it again; at any width
Enter toggles it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from core.files.upload import UploadRequest, upload_file
from core.runtime import Runtime
from tests.core.files.conftest import pdf_bytes
from tests.tui.test_hostile_screens import drawn
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.screens.files import FilesScreen
from tui.widgets.footer import shown_bindings


async def test_enter_shows_the_detail_pane_at_80_columns(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "deal.pdf"
    path.write_bytes(pdf_bytes())
    upload_file(runtime, UploadRequest(path=path))
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, FilesScreen)
        await until(pilot, lambda: screen.table.row_count == 1)
        assert not screen.detail_shown and app.focused is screen.table
        footer = shown_bindings(screen, 80)
        assert ("enter", "screen.toggle_detail", "Detail") in [f[:3] for f in footer]
        await pilot.press("enter")
        await until(pilot, lambda: screen.detail_shown)
        pane = screen.query_one("#files-detail")
        await until(pilot, lambda: pane.size.width > 0 and screen.previewed is not None)
        await pilot.pause(0.1)
        assert pane.region.right <= 80 and screen.table.size.width >= 30
        assert screen.previewed is not None and screen.previewed.record.originalName == "deal.pdf"
        assert screen.query_one("#files-preview", Static).region.width > 0
        assert any("deal.pdf" in line for line in drawn(app))  # the table's row too
        assert app.focused is screen.table  # the cursor still moves the list
        await pilot.press("enter")
        await until(pilot, lambda: not screen.detail_shown)
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: "-narrow" not in screen.classes)
        assert not screen.detail_shown  # hidden by hand: it stays so when wider
        await pilot.press("enter")
        await until(pilot, lambda: screen.detail_shown)
