"""What the Logs and Files screens share: a query line and selects over a
keyset-paged table.

The query line (`/`, core/query_line.py syntax) is the filter; the Selects of the
filter bar (for the mouse, and to discover the values) rewrite their key in it and
show what it says. A Select applies at once; typing applies with a leading-edge
debounce (the first keystroke after a pause queries at once, a burst queries again
when it pauses) whenever the line parses; Enter applies it, says what is wrong if it
does not parse, and returns to the table. Each query runs in an exclusive thread
worker, so the UI never waits on the store, and carries a generation number: results
of a query that a newer one replaced are dropped. The next page loads when the cursor
comes within LOAD_AHEAD rows of the end. A row is never shown twice.

A screen names its widgets `#<prefix>-filters` (holding the query line
`#<prefix>-query` and the Selects named in SELECT_KEYS), `#<prefix>-summary` and
`#<prefix>-table`, and fills in the hooks: `build_query` (from `self.parsed`),
`fetch_page` (runs in a thread), `row_key`, `row_cells`, `summary_text`; optionally
`fetch_count`, `query_started` and `first_page_shown`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import get_current_worker

from core.query_line import Query, Screen, replace_terms
from tui import outside_text
from tui.screens.base import ServiceScreen
from tui.widgets.query_line import QueryCompletion, QueryLine
from tui.widgets.row_table import RowTable

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from core.runtime import Runtime

QueryT = TypeVar("QueryT")
CursorT = TypeVar("CursorT")
RowT = TypeVar("RowT")


def query_binding(screen: str, example: str) -> Binding:
    """`/` to the query line of a paged screen, its tooltip an example query."""
    return Binding(
        "slash",
        "focus_query",
        "Query",
        key_display="/",
        tooltip=f"Query line: {example} (Tab completes, ↑ earlier ones)",
        id=f"{screen}.query",
    )


@dataclass
class PageSlice(Generic[RowT, CursorT]):
    """One page as the table needs it: its rows, and where the next page starts
    (None: nothing more below)."""

    rows: Sequence[RowT]
    next_cursor: CursorT | None


class PagedRowTable(RowTable[Any]):
    """The paged screens' table: End goes to the last row of the whole list (the
    screen, a PagedTableScreen or another with a `go_to_last_row`, loads the pages
    not shown yet), not to the last row loaded, which would only fetch the next page."""

    def action_scroll_bottom(self) -> None:
        go_to_last_row = getattr(self.screen, "go_to_last_row", None)
        if callable(go_to_last_row):
            go_to_last_row()
        else:
            super().action_scroll_bottom()


class PagedTableScreen(ServiceScreen, Generic[QueryT, CursorT, RowT]):
    """A screen whose main widget is a DataTable of keyset pages under a filter bar."""

    PREFIX: ClassVar[str] = ""  # widget ids are `#<PREFIX>-table` and so on
    DEBOUNCE_SECONDS: ClassVar[float] = 0.1
    LOAD_AHEAD: ClassVar[int] = 15  # rows before the end at which the next page is fetched
    END_CAP: ClassVar[int] = 2_000  # End loads the rest of the list up to this many rows
    COUNTS: ClassVar[bool] = False  # run `fetch_count` after each first page
    NOUN: ClassVar[str] = "rows"  # what the rows are, in the summary
    QUERY_SCREEN: ClassVar[Screen]  # whose keys the query line takes
    SELECT_KEYS: ClassVar[dict[str, str]] = {}  # filter-bar Select id -> its query key
    DEFAULT_CSS = """
    PagedTableScreen .summary.-error {
        color: $error;
    }
    PagedTableScreen QueryLine.-invalid {
        background: $error 30%;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._generation = 0  # bumped by every query; older results are dropped
        self._shown_generation = -1  # the query whose rows the table shows
        self._query: QueryT | None = None  # the query the table shows (None: invalid filters)
        self._next: CursorT | None = None
        self._loading_more = False
        self._rows: dict[str, RowT] = {}  # by row key, in table order
        self._debounce: Timer | None = None
        self._last_keystroke = 0.0
        self.parsed: Query | None = None  # the query line, as last parsed
        self.count_label = ""  # "~520", "10,000+"; "" until the count arrives
        self.renders = 0  # how many times the table was refilled (for tests/benchmarks)
        self.last_render = 0.0

    # --- hooks -------------------------------------------------------------------

    def build_query(self) -> QueryT:
        """The listing's query from `self.parsed` (the query line); raise InputError
        (or ValueError) when it is not valid: the summary line shows why."""
        raise NotImplementedError

    def fetch_page(
        self, runtime: Runtime, query: QueryT, after: CursorT | None
    ) -> PageSlice[RowT, CursorT]:
        """One page after `after` (the first page when None). Runs in a thread."""
        raise NotImplementedError

    def fetch_count(self, runtime: Runtime, query: QueryT) -> str:
        """How many rows match, as shown ("~520"). Runs in a thread; used when COUNTS."""
        raise NotImplementedError

    def row_key(self, row: RowT) -> str:
        raise NotImplementedError

    def row_cells(self, row: RowT) -> Sequence[Any]:
        """The cells of a row, in column order."""
        raise NotImplementedError

    def summary_text(self) -> str | Text:
        """The line above the table (see `shown_phrase`)."""
        return self.shown_phrase(self.NOUN)

    def query_started(self) -> None:
        """A valid query was just started (the table still shows the previous rows)."""

    def first_page_shown(self) -> None:
        """The table was refilled with a first page."""

    # --- widgets -----------------------------------------------------------------

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one(f"#{self.PREFIX}-table", DataTable)

    @property
    def filter_bar(self) -> Widget:
        return self.query_one(f"#{self.PREFIX}-filters")

    @property
    def summary(self) -> Static:
        return self.query_one(f"#{self.PREFIX}-summary", Static)

    @property
    def query_line(self) -> QueryLine:
        return self.query_one(f"#{self.PREFIX}-query", QueryLine)

    def compose_query_line(self) -> ComposeResult:
        line = QueryLine(self.QUERY_SCREEN, id=f"{self.PREFIX}-query")
        yield line
        yield QueryCompletion(line)

    def _in_filter_bar(self, widget: Widget) -> bool:
        return self.filter_bar in widget.ancestors

    @property
    def _select_values(self) -> dict[str, set[str]]:
        """The values each mirrored Select offers."""
        return {
            widget_id: {str(value) for _, value in self.query_one(f"#{widget_id}", Select)._options}
            for widget_id in self.SELECT_KEYS
        }

    def on_mount(self) -> None:
        # Textual calls each class's on_mount in turn (no super() call): then
        # ServiceScreen's, which loads the first page
        self.filter_bar.add_class("filter-bar")
        self.table.focus()

    def refresh_data(self) -> None:
        self.apply_filters()

    # --- the query line and the filter bar ---------------------------------------

    @on(Select.Changed)
    def _filter_select_changed(self, event: Select.Changed) -> None:
        """A Select rewrites its key in the query line, then the line applies."""
        if not self._in_filter_bar(event.select):
            return
        event.stop()
        key = self.SELECT_KEYS.get(event.select.id or "")
        if key is not None:
            value = event.value if isinstance(event.value, str) else ""
            line = self.query_line
            with self.prevent(Input.Changed):
                line.set_text(replace_terms(line.value, self.QUERY_SCREEN, key, [value]))
        self.apply_filters()

    @on(Input.Changed)
    def _filter_input_changed(self, event: Input.Changed) -> None:
        """Leading-edge debounce: the first keystroke after a pause queries at once;
        a burst of typing queries again once it pauses for DEBOUNCE_SECONDS. A line
        that does not parse (yet) leaves the table as it is."""
        if not self._in_filter_bar(event.input):
            return
        event.stop()
        now = time.monotonic()
        quiet = now - self._last_keystroke >= self.DEBOUNCE_SECONDS
        self._last_keystroke = now
        self._stop_debounce()
        if quiet:
            self.apply_filters(typing=True)
        else:
            self._debounce = self.set_timer(
                self.DEBOUNCE_SECONDS, partial(self.apply_filters, typing=True)
            )

    @on(QueryLine.Applied)
    def _query_applied(self, event: QueryLine.Applied) -> None:
        event.stop()
        if self.apply_filters():
            from tui.screens.case import open_named_case

            event.line.remember()
            self.action_focus_table()
            open_named_case(self, event.line.value, self.QUERY_SCREEN)  # an address alone

    @on(QueryLine.Left)
    def _query_left(self, event: QueryLine.Left) -> None:
        event.stop()
        self.action_focus_table()

    def _stop_debounce(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None

    def set_query(self, text: str) -> None:
        """Put a line in the query line and apply it (saved searches, the palette)."""
        with self.prevent(Input.Changed):
            self.query_line.set_text(text)
        if self.apply_filters():
            self.query_line.remember()

    def _show_parsed(self, parsed: Query) -> None:
        """The Selects show what the line says."""
        with self.prevent(Select.Changed):
            for widget_id, key in self.SELECT_KEYS.items():
                select = self.query_one(f"#{widget_id}", Select)
                value = parsed.get(key)
                if value is None or value not in self._select_values[widget_id]:
                    select.clear()
                elif select.value != value:
                    select.value = value

    def apply_filters(self, typing: bool = False) -> bool:
        """Parse the query line and start its query (the previous one is dropped);
        False when the line is not valid (while `typing`, nothing changes then)."""
        from core.errors import InputError, describe
        from core.query_line import parse

        self._stop_debounce()
        if self.runtime is None:
            return False
        summary = self.summary
        line = self.query_line
        try:
            self.parsed = parse(line.value, self.QUERY_SCREEN)
            query = self.build_query()
        except (InputError, ValueError) as exc:
            if typing:
                return False
            self._generation += 1  # results of an older query no longer apply
            summary.add_class("-error")
            summary.update(outside_text.text(describe(exc).text, no_wrap=False))
            line.add_class("-invalid")
            return False
        line.remove_class("-invalid")
        summary.remove_class("-error")
        self._show_parsed(self.parsed)
        self._query = query
        self.query_started()
        self.reload_first_page()
        return True

    def reload_first_page(self) -> None:
        """Run the current query again from its first page (the cursor stays on the
        same row when that row is on the new first page)."""
        if self._query is None or self.runtime is None:
            return
        self._generation += 1
        self._next = None
        self._loading_more = False
        self._start("query", partial(self._fetch_first, self._query, self._generation))

    # --- workers -------------------------------------------------------------------

    def _start(self, group: str, call: Callable[[], None]) -> None:
        """Run `call` in a thread worker, replacing the group's previous one (a
        replaced worker still runs to its end: its results are dropped)."""
        self.run_worker(
            call, group=f"{self.PREFIX}-{group}", thread=True, exclusive=True, exit_on_error=False
        )

    def _fetch_first(self, query: QueryT, generation: int) -> None:
        runtime = self.runtime
        assert runtime is not None
        page = self.fetch_page(runtime, query, None)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_first, generation, page)

    def _fetch_more(self, query: QueryT, after: CursorT, generation: int) -> None:
        runtime = self.runtime
        assert runtime is not None
        try:
            page = self.fetch_page(runtime, query, after)
        except BaseException:
            self.app.call_from_thread(self._more_failed, generation)
            raise
        self.app.call_from_thread(self._show_more, generation, page)

    def _fetch_rest(self, query: QueryT, after: CursorT, generation: int, room: int) -> None:
        """Pages after `after` until the list ends or `room` rows came (for End)."""
        runtime = self.runtime
        assert runtime is not None
        rows: list[RowT] = []
        cursor: CursorT | None = after
        worker = get_current_worker()
        while cursor is not None and len(rows) < room and not worker.is_cancelled:
            page = self.fetch_page(runtime, query, cursor)
            rows += page.rows
            cursor = page.next_cursor
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_rest, generation, PageSlice(rows, cursor))

    def _fetch_count(self, query: QueryT, generation: int) -> None:
        runtime = self.runtime
        assert runtime is not None
        found = self.fetch_count(runtime, query)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_count, generation, found)

    # --- results -------------------------------------------------------------------

    def query_is_current(self, generation: int) -> bool:
        """Whether results started at `generation` still apply."""
        return generation == self._generation

    def _show_first(self, generation: int, page: PageSlice[RowT, CursorT]) -> None:
        if not self.query_is_current(generation):
            return
        table = self.table
        selected = self.selected_key()
        table.clear()
        self._rows.clear()
        self.add_rows(page.rows)
        self._shown_generation = generation
        self._next = page.next_cursor
        if selected is not None and selected in self._rows:
            table.move_cursor(row=table.get_row_index(selected))
        self.renders += 1
        self.last_render = time.perf_counter()
        self.count_label = ""
        self.update_summary()
        self.first_page_shown()
        self.recount()  # the count follows the rows, never delays them

    def recount(self) -> None:
        """Fetch the count of the current query again (when the screen COUNTS)."""
        if self.COUNTS and self._query is not None:
            call = partial(self._fetch_count, self._query, self._generation)
            self._start("count", call)

    def _show_more(self, generation: int, page: PageSlice[RowT, CursorT]) -> None:
        if not self.query_is_current(generation):
            return  # a newer query reset the paging state itself
        self._loading_more = False
        self.add_rows(page.rows)
        self._next = page.next_cursor
        self.update_summary()

    @property
    def settled(self) -> bool:
        """The table shows the first page(s) of the current query (none is loading)."""
        return self._query is not None and self._shown_generation == self._generation

    def go_to_last_row(self) -> None:
        """End: the last row of the list, loading the pages not yet shown (up to
        END_CAP rows; beyond, the last row loaded and a word on reversing the sort)."""
        table = self.table
        if self._next is None or self._query is None:
            table.move_cursor(row=table.row_count - 1)
            return
        self._loading_more = True  # no page-ahead while the rest loads
        room = max(0, self.END_CAP - table.row_count)
        self.summary.update(Text(f"{self.shown_phrase(self.NOUN)} · loading to the end…"))
        call = partial(self._fetch_rest, self._query, self._next, self._generation, room)
        self._start("more", call)

    def _show_rest(self, generation: int, page: PageSlice[RowT, CursorT]) -> None:
        if not self.query_is_current(generation):
            return
        self.add_rows(page.rows)
        self._next = page.next_cursor
        self.table.move_cursor(row=self.table.row_count - 1)
        self._loading_more = False
        self.update_summary()
        if page.next_cursor is not None:
            self.notify(
                f"End shows the first {self.table.row_count:,} {self.NOUN}; "
                "reverse the sort to see the last ones.",
                title="More below",
            )

    def _more_failed(self, generation: int) -> None:
        if self.query_is_current(generation):
            self._loading_more = False
            self.update_summary()

    def _show_count(self, generation: int, label: str) -> None:
        if self.query_is_current(generation):
            self.count_label = label
            self.update_summary()

    def add_rows(self, rows: Iterable[RowT]) -> None:
        """Append rows to the table, skipping any already shown."""
        table = self.table
        for row in rows:
            key = self.row_key(row)
            if key in self._rows:
                continue
            self._rows[key] = row
            table.add_row(*self.row_cells(row), key=key)

    def redraw_rows(self, keep: str | None = None) -> None:
        """Draw every shown row again (cells that depend on the terminal's width), the
        cursor staying on its row (`keep`: that row's key, when the caller cleared the
        table first)."""
        table = self.table
        selected = keep if keep is not None else self.selected_key()
        rows = list(self._rows.values())
        table.clear()
        self._rows.clear()
        self.add_rows(rows)
        if selected is not None and selected in self._rows:
            table.move_cursor(row=table.get_row_index(selected))

    def replace_rows(self, rows: Iterable[RowT]) -> None:
        """Newer versions of shown rows: update their cells in place (rows not shown
        are ignored)."""
        table = self.table
        columns = [column.key for column in table.ordered_columns]
        for row in rows:
            key = self.row_key(row)
            if key not in self._rows:
                continue
            self._rows[key] = row
            for column, value in zip(columns, self.row_cells(row), strict=True):
                table.update_cell(key, column, value)

    def prepend_rows(self, rows: Sequence[RowT]) -> int:
        """Put rows above those shown (new rows that sort first), keeping the cursor
        on the row it was on. Returns how many were added."""
        new = [row for row in rows if self.row_key(row) not in self._rows]
        if not new:
            return 0
        table = self.table
        selected = self.selected_key()
        shown = list(self._rows.values())
        table.clear()
        self._rows.clear()
        self.add_rows([*new, *shown])
        if selected is not None:
            table.move_cursor(row=table.get_row_index(selected))
        self.update_summary()
        self.recount()
        return len(new)

    def update_summary(self) -> None:
        if self._query is not None:
            self.summary.update(self.summary_text())

    def shown_phrase(self, noun: str) -> str:
        """`60 of ~520 logs (more below)`."""
        total = f" of {self.count_label}" if self.count_label else ""
        more = " (more below)" if self._next is not None else ""
        return f"{len(self._rows):,}{total} {noun}{more}"

    @on(DataTable.RowHighlighted)
    def _load_more_near_the_end(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if (
            table is self.table
            and self._next is not None
            and not self._loading_more
            and self._query is not None
            and event.cursor_row >= table.row_count - self.LOAD_AHEAD
        ):
            self._loading_more = True
            call = partial(self._fetch_more, self._query, self._next, self._generation)
            self._start("more", call)

    # --- selection and navigation ------------------------------------------------

    def selected_key(self) -> str | None:
        """The key of the row under the cursor."""
        table = self.table
        if table.row_count == 0 or not table.is_valid_row_index(table.cursor_row):
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def at_top(self) -> bool:
        """The first rows are on screen (the reader is not further down the list)."""
        return self.table.scroll_y == 0

    def action_focus_query(self) -> None:
        line = self.query_line
        line.focus()
        line.cursor_position = len(line.value)

    def action_focus_table(self) -> None:
        self.table.focus()

    def action_reload(self) -> None:
        self.apply_filters()
