"""Suppressions screen: the addresses sends are refused to (hard bounces and
complaints from SES events, and those a person blocked), with add and remove; every
change a person makes is audited. The `/` query line filters the list (text in the
address, note or message id; reason: since: until: by:), the reason and period
selects mirror it as on Logs and Files, and the summary counts what it selects by
reason (over the whole list, not the page shown). Pages load as the cursor nears the
end (tui/screens/paged_table.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from tui import outside_text
from tui.palette import ScreenCommands, query_commands
from tui.screens.paged_table import PagedRowTable, PagedTableScreen, PageSlice, query_binding
from tui.screens.suppression_actions import SuppressionActions
from tui.widgets.row_table import WIDE

if TYPE_CHECKING:
    from core.db import AtCursor as Cursor
    from core.models import Suppression
    from core.runtime import Runtime
    from core.suppressions import SuppressionFilter

PAGE_SIZE = 100
SINCE = (
    ("last 24 hours", "24h"),
    ("today", "today"),
    ("last 7 days", "7d"),
    ("last 30 days", "30d"),
)

REASONS = [
    ("manual: blocked by a person", "manual"),
    ("bounce", "bounce"),
    ("complaint", "complaint"),
]

_DIALOG_CSS = """
AddSuppression { align: center middle; }
AddSuppression > Vertical {
    width: 76; height: auto; border: round $accent; background: $surface; padding: 1 2;
}
AddSuppression Input, AddSuppression Select { margin-bottom: 1; }
.sup-title { text-style: bold; margin-bottom: 1; }
.sup-error { color: $error; }
.sup-buttons { height: auto; align-horizontal: right; }
.sup-buttons Button { margin-left: 1; }
"""


class AddSuppression(ModalScreen[tuple[str, str, str] | None]):
    """Ask for an address, a reason and a note; (email, reason, note) or None."""

    DEFAULT_CSS = _DIALOG_CSS
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "cancel", "Cancel", id="suppressions.add.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Suppress an address: no email will be sent to it", classes="sup-title")
            yield Input(placeholder="name@example.com", id="sup-email")
            yield Select(REASONS, value="manual", allow_blank=False, id="sup-reason")
            yield Input(placeholder="note (why; optional)", id="sup-note")
            yield Static("", id="sup-error", classes="sup-error")
            with Horizontal(classes="sup-buttons"):
                yield Button("Cancel", id="sup-cancel")
                yield Button("Suppress", variant="error", id="sup-ok")

    def on_mount(self) -> None:
        self.query_one("#sup-email", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#sup-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#sup-ok")
    def _submit(self) -> None:
        email = self.query_one("#sup-email", Input).value.strip()
        local, _, domain = email.rpartition("@")
        if not local or "." not in domain:
            self.query_one("#sup-error", Static).update(
                "Type a full address (name@example.com), or press Esc to cancel."
            )
            self.query_one("#sup-email", Input).focus()
            return
        reason = str(self.query_one("#sup-reason", Select).value)
        note = self.query_one("#sup-note", Input).value.strip()
        self.dismiss((email, reason, note))


class SuppressionsCommands(ScreenCommands):
    """Command palette: ready-made queries and the screen's actions."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        screen = self.screen
        if not isinstance(screen, SuppressionsScreen):
            return []
        queries = [
            ("complaints this week", "reason:complaint since:7d"),
            ("bounces this week", "reason:bounce since:7d"),
            ("added by a person", "reason:manual"),
        ]
        return [
            *query_commands("Suppressions", screen.set_query, queries),
            ("Suppressions: suppress an address", "Type an address (key s)", screen.action_add),
            ("Suppressions: lift", "Lift the selected suppression (key u)", screen.action_remove),
            ("Suppressions: clear the filters", "Every suppression (ctrl+u)", screen.action_clear),
        ]


