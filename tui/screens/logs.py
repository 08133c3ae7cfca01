"""Logs screen: browse, filter, search and triage email logs.

A query line (`/`: free text plus status: cat: prio: since: to: client: has: ...) and
the selects that mirror it (status, category, priority, since) are applied as you
type: Selects at once, text after a short debounce, each query in an exclusive thread
worker so the UI never waits on the store. Pages load with keyset
pagination as the cursor nears the end. Keys act on the highlighted message: open,
resend, suppress / unsuppress a recipient, copy its SES MessageId (OSC 52), export the
filtered result, save and recall searches (also from the command palette).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Select, Static
from textual.worker import get_current_worker

from tui import outside_text
from tui.messages import LogsChanged
from tui.palette import ScreenCommands, query_commands
from tui.screens.paged_table import PagedRowTable, PagedTableScreen, PageSlice, query_binding
from tui.screens.resend_action import ResendAction
from tui.screens.suppression_actions import SuppressionActions

if TYPE_CHECKING:
    from core.logs.query import Cursor, FilterSet, Page
    from core.mail.send import SendResult
    from core.runtime import Runtime
    from core.validation import EmailQuery

DEBOUNCE_SECONDS = 0.1
PAGE_SIZE = 60  # a screenful and more; the next page loads as the cursor nears the end
LOAD_AHEAD = 15  # rows before the end at which the next page is fetched
NEW_CHECK_SECONDS = 0.3  # events for logs not shown: look for new ones at most this often

STATUSES = ("queued", "sent", "delivered", "bounced", "complaint", "failed")
CATEGORIES = ("auth", "notification", "marketing", "system", "client-portal")
PRIORITIES = ("low", "normal", "high", "urgent")
SINCE = (
    ("last 24 hours", "24h"),
    ("today", "today"),
    ("last 7 days", "7d"),
    ("last 30 days", "30d"),
)
STATUS_STYLE = {
    "unreadable": "bold red",
    "queued": "dim",
    "sent": "cyan",
    "delivered": "green",
    "bounced": "bold red",
    "complaint": "bold magenta",
    "failed": "red",
}
PRIORITY_STYLE = {"urgent": "bold red", "high": "yellow", "low": "dim"}
# column key -> (label, sort field or None), in the order shown
COLUMNS: dict[str, tuple[str, str | None]] = {
    "time": ("Time", "createdAt"),
    "status": ("Status", "status"),
    "to": ("To", None),
    "subject": ("Subject", "subject"),
    "category": ("Category", "category"),
    "priority": ("Priority", None),
    "events": ("Events", None),
}
# Widths: time and status always show; To and Subject share what is left; the rest
# give way as the terminal narrows, last in this list first.
FIXED_WIDTHS = {"status": 9, "category": 13, "priority": 8, "events": 12}
OPTIONAL = ("category", "priority", "events")
# where Events does not fit whole, its last event alone ("delay" on a `sent` row, "open"
# or "click" on a delivered one): what the status cannot say, at 80 columns too
NARROW_WIDTHS = {"events": 6}
TO_WIDTH = (20, 40)  # at least, at most
SUBJECT_MIN = 22
CELL_PADDING = 2  # DataTable pads each cell by one on either side
# the recipient that matters in a list: the worst outcome (then the first listed)
RECIPIENT_RANK = {"delivered": 0, "sent": 1, "queued": 2, "failed": 3, "bounced": 4, "complaint": 5}


def plan_columns(width: int) -> dict[str, int]:
    """Column widths for a table `width` cells wide (scrollbar included): Time and
    Status always; To and Subject take what is left after the optional columns that
    still fit (Category, then Priority, then Events)."""
    usable = width - 2  # the vertical scrollbar
    time_width = 16 if usable >= 100 else 11
    widths = {"time": time_width, "status": FIXED_WIDTHS["status"]}
    needed = TO_WIDTH[0] + SUBJECT_MIN + 4 * CELL_PADDING + time_width + widths["status"]
    optional: dict[str, int] = {}
    for key in OPTIONAL:
        for key_width in (FIXED_WIDTHS[key], NARROW_WIDTHS.get(key, 0)):
            if key_width and needed + key_width + CELL_PADDING <= usable:
                optional[key] = key_width
                needed += key_width + CELL_PADDING
                break
    left = usable - needed + TO_WIDTH[0] + SUBJECT_MIN
    to_width = max(TO_WIDTH[0], min(TO_WIDTH[1], left * 2 // 5))
    plan = widths | {"to": to_width, "subject": max(SUBJECT_MIN, left - to_width)}
    plan |= optional
    return {key: plan[key] for key in COLUMNS if key in plan}


SORT_CYCLE = ("createdAt", "subject", "category", "status")
EVENT_SHORT = {
    "delivery": "dlv",
    "deliveryDelay": "delay",
    "complaint": "cmpl",
    "renderingFailure": "render",
    "subscription": "unsub",
}


def _local(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    return ""


def _recipients(doc: dict[str, Any]) -> list[str]:
    return [*(doc.get("to") or []), *(doc.get("cc") or []), *(doc.get("bcc") or [])]


def _events_cell(doc: dict[str, Any], width: int | None = None) -> Text:
    """The log's events, short and counted (`dlv open×2 click`); narrower than Events'
    full width, the last one alone."""
    events = doc.get("events") or []
    if not events:
        return Text("-", style="dim")
    from core.vocabulary import event_kind

    kinds = [
        str(event_kind(e.get("type"), e.get("metadata")) or e.get("type", "?"))
        if isinstance(e, dict)
        else "?"
        for e in events
    ]
    types = [EVENT_SHORT.get(k, k) for k in kinds]
    if width is not None and width < FIXED_WIDTHS["events"]:
        last = next((t for t in reversed(types) if t != "send"), "send")
        return outside_text.text(last, width=width, style="dim" if last == "send" else "")
    counts = {t: types.count(t) for t in dict.fromkeys(types)}
    parts = [t if n == 1 else f"{t}×{n}" for t, n in counts.items() if t != "send"]
    return outside_text.text(" ".join(parts) or "send", style="dim" if parts == [] else "")


def recipient_that_matters(doc: dict[str, Any]) -> str:
    """The recipient a person looks for first: the worst outcome (a complaint, a
    bounce, a failure) among the log's recipients, else the first one."""
    rows = [r for r in doc.get("recipientStatus") or [] if isinstance(r, dict) and r.get("email")]
    if rows:  # max keeps the first of equals: the first listed when all went alike
        worst = max(rows, key=lambda r: RECIPIENT_RANK.get(str(r.get("status")), 0))
        return str(worst["email"])
    people = _recipients(doc)
    return str(people[0]) if people else "-"


