"""Pilot: hostile text from outside (tests/hostile.py) through every screen. Nothing
crashes, Rich markup shows literally, and no escape, C1, bidi or other control
character is among what the screen draws (the strips Textual writes to the terminal)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.widgets import DataTable, OptionList
from textual.widgets._toast import Toast

from core.logs import saved
from core.logs.query import FilterSet
from core.runtime import Runtime
from tests.hostile import CORPUS, MARKUP, SHOWN, STORABLE, Hostile, forbidden, seed_hostile
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.modals.compose_pickers import LocalFilePicker, StoredFilePicker
from tui.modals.confirm import ConfirmAction
from tui.modals.files_download import DownloadPlan, FilesDownloadDialog
from tui.modals.files_upload import FilesUploadDialog
from tui.modals.files_versions import FilesVersionsDialog
from tui.modals.resend import ResendDialog
from tui.screens.compose import ComposeScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.files import FilesScreen
from tui.screens.log_detail import LogDetailScreen
from tui.screens.logs import LogsScreen
from tui.screens.suppressions import SuppressionsScreen
from tui.widgets.local_tree import LocalTree
from tui.widgets.transfer_panel import TransferPanel

SIZE = (200, 60)
# one-line stand-ins short enough to show whole in a table column
SHORT = [name for name in STORABLE if len(SHOWN[name]) <= 26 and name != "long"]


@pytest.fixture
def hostile(runtime: Runtime) -> Hostile:
    return seed_hostile(runtime)


def drawn(app: DepllcApp) -> list[str]:
    """The text of every line the screen (with the screens under a modal) draws."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    strips = getattr(update, "strips", [])
    return ["".join(segment.text for segment in strip) for strip in strips]


def check_drawn(app: DepllcApp, expected: Iterable[str] = ()) -> str:
    """Assert no line drawn holds a terminal-steering character and every expected
    text is shown; returns the screen's text."""
    lines = drawn(app)
    assert lines, "nothing drawn"
    for number, line in enumerate(lines):
        assert not forbidden(line), f"line {number}: {forbidden(line)} in {line[:120]!r}"
    screen = "\n".join(lines)
    for text in expected:
        assert text in screen, f"{text!r} is not shown in:\n{screen}"
    return screen


async def check_scrolling(pilot: Any, app: DepllcApp, scroll: VerticalScroll) -> str:
    """check_drawn at every page of a scrolling container; the text of all pages."""
    pages = []
    y = 0
    while True:
        scroll.scroll_to(y=y, animate=False)
        await pilot.pause()
        pages.append(check_drawn(app))
        if y >= scroll.max_scroll_y:
            return "\n".join(pages)
        y = min(y + scroll.size.height, scroll.max_scroll_y)


async def test_logs_list_detail_palette_and_header(runtime: Runtime, hostile: Hostile) -> None:
    saved.save(hostile.texts["markup_tags"], FilterSet(search=hostile.texts["markup_close"]))
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        await until(pilot, lambda: screen.renders >= 1 and len(screen._docs) > len(hostile.logs))
        await pilot.pause()
        check_drawn(app, [SHOWN[name] for name in SHORT + list(MARKUP)])

        # the header names where the console is connected: made visible too
        app.header.target = hostile.texts["osc52"]
        app.header.status = hostile.texts["c1"]
        app.refresh_headers()
        await pilot.pause()
        check_drawn(app, [SHOWN["osc52"], SHOWN["c1"]])

        # the log holding every string: header, recipients, events, body
        app.push_screen(LogDetailScreen(hostile.everything_log))
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))
        detail = app.screen
        assert isinstance(detail, LogDetailScreen)
        await until(pilot, lambda: detail.detail is not None)
        await pilot.pause()
        shown = await check_scrolling(pilot, app, detail.query_one(VerticalScroll))
        assert "Re: [/docs] contract update" in shown  # the subject
        for name in ("osc52", "clear", "c1", "bidi", "nul", "nel", "lsep", *MARKUP):
            assert f"{name}: {SHOWN[name]}" in shown  # a line of the body

        # the resend dialog quotes the subject
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ResendDialog))
        await until(pilot, lambda: app.screen.original is not None)  # type: ignore[attr-defined]
        await pilot.pause(0.2)
        check_drawn(app, ["“Re: [/docs] contract update”"])
        await pilot.press("escape")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))

        # the palette lists the saved search by its name, with its filters
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"Saved")
        await pilot.pause(0.5)
        check_drawn(
            app,
            ["Saved search: [urgent] Q3 [draft] report", "search=Re: [/docs] contract update"],
        )


async def test_logs_opens_every_hostile_log(runtime: Runtime, hostile: Hostile) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for name, log_id in hostile.logs.items():
            app.push_screen(LogDetailScreen(log_id))
            await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))
            detail = app.screen
            assert isinstance(detail, LogDetailScreen)
            await until(pilot, lambda d=detail: d.detail is not None)  # type: ignore[misc]
            await pilot.pause()
            screen = check_drawn(app)
            assert SHOWN[name][:60] in screen
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, LogsScreen))


