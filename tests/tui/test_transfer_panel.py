"""The transfers panel's total: what is left of the files still on their way."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import ProgressBar, Static

from tui.app import DepllcApp
from tui.widgets.transfer_panel import TransferPanel

MiB = 1024 * 1024


class PanelApp(App[None]):
    def compose(self) -> ComposeResult:
        yield TransferPanel()


def overall(panel: TransferPanel) -> tuple[float | None, float, str]:
    bar = panel.query_one("#transfer-overall-bar", ProgressBar)
    stats = str(panel.query_one("#transfer-overall-stats", Static).render())
    return bar.total, bar.progress, stats


async def test_a_refused_file_leaves_the_total_and_is_counted_apart() -> None:
    app = PanelApp()
    async with app.run_test() as pilot:
        panel = app.query_one(TransferPanel)
        panel.add("a", "big.bin", 30 * MiB)
        panel.add("b", "notes.txt", 100)
        panel.add("c", "red.png", 11)
        await pilot.pause()
        panel.finish("a", False, "big.bin: type unrecognised binary data is not allowed.")
        panel.update("b", 50, 100)
        await pilot.pause()
        total, progress, stats = overall(panel)
        assert (total, progress) == (111, 50)
        assert "(1 failed)" in stats
        panel.finish("b", True, "uploaded")
        panel.finish("c", True, "uploaded")
        await pilot.pause()
        total, progress, stats = overall(panel)
        assert progress == total == 111  # 100%: everything that could go, went
        assert "finished" in stats and "(1 failed)" in stats
        cut = panel.query_one("#stats-a", Static)
        assert str(cut.tooltip) == "big.bin: type unrecognised binary data is not allowed."


class ConsolePanelApp(PanelApp):
    HORIZONTAL_BREAKPOINTS = DepllcApp.HORIZONTAL_BREAKPOINTS  # the console's width classes
    CSS_PATH = DepllcApp.CSS_PATH  # and its stylesheets


async def test_a_finished_files_message_wraps_at_80_columns() -> None:
    app = ConsolePanelApp()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(TransferPanel)
        panel.add("a", "contract-2026-renewal-signed.pdf", 30 * MiB)
        await pilot.pause()
        text = (
            "contract-2026-renewal-signed.pdf: S3 refused the upload (AccessDenied); ask an admin"
        )
        panel.finish("a", False, text)
        await pilot.pause()
        stats = panel.query_one("#stats-a", Static)
        assert stats.region.right <= 80
        lines = [strip.text for strip in stats.render_lines(stats.content_region.reset_offset)]
        assert "".join(line.rstrip() + " " for line in lines).split() == text.split()