def to_cell(doc: dict[str, Any], width: int) -> Text:
    """The recipient that matters, `+N` for the others, cut with an ellipsis."""
    people = list(dict.fromkeys(str(p) for p in _recipients(doc)))  # a CRM may store oddities
    who = recipient_that_matters(doc)
    more = f" +{len(people) - 1}" if len(people) > 1 else ""
    shown = outside_text.text(who, width=max(width - len(more), 4))
    return shown + Text(more, style="dim")


def log_cells(doc: dict[str, Any], widths: dict[str, int] | None = None) -> dict[str, Any]:
    """The table cells of one log, by column key, cut to `widths` (with an ellipsis)."""
    from core.logs.query import row_problem

    widths = widths or plan_columns(160)
    status = "unreadable" if row_problem(doc) else str(doc.get("status", ""))
    priority = str(doc.get("priority", ""))
    created = doc.get("createdAt")
    time = _local(created)
    if widths.get("time", 16) < 16 and isinstance(created, datetime):
        time = created.astimezone().strftime("%m-%d %H:%M")
    return {
        "time": Text(time),
        "status": outside_text.text(status, style=STATUS_STYLE.get(status, "")),
        "to": to_cell(doc, widths.get("to", TO_WIDTH[1])),
        "subject": outside_text.text(doc.get("subject", ""), width=widths.get("subject")),
        "category": outside_text.text(doc.get("category", "")),
        "priority": outside_text.text(priority, style=PRIORITY_STYLE.get(priority, "")),
        "events": _events_cell(doc, widths.get("events")),
    }


# the palette's ready-made queries: (title, query line)
QUICK_QUERIES: tuple[tuple[str, str], ...] = (
    *((f"status {s}", f"status:{s}") for s in ("bounced", "complaint", "failed", "queued")),
    ("bounces this week", "status:bounced since:7d"),
    ("complaints this week", "status:complaint since:7d"),
    ("failed password resets and logins this week", "cat:auth status:failed since:7d"),
    ("with attachments", "has:attachment"),
)


