"""Pilot: the paged-table base the Logs and Files screens share, on a screen of numbers
whose pages the test holds back or fails at will: stale results are dropped, the next
page loads near the end with no row twice, a failed page can be retried, a bad query
line leaves the table alone (and says why on Enter), typing is debounced on the
leading edge, rows prepended keep the cursor on its row."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from core.errors import InputError
from core.runtime import Runtime
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.screens.paged_table import PagedTableScreen, PageSlice

SIZE = (160, 48)
PAGE = 20


class NumbersScreen(PagedTableScreen[str, int, int]):
    """0..total-1, those containing the search text; keyset on the number."""

    PREFIX = "num"
    QUERY_SCREEN = "files"  # free text: the digits a number holds
    LOAD_AHEAD = 5
    DEBOUNCE_SECONDS = 0.5  # long enough that a burst of Pilot key presses is one burst

    def __init__(self, total: int) -> None:
        super().__init__()
        self.total = total
        self.asked: list[tuple[str, int | None]] = []  # every fetch, in order
        self.gates: dict[tuple[str, int | None], threading.Event] = {}
        self.fail_after: set[int] = set()

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="num-filters"):
            yield from self.compose_query_line()
        yield Static("", id="num-summary", classes="summary")
        table: DataTable[Any] = DataTable(id="num-table", cursor_type="row")
        table.add_column("n", key="n")
        yield table

    def build_query(self) -> str:
        assert self.parsed is not None
        text = self.parsed.text
        if not text.isdigit() and text:
            raise InputError(f"Not a number: {text!r}.", "Type digits.")
        return text

    def fetch_page(self, runtime: Runtime, query: str, after: int | None) -> PageSlice[int, int]:
        self.asked.append((query, after))
        gate = self.gates.get((query, after))
        if gate is not None:
            assert gate.wait(10), "the test never released this page"
        if after is not None and after in self.fail_after:
            self.fail_after.discard(after)
            raise RuntimeError("the store went away")
        found = [n for n in range(self.total) if query in str(n) and (after is None or n > after)]
        rows = found[:PAGE]
        return PageSlice(rows, rows[-1] if len(found) > PAGE else None)

    def row_key(self, row: int) -> str:
        return str(row)

    def row_cells(self, row: int) -> Sequence[Any]:
        return [str(row)]

    def summary_text(self) -> str:
        return self.shown_phrase("numbers")


def shown(screen: NumbersScreen) -> list[int]:
    return [int(str(row.value)) for row in screen.table.rows]


def summary(screen: NumbersScreen) -> str:
    return str(screen.query_one("#num-summary", Static).render())


async def open_numbers(app: DepllcApp, pilot: Any, total: int) -> NumbersScreen:
    screen = NumbersScreen(total)
    await app.push_screen(screen)
    await until(pilot, lambda: screen.renders >= 1)
    return screen


async def test_pages_load_near_the_end_and_a_failed_page_is_retried(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_numbers(app, pilot, 70)
        assert screen._generation == 1  # one query when the screen opens, not one per class
        assert shown(screen) == list(range(PAGE))
        assert summary(screen) == "20 numbers (more below)"
        screen.fail_after.add(PAGE - 1)
        await pilot.press("ctrl+end")  # within LOAD_AHEAD of the end: the next page
        await until(pilot, lambda: any("store went away" in n.message for n in app._notifications))
        await until(pilot, lambda: not screen._loading_more)
        assert shown(screen) == list(range(PAGE))  # nothing appended, the flag reset
        await pilot.press("up", "down")  # moving again retries the same page
        await until(pilot, lambda: len(shown(screen)) == 2 * PAGE)
        while screen._next is not None:
            count = len(shown(screen))
            await pilot.press("ctrl+end")
            await until(pilot, lambda c=count: len(shown(screen)) > c)  # type: ignore[misc]
        assert shown(screen) == list(range(70))  # every row once, in order
        assert summary(screen) == "70 numbers"
        assert [after for _, after in screen.asked] == [None, 19, 19, 39, 59]


async def test_results_of_a_replaced_query_are_dropped(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_numbers(app, pilot, 200)
        # a next page still on its way when the filter changes
        held = screen.gates[("", PAGE - 1)] = threading.Event()
        await pilot.press("ctrl+end")
        await until(pilot, lambda: ("", PAGE - 1) in screen.asked)
        renders = screen.renders
        screen.query_line.value = "7"
        await until(pilot, lambda: screen.renders > renders)
        sevens = [n for n in range(200) if "7" in str(n)][:PAGE]
        assert shown(screen) == sevens
        held.set()  # the old query's page arrives late: it is not appended
        await pilot.pause(0.3)
        assert shown(screen) == sevens
        # a first page held back, then overtaken by a newer query
        late = screen.gates[("1", None)] = threading.Event()
        screen.query_line.value = "1"
        await until(pilot, lambda: ("1", None) in screen.asked)
        screen.query_line.value = "19"
        nineteens = [n for n in range(200) if "19" in str(n)]
        await until(pilot, lambda: shown(screen) == nineteens)
        late.set()
        await pilot.pause(0.3)
        assert shown(screen) == nineteens


async def test_a_bad_filter_is_shown_and_leaves_the_table(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_numbers(app, pilot, 50)
        box = screen.query_line
        box.focus()
        await pilot.press("x", "1")
        await pilot.pause(0.6)
        assert not screen.summary.has_class("-error")  # not while typing
        await pilot.press("enter")
        await until(pilot, lambda: screen.summary.has_class("-error"))
        assert summary(screen) == "Not a number: 'x1'. Type digits."
        assert box.has_class("-invalid")
        assert shown(screen) == list(range(PAGE))
        assert app.focused is box  # Enter on a bad line stays in it
        box.value = "3"
        await until(pilot, lambda: not screen.summary.has_class("-error"))
        await until(pilot, lambda: shown(screen) == [n for n in range(50) if "3" in str(n)])
        assert not box.has_class("-invalid")
        await pilot.press("enter")  # submitting goes back to the table
        assert app.focused is screen.table


async def test_typing_queries_at_once_then_when_it_pauses(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_numbers(app, pilot, 500)
        screen.action_focus_query()
        screen.asked.clear()
        await pilot.press("1", "2", "3")
        await until(pilot, lambda: shown(screen) == [123])
        assert [query for query, _ in screen.asked] == ["1", "123"]


async def test_prepended_rows_keep_the_cursor_on_its_row(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_numbers(app, pilot, 50)
        screen.table.move_cursor(row=2)
        assert screen.selected_key() == "2"
        assert screen.prepend_rows([-2, -1, 0]) == 2  # 0 is shown already
        assert shown(screen)[:4] == [-2, -1, 0, 1]
        assert screen.selected_key() == "2"
        assert screen.table.cursor_row == 4
        assert summary(screen) == "22 numbers (more below)"