async def test_files_list_previews_dialogs_and_transfers(
    runtime: Runtime, hostile: Hostile, tmp_path: Path
) -> None:
    runtime.identity = replace(runtime.whoami(), role="admin")  # purge is for admins
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, FilesScreen)
        await until(pilot, lambda: len(screen._records) > len(hostile.files))
        await pilot.pause()
        check_drawn(app, [SHOWN[name][:20] for name in SHORT + list(MARKUP)])
        table = screen.query_one("#files-table", DataTable)
        for rid in [hostile.contents_file, *hostile.files.values()]:
            table.move_cursor(row=table.get_row_index(rid))
            await until(
                pilot,
                lambda r=rid: (
                    screen.previewed is not None  # type: ignore[misc]
                    and str(screen.previewed.record.id) == r
                ),
            )
            await pilot.pause()
            check_drawn(app)
        # the contents of the .txt, line by line in the preview
        table.move_cursor(row=table.get_row_index(hostile.contents_file))
        await until(
            pilot,
            lambda: (
                screen.previewed is not None
                and str(screen.previewed.record.id) == hostile.contents_file
            ),
        )
        await pilot.pause()
        check_drawn(app, ["osc52: clip ␛]52;c;ZXZpbA==␇ board", "markup_close: Re: [/docs]"])

        # dialogs and notifications that quote a file's name
        rid = hostile.files["markup_close"]
        table.move_cursor(row=table.get_row_index(rid))
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, FilesVersionsDialog))
        await pilot.pause()
        check_drawn(app, ["Versions of Re: [/docs] contract update.txt"])
        await pilot.press("escape")
        await pilot.press("P")
        await pilot.pause(0.2)
        check_drawn(app, ["Purge this file?", "Re: [/docs] contract update.txt"])
        await pilot.press("escape")
        await pilot.press("x")  # the confirmation and the notification quote the name
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.pause(0.2)
        check_drawn(app, ["Delete this file?", "Re: [/docs] contract update.txt"])
        await pilot.press("y")
        await until(pilot, lambda: bool(app.screen.query(Toast)))
        await pilot.pause()
        check_drawn(app, ["Re: [/docs] contract update.txt deleted"])

        # a download: the transfers panel names the file
        record = screen._records[hostile.files["osc52"]]
        before = screen.finished_batches
        screen.start_download([record], DownloadPlan(tmp_path))
        await until(pilot, lambda: screen.finished_batches > before)
        await pilot.pause()
        assert screen.query_one(TransferPanel).rows
        check_drawn(app, ["↓ clip ␛]52;c;ZXZpbA==␇ board"])


async def test_suppressions_dashboard_and_stored_file_picker(
    runtime: Runtime, hostile: Hostile
) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("5")
        screen = app.screen
        assert isinstance(screen, SuppressionsScreen)
        await until(pilot, lambda: len(screen.entries) == len(hostile.texts))
        await pilot.pause()
        check_drawn(app, [SHOWN[name][:20] for name in SHORT + list(MARKUP)])
        table = screen.query_one("#sup-table", DataTable)
        table.move_cursor(
            row=[e.email for e in screen.entries].index("markup_close@hostile.example")
        )
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.pause()
        check_drawn(app, ["Re: [/docs] contract"])
        await pilot.press("escape")

        await pilot.press("4")
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        await until(
            pilot, lambda: "refreshes" in str(dashboard.query_one("#dash-summary").render())
        )
        check_drawn(app)

        await pilot.press("2")
        compose = app.screen
        assert isinstance(compose, ComposeScreen)
        await pilot.press("escape", "ctrl+f")
        await until(pilot, lambda: isinstance(app.screen, StoredFilePicker))
        picker = app.screen
        await until(pilot, lambda: picker.query_one(DataTable).row_count > len(hostile.files))
        await pilot.pause()
        check_drawn(app, [SHOWN[name][:20] for name in SHORT + list(MARKUP)])
        picker_table = picker.query_one(DataTable)
        picker_table.move_cursor(row=picker_table.get_row_index(hostile.files["markup_link"]))
        picker_table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: bool(compose.attachments))
        await pilot.pause()
        assert compose.query_one("#attachments", OptionList).option_count == 1
        check_drawn(app, ["[link=https://evil.example]click[/link].txt"])


def hostile_folder(root: Path) -> dict[str, str]:
    """A folder holding a file and a folder named by each corpus string a file system
    takes (no NUL, no '/', at most 255 bytes; the lone surrogate is the byte 0x80 a
    name can hold: Python reads it back as U+DC80). Returns name -> what it shows."""
    shown = {}
    for name, value in CORPUS.items():
        if "\x00" in value or "/" in value or name == "long":
            continue
        (root / f"{value}.txt").write_bytes(b"plain words\n")
        (root / f"dir {value}").mkdir()
        shown[name] = SHOWN[name]
    return shown


@pytest.mark.parametrize("dialog", ["upload", "download", "attach"])
async def test_local_file_names_in_the_directory_trees(
    runtime: Runtime, tmp_path: Path, dialog: str
) -> None:
    """Issue 12: the upload and download dialogs and Compose's local file picker list
    the operator's disk through tui/outside_text like any other outside text."""
    shown = hostile_folder(tmp_path)
    screens = {
        "upload": lambda: FilesUploadDialog(tmp_path),
        "download": lambda: FilesDownloadDialog(["report.pdf"], tmp_path),
        "attach": lambda: LocalFilePicker(tmp_path),
    }
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(screens[dialog]())
        await until(pilot, lambda: bool(app.screen.query(LocalTree)))
        tree = app.screen.query_one(LocalTree)
        entries = len(shown) if dialog == "download" else 2 * len(shown)
        await until(pilot, lambda: len(tree.root.children) == entries)
        await pilot.pause()
        pages = [check_drawn(app)]
        tree.scroll_end(animate=False)  # the tree scrolls: its last entries too
        await pilot.pause()
        pages.append(check_drawn(app))
        expected = [f"dir {text}" for text in shown.values()]
        if dialog != "download":  # the download dialog lists folders only
            expected += [f"{text}.txt" for text in shown.values()]
        missing = [text for text in expected if not any(text in page for page in pages)]
        assert not missing, "\n".join(pages)