class SavedSearchCommands(ScreenCommands):
    """Command palette: recall a saved search, save or export the current one."""

    def _logs_screen(self) -> LogsScreen | None:
        screen = self.screen
        return screen if isinstance(screen, LogsScreen) else None

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        from core.errors import DepllcError
        from core.logs import saved

        screen = self._logs_screen()
        if screen is None:
            return []
        found = query_commands("Logs", screen.set_query, list(QUICK_QUERIES))
        found += [
            ("Logs: save this search", "Name the current filters (Ctrl+S)", screen.action_save),
            ("Logs: export the filtered logs", "CSV or JSON Lines (key e)", screen.action_export),
            ("Logs: clear the filters", "Show every log (ctrl+u)", screen.action_clear),
        ]
        try:
            entries = saved.load_all()
        except DepllcError:
            entries = {}
        for name, filters in entries.items():
            found.append(
                (f"Saved search: {name}", filters.describe(), partial(screen.apply_saved, name))
            )
        return found


class LogsScreen(
    SuppressionActions, ResendAction, PagedTableScreen["EmailQuery", "Cursor", dict[str, Any]]
):
    TITLE = "Logs"
    PREFIX = "logs"
    NOUN = "logs"
    DEBOUNCE_SECONDS = DEBOUNCE_SECONDS
    LOAD_AHEAD = LOAD_AHEAD
    COUNTS = True
    QUERY_SCREEN = "logs"
    SELECT_KEYS: ClassVar[dict[str, str]] = {
        "logs-status": "status",
        "logs-category": "cat",
        "logs-priority": "prio",
        "logs-since": "since",
    }
    COMMANDS: ClassVar[set[Any]] = {SavedSearchCommands}
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        query_binding("logs", "status:bounced since:7d ann@x.com"),
        Binding("r", "resend", "Resend", id="logs.resend"),
        Binding("s", "suppress", "Suppress", id="logs.suppress"),
        Binding("u", "unsuppress", "Lift suppression", id="logs.unsuppress"),
        Binding("y", "copy_id", "Copy id", id="logs.copy"),
        Binding("c", "case", "Case", id="logs.case"),
        Binding("e", "export", "Export", id="logs.export"),
        Binding("ctrl+s", "save", "Save search", id="logs.save"),
        Binding("apostrophe", "recall", "Saved", key_display="'", id="logs.recall"),
        Binding("o", "cycle_sort", "Sort", id="logs.sort"),
        Binding("O", "flip_sort", "Reverse", show=False, id="logs.sort.flip"),
        Binding("ctrl+u", "clear", "Clear filters", show=False, id="logs.clear"),
        Binding("ctrl+l,f5", "reload", "Reload", show=False, id="logs.reload"),
        Binding("escape", "focus_table", "To table", show=False, id="logs.table"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._filters: FilterSet | None = None
        self._sort_field = "createdAt"
        self._sort_dir = "desc"
        self._new_check: Timer | None = None
        self._widths = plan_columns(160)  # set from the terminal's width when shown
        self.new_above = 0  # new logs found while the reader was down the list
        self.live_added = 0  # logs put on top of the table as they arrived (for tests)

    @property
    def _docs(self) -> dict[str, dict[str, Any]]:
        """The logs shown, by row key (str of `_id`), in table order."""
        return self._rows

    # --- layout ----------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Vertical(id="logs-filters", classes="filter-bar"):
            yield from self.compose_query_line()
            with Horizontal(id="logs-selects", classes="filter-selects"):
                yield Select(
                    [(s, s) for s in STATUSES],
                    prompt="(any status)",
                    id="logs-status",
                    compact=True,
                )
                yield Select(
                    [(c, c) for c in CATEGORIES],
                    prompt="(any category)",
                    id="logs-category",
                    compact=True,
                )
                yield Select(
                    [(p, p) for p in PRIORITIES],
                    prompt="(any priority)",
                    id="logs-priority",
                    compact=True,
                )
                yield Select(SINCE, prompt="(any time)", id="logs-since", compact=True)
        yield Static("Loading…", id="logs-summary", classes="summary")
        table: DataTable[Any] = PagedRowTable(
            id="logs-table", cursor_type="row", zebra_stripes=True
        )
        for key, width in self._widths.items():
            table.add_column(COLUMNS[key][0], key=key, width=width)
        yield table

    def on_mount(self) -> None:  # then the base classes' own (Textual calls each)
        self._label_columns()

    # --- the paged table's hooks ---------------------------------------------------

    def current_filters(self) -> FilterSet:
        """The query line as a FilterSet, with the table's sort."""
        from core.logs.query import FilterSet
        from core.query_line import log_filters, parse

        parsed = self.parsed or parse(self.query_line.value, "logs")
        return log_filters(parsed, FilterSet(sortBy=self._sort_field, sortOrder=self._sort_dir))

    def build_query(self) -> EmailQuery:
        filters = self.current_filters()
        query = filters.to_query(limit=PAGE_SIZE)
        self._filters = filters  # only once valid: the summary describes it
        return query

    def query_started(self) -> None:
        self.new_above = 0  # the new query shows them
        self._label_columns()

    def fetch_page(
        self, runtime: Runtime, query: EmailQuery, after: Cursor | None
    ) -> PageSlice[dict[str, Any], Cursor]:
        from core.logs.query import fetch_page

        page = fetch_page(runtime.store, query, after=after)
        return PageSlice(page.rows, page.next_cursor)

    def fetch_count(self, runtime: Runtime, query: EmailQuery) -> str:
        from core.logs.query import count

        return count(runtime.store, query).label()

    def row_key(self, row: dict[str, Any]) -> str:
        return str(row["_id"])

    def row_cells(self, row: dict[str, Any]) -> list[Any]:
        cells = log_cells(row, self._widths)
        return [cells[c] for c in self._widths]

    def on_resize(self, event: events.Resize) -> None:
        self.fit_columns(event.size.width)

    def fit_columns(self, width: int) -> None:
        """Columns for this width: those that no longer fit give way, To and Subject
        take the rest (the rows are drawn again, the cursor stays on its log)."""
        widths = plan_columns(width)
        if widths == self._widths:
            return
        self._widths = widths
        table = self.table
        selected = self.selected_key()
        table.clear(columns=True)
        for key, column_width in widths.items():
            table.add_column(COLUMNS[key][0], key=key, width=column_width)
        self.redraw_rows(keep=selected)
        self._label_columns()

    def summary_text(self) -> Text:
        label = "time" if self._sort_field == "createdAt" else self._sort_field
        arrow = "↓" if self._sort_dir == "desc" else "↑"
        described = self._filters.describe() if self._filters is not None else ""
        more = "+" if self.new_above >= PAGE_SIZE else ""
        new = f" · {self.new_above}{more} new above: ctrl+home shows them" if self.new_above else ""
        return outside_text.text(
            f"{self.shown_phrase(self.NOUN)}{new} · {described} · sorted by {label} {arrow}",
            no_wrap=False,
        )

    @on(DataTable.RowSelected, "#logs-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        from tui.screens.log_detail import LogDetailScreen

        if event.row_key.value is not None:
            self.app.push_screen(LogDetailScreen(event.row_key.value))

    # --- live updates ----------------------------------------------------------

    @on(LogsChanged)
    def _logs_changed(self, message: LogsChanged) -> None:
        message.stop()  # handled here; the app need not forward it again
        self.refresh_rows(message.message_ids)

    def refresh_rows(self, message_ids: list[str]) -> None:
        """Logs with these SES MessageIds changed or were created: rows showing them
        are re-read and updated in place; logs not shown may be new ones, looked for
        (at most every NEW_CHECK_SECONDS) above the first row."""
        if self.runtime is None:
            return
        shown = {str(d.get("messageId")) for d in self._docs.values()}
        wanted = [m for m in message_ids if m in shown]
        if wanted:
            self._reload_rows(wanted)
        if len(wanted) < len(set(message_ids)) and self._new_check is None:
            self._new_check = self.set_timer(NEW_CHECK_SECONDS, self.look_for_new)

    @work(thread=True, group="logs-rows", exit_on_error=False)
    def _reload_rows(self, message_ids: list[str]) -> None:
        from core.logs.query import fetch_by_message_ids

        runtime = self.runtime
        assert runtime is not None
        docs = fetch_by_message_ids(runtime.store, message_ids)
        self.app.call_from_thread(self.replace_rows, docs)

    def look_for_new(self) -> None:
        """Fetch the logs that now sort above the first row shown (new ones, under
        the current filters and sort)."""
        self._new_check = None
        if not self.settled or self._query is None or self.runtime is None:
            return  # a query is loading: it will show them
        if not self._docs:  # nothing shown: the first page is all there is to show
            if self.at_top():
                self.reload_first_page()
            return
        from core.logs.query import Cursor

        top = Cursor.of(self._query, next(iter(self._docs.values())))
        self._fetch_above(self._query, top, self._generation)

    @work(thread=True, exclusive=True, group="logs-new", exit_on_error=False)
    def _fetch_above(self, query: EmailQuery, top: Cursor, generation: int) -> None:
        from core.logs.query import fetch_page

        runtime = self.runtime
        assert runtime is not None
        page = fetch_page(runtime.store, query, before=top)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_above, generation, page)

    def _show_above(self, generation: int, page: Page) -> None:
        """New logs on top: shown at once when the reader is at the top of the list
        (the cursor stays on its log); otherwise counted in the summary until the
        reader goes back to the top."""
        if not self.query_is_current(generation):
            return
        fresh = [doc for doc in page.rows if self.row_key(doc) not in self._docs]
        if not self.at_top():
            self.new_above = len(fresh) if page.prev_cursor is None else max(len(fresh), PAGE_SIZE)
            self.update_summary()
            return
        self.new_above = 0
        if page.prev_cursor is not None:  # more than a page arrived: start from the top
            self.reload_first_page()
            return
        self.live_added += self.prepend_rows(fresh)

    @on(DataTable.RowHighlighted, "#logs-table")
    def _back_at_the_top(self, event: DataTable.RowHighlighted) -> None:
        if self.new_above and event.cursor_row == 0 and self._new_check is None:
            self._new_check = self.set_timer(NEW_CHECK_SECONDS, self.look_for_new)

    # --- sorting ---------------------------------------------------------------

    def _label_columns(self) -> None:
        table = self.query_one("#logs-table", DataTable)
        arrow = " ↓" if self._sort_dir == "desc" else " ↑"
        for key, (label, field) in COLUMNS.items():
            column = table.columns.get(key)  # type: ignore[call-overload]
            if column is not None:
                column.label = Text(label + (arrow if field == self._sort_field else ""))
        table.refresh()

    def set_sort(self, field: str, order: str | None = None) -> None:
        if order is None:
            if field == self._sort_field:
                order = "asc" if self._sort_dir == "desc" else "desc"
            else:
                order = "desc" if field == "createdAt" else "asc"
        self._sort_field, self._sort_dir = field, order
        self.apply_filters()

    @on(DataTable.HeaderSelected, "#logs-table")
    def _header(self, event: DataTable.HeaderSelected) -> None:
        field = COLUMNS.get(str(event.column_key.value), ("", None))[1]
        if field is not None:
            self.set_sort(field)

    def action_cycle_sort(self) -> None:
        index = SORT_CYCLE.index(self._sort_field) if self._sort_field in SORT_CYCLE else -1
        field = SORT_CYCLE[(index + 1) % len(SORT_CYCLE)]
        self.set_sort(field, "desc" if field == "createdAt" else "asc")

    def action_flip_sort(self) -> None:
        self.set_sort(self._sort_field)

    # --- selection helpers -----------------------------------------------------

    def selected_doc(self) -> dict[str, Any] | None:
        key = self.selected_key()
        doc = self._docs.get(key) if key else None
        if doc is None:
            self.notify("No log is selected.", severity="warning")
        return doc

    def _with_recipient(self, doc: dict[str, Any], verb: str, then: Callable[[str], Any]) -> None:
        from tui.modals.logs_dialogs import LogsPick

        people = list(dict.fromkeys(_recipients(doc)))
        if len(people) == 1:
            then(people[0])
            return

        def picked(value: str | None) -> None:
            if value:
                then(value)

        self.app.push_screen(LogsPick(f"{verb} which recipient?", [(p, p) for p in people]), picked)

    # --- actions -----------------------------------------------------------------

    def action_clear(self) -> None:
        self.set_query("")

    def action_case(self) -> None:
        """The case view of the log's recipient (asks which one when several)."""
        doc = self.selected_doc()
        if doc is None:
            return
        from tui.screens.case import CaseScreen

        self._with_recipient(doc, "Open the case of", lambda a: self.app.push_screen(CaseScreen(a)))

    def action_copy_id(self) -> None:
        doc = self.selected_doc()
        if doc is None:
            return
        message_id = str(doc.get("messageId", ""))
        self.app.copy_to_clipboard(message_id)
        self.notify(f"Copied {message_id}", title="SES MessageId")

    def action_resend(self) -> None:
        doc = self.selected_doc()
        if doc is not None:
            self.ask_resend(str(doc["_id"]))

    def resent(self, result: SendResult) -> None:
        self.apply_filters()

    def action_suppress(self) -> None:
        doc = self.selected_doc()
        if doc is not None:
            message_id = str(doc.get("messageId") or "") or None
            self._with_recipient(doc, "Suppress", partial(self.ask_suppress, message_id=message_id))

    def action_unsuppress(self) -> None:
        doc = self.selected_doc()
        if doc is not None:
            self._with_recipient(doc, "Lift the suppression of", self.ask_lift)

    def action_export(self) -> None:
        from tui.modals.logs_dialogs import LogsPrompt

        if self._query is None:
            self.notify("Fix the filters first.", severity="warning")
            return
        query = self._query
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        default = str(Path.cwd() / f"depllc-logs-{stamp}.csv")

        def chosen(path: str | None) -> None:
            if path:
                self.export(query, Path(path))

        self.app.push_screen(
            LogsPrompt(
                "Export the filtered logs to",
                value=default,
                hint="A .csv or .jsonl file; auth email bodies are redacted. Esc cancels.",
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, group="logs-export", exit_on_error=False)
    def export(self, query: EmailQuery, path: Path) -> None:
        import humanize

        from core.logs.export import export_logs

        runtime = self.runtime
        assert runtime is not None
        worker = get_current_worker()

        def progress(rows: int) -> None:
            self.app.call_from_thread(self.depllc.set_header, status=f"exporting… {rows:,} rows")

        try:
            result = export_logs(
                runtime.store,
                query.model_copy(update={"limit": 1000}),
                path,
                progress=progress,
                should_stop=lambda: worker.is_cancelled,
            )
        finally:
            self.app.call_from_thread(self.depllc.set_header, status="")
        self.app.call_from_thread(
            self.notify,
            f"{result.rows:,} rows, {humanize.naturalsize(result.bytes)} → {result.path}",
            title="Exported",
        )

    # --- saved searches ----------------------------------------------------------

    def action_save(self) -> None:
        from core.errors import DepllcError
        from core.logs import saved
        from tui.modals.logs_dialogs import LogsPrompt

        try:
            filters = self.current_filters()
            filters.to_query()
        except DepllcError as exc:
            self.depllc.report_error(exc, title="Cannot save this search")
            return

        def named(name: str | None) -> None:
            if not name:
                return
            try:
                stored = saved.save(name, filters)
            except DepllcError as exc:
                self.depllc.report_error(exc, title="Cannot save this search")
                return
            self.notify(f"“{stored}”: {filters.describe()}", title="Search saved")

        self.app.push_screen(
            LogsPrompt(
                "Save this search as",
                placeholder="e.g. bounces this week",
                hint=f"Filters: {filters.describe()}",
            ),
            named,
        )

    def action_recall(self) -> None:
        from core.errors import DepllcError
        from core.logs import saved
        from tui.modals.logs_dialogs import LogsPick

        try:
            entries = saved.load_all()
        except DepllcError as exc:
            self.depllc.report_error(exc)
            return
        if not entries:
            self.notify("No saved searches yet: ctrl+s saves the current filters.")
            return

        def picked(name: str | None) -> None:
            if name:
                self.apply_saved(name)

        items = [(name, f"{name}  —  {f.describe()}") for name, f in entries.items()]
        self.app.push_screen(
            LogsPick("Saved searches", items, hint="Enter or 1-9 to apply; Esc cancels."),
            picked,
        )

    def apply_saved(self, name: str) -> None:
        """Set the filter bar from a saved search and run it."""
        from core.errors import DepllcError
        from core.logs import saved

        try:
            filters = saved.get(name)
        except DepllcError as exc:
            self.depllc.report_error(exc)
            return
        from core.query_line import log_line

        self._sort_field = filters.sortBy
        self._sort_dir = filters.sortOrder
        self.set_query(log_line(filters))
        self.notify(filters.describe(), title=f"Saved search “{name}”")