class SuppressionsScreen(
    SuppressionActions, PagedTableScreen["SuppressionFilter", "Cursor", "Suppression"]
):
    TITLE = "Suppressions"
    PREFIX = "sup"
    NOUN = "suppressed"
    _narrow_dates = False  # the rows' dates were drawn without their year
    COUNTS = True  # by reason, over everything the query selects
    COMMANDS: ClassVar[set[Any]] = {SuppressionsCommands}
    QUERY_SCREEN = "suppressions"
    SELECT_KEYS: ClassVar[dict[str, str]] = {"sup-reason": "reason", "sup-since": "since"}
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        query_binding("suppressions", "reason:complaint since:7d"),
        Binding("s,a", "add", "Suppress", key_display="s", id="suppressions.add"),
        Binding("c", "case", "Case", id="suppressions.case"),
        Binding("u", "remove", "Lift", id="suppressions.remove"),
        Binding("w", "toggle_raw", "Raw why", id="suppressions.raw"),
        Binding("ctrl+u", "clear", "Clear filters", show=False, id="suppressions.clear"),
        Binding("ctrl+l,f5", "reload", "Reload", id="suppressions.reload"),
        Binding("escape", "focus_table", "To table", show=False, id="suppressions.table"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._counts: dict[SuppressionFilter, dict[str, int]] = {}  # by reason, per query
        self.raw = False  # the Why column: plain words, or (w) the raw diagnostic

    @property
    def entries(self) -> list[Suppression]:
        """The suppressions shown, in table order."""
        return list(self._rows.values())

    def compose_body(self) -> ComposeResult:
        with Vertical(id="sup-filters", classes="filter-bar"):
            yield from self.compose_query_line()
            with Horizontal(id="sup-selects", classes="filter-selects"):
                yield Select(
                    [(r, r) for _, r in REASONS],
                    prompt="(any reason)",
                    id="sup-reason",
                    compact=True,
                )
                yield Select(SINCE, prompt="(any time)", id="sup-since", compact=True)
        yield Static("Loading…", id="sup-summary", classes="summary")
        table: DataTable[Text] = PagedRowTable(
            id="sup-table", cursor_type="row", zebra_stripes=True
        )
        # what a person reads first on the left: at 80 columns Email, Reason and Why
        # show, Since and By are a scroll away
        table.add_columns("Email", "Reason", "Why", "Since", "By", "SES message id")
        yield table

    # --- the paged table's hooks ---------------------------------------------------

    def build_query(self) -> SuppressionFilter:
        from core.query_line import suppression_filter

        assert self.parsed is not None
        return suppression_filter(self.parsed)

    def fetch_page(
        self, runtime: Runtime, query: SuppressionFilter, after: Cursor | None
    ) -> PageSlice[Suppression, Cursor]:
        from core import suppressions

        entries, next_cursor = suppressions.list_page(runtime.store, query, PAGE_SIZE, after)
        return PageSlice(entries, next_cursor)

    def fetch_count(self, runtime: Runtime, query: SuppressionFilter) -> str:
        from core import suppressions

        counts = suppressions.count_by_reason(runtime.store, query)
        self._counts[query] = counts  # read by summary_text once the count is shown
        return f"{sum(counts.values()):,}"

    def row_key(self, row: Suppression) -> str:
        return row.email

    def on_resize(self, event: events.Resize) -> None:
        if (event.size.width < WIDE) != self._narrow_dates:
            self.redraw_rows()  # the dates with or without their year

    def row_cells(self, row: Suppression) -> list[Text]:
        narrow = self._narrow_dates = self.app.size.width < WIDE
        return [
            outside_text.text(row.email),  # whole: it is what the agent acts on
            outside_text.text(row.reason.value),
            self._why(row),
            Text(row.at.astimezone().strftime("%m-%d %H:%M" if narrow else "%Y-%m-%d %H:%M")),
            outside_text.text(row.by or "-"),
            outside_text.text(row.messageId or "-"),
        ]

    def summary_text(self) -> Text:
        """`16 suppressed: 11 bounce · 3 complaint · 2 manual`, or with more below
        `100 of 126 suppressed (more below): ...`: the counts by reason are over
        everything the query selects, not the page shown."""
        shown = self._query
        counts = self._counts.get(shown) if self.count_label and shown is not None else None
        if counts is None:
            head = self.shown_phrase(self.NOUN)
        elif self._next is None and len(self._rows) == sum(counts.values()):
            head = f"{len(self._rows):,} {self.NOUN}"
        else:
            head = self.shown_phrase(self.NOUN)
        if counts is not None:
            head += ": " + " · ".join(f"{n:,} {r}" for r, n in counts.items())
        if not self._rows and self.query_line.value.strip():
            head += " · none match the query"
        return Text(head + " · sends to them are refused")

    # --- the rows ------------------------------------------------------------------

    def _why(self, entry: Suppression) -> Text:
        """Why the address is suppressed, in plain words (or, with `w`, as the remote
        server said it); a manual suppression shows its note."""
        from core.delivery_reasons import explain_suppression

        reason = None if self.raw else explain_suppression(entry.reason.value, entry.diagnostic)
        if reason is None:
            return outside_text.text(entry.diagnostic or "-")
        return Text(reason.summary, style="yellow", no_wrap=True, overflow="ellipsis")

    def action_toggle_raw(self) -> None:
        self.raw = not self.raw
        self.replace_rows(self.entries)

    def _selected(self) -> Suppression | None:
        key = self.selected_key()
        return self._rows.get(key) if key is not None else None

    def action_clear(self) -> None:
        self.set_query("")

    def action_case(self) -> None:
        """The case view of the selected address."""
        entry = self._selected()
        if entry is None:
            self.notify("Select an address first.", severity="warning")
            return
        from tui.screens.case import CaseScreen

        self.app.push_screen(CaseScreen(entry.email))

    def action_add(self) -> None:
        if self.runtime is None:
            return

        def done(answer: tuple[str, str, str] | None) -> None:
            if answer is not None:
                self.suppress(*answer)

        self.app.push_screen(AddSuppression(), done)

    def action_remove(self) -> None:
        entry = self._selected()
        if entry is None or self.runtime is None:
            self.notify("Select an address first.", severity="warning")
            return
        self.ask_lift(entry.email)

    def suppression_changed(self) -> None:
        self.reload_first_page()

    @work(thread=True, exclusive=True, group="suppressions-change", exit_on_error=False)
    def suppress(self, email: str, reason: str, note: str) -> None:
        from core.events.suppress import add_by_person
        from core.vocabulary import SuppressionReason

        runtime = self.runtime
        assert runtime is not None
        created = add_by_person(
            runtime.store, email, runtime.operator, SuppressionReason(reason), note or None
        )
        text = f"{email} suppressed" if created else f"{email} was already suppressed"
        self.app.call_from_thread(self.notify, text, title="Suppressions")
        self.app.call_from_thread(self.reload_first_page)
