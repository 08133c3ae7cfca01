"""Suppressions screen: the addresses sends are refused to (hard bounces and
complaints from SES events, and those a person blocked), with add and remove; every
change a person makes is audited. The `/` query line filters the list (text in the
address, note or message id; reason: since: until: by:)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from tui import outside_text
from tui.screens.base import ServiceScreen
from tui.screens.suppression_actions import SuppressionActions
from tui.widgets.query_line import QueryCompletion, QueryLine
from tui.widgets.row_table import RowTable

if TYPE_CHECKING:
    from core.models import Suppression
    from core.suppressions import SuppressionFilter

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


class SuppressionsScreen(SuppressionActions, ServiceScreen):
    TITLE = "Suppressions"
    AUTO_FOCUS = "#sup-table"  # not the query line: keys act on the list until `/`
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding(
            "slash",
            "focus_query",
            "Query",
            key_display="/",
            tooltip="Query line: reason:complaint since:7d (Tab completes, ↑ earlier ones)",
            id="suppressions.query",
        ),
        Binding("s,a", "add", "Suppress", key_display="s", id="suppressions.add"),
        Binding("c", "case", "Case", id="suppressions.case"),
        Binding("u", "remove", "Lift", id="suppressions.remove"),
        Binding("w", "toggle_raw", "Raw why", id="suppressions.raw"),
        Binding("ctrl+l,f5", "reload", "Reload", id="suppressions.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Suppression] = []
        self.where: SuppressionFilter | None = None  # the query line's filter
        self.raw = False  # the Why column: plain words, or (w) the raw diagnostic

    def compose_body(self) -> ComposeResult:
        line = QueryLine("suppressions", id="sup-query")
        yield line
        yield QueryCompletion(line)
        yield Static("Loading…", id="sup-summary", classes="summary")
        table: DataTable[Text] = RowTable(id="sup-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("Email", "Reason", "Since", "By", "Why", "SES message id")
        yield table

    def refresh_data(self) -> None:
        self.load()

    def action_reload(self) -> None:
        if self.runtime is not None:
            self.load()

    def action_focus_query(self) -> None:
        line = self.query_one("#sup-query", QueryLine)
        line.focus()
        line.cursor_position = len(line.value)

    def apply_query(self, typing: bool = False) -> bool:
        """Parse the query line and list what it selects; False when it does not
        parse (the summary says why, except while typing)."""
        from core.errors import InputError, describe
        from core.query_line import parse, suppression_filter

        line = self.query_one("#sup-query", QueryLine)
        try:
            self.where = suppression_filter(parse(line.value, "suppressions"))
        except InputError as exc:
            if not typing:
                self.query_one("#sup-summary", Static).update(describe(exc).text)
            return False
        if self.runtime is not None:
            self.load()
        return True

    @on(Input.Changed, "#sup-query")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.apply_query(typing=True)

    @on(QueryLine.Applied)
    def _applied(self, event: QueryLine.Applied) -> None:
        event.stop()
        if self.apply_query():
            event.line.remember()
            self.query_one("#sup-table", DataTable).focus()

    @on(QueryLine.Left)
    def _left(self, event: QueryLine.Left) -> None:
        event.stop()
        self.query_one("#sup-table", DataTable).focus()

    @work(thread=True, exclusive=True, group="suppressions", exit_on_error=False)
    def load(self) -> None:
        from core import suppressions

        runtime = self.runtime
        assert runtime is not None
        entries = suppressions.list_all(runtime.store, where=self.where)
        self.app.call_from_thread(self._show, entries)

    def _show(self, entries: list[Suppression]) -> None:
        self.entries = entries
        table = self.query_one("#sup-table", DataTable)
        table.clear()
        for e in entries:
            table.add_row(
                outside_text.text(e.email),
                outside_text.text(e.reason.value),
                Text(e.at.astimezone().strftime("%Y-%m-%d %H:%M")),
                outside_text.text(e.by or "-"),
                self._why(e),  # what a person reads first
                outside_text.text(e.messageId or "-"),
                key=e.email,
            )
        counts = {r: sum(1 for e in entries if e.reason.value == r) for _, r in REASONS}
        self.query_one("#sup-summary", Static).update(
            f"{len(entries)} suppressed · "
            + " · ".join(f"{n} {r}" for r, n in counts.items())
            + "   s suppress · u lift · sends to these addresses are refused"
        )

    def _why(self, entry: Suppression) -> Text:
        """Why the address is suppressed, in plain words (or, with `w`, as the remote
        server said it); a manual suppression shows its note."""
        from core.delivery_reasons import explain

        status = {"bounce": "bounced", "complaint": "complaint"}.get(entry.reason.value)
        reason = explain(entry.diagnostic, status) if status and not self.raw else None
        if reason is None:
            return outside_text.text(entry.diagnostic or "-")
        return Text(reason.summary, style="yellow", no_wrap=True, overflow="ellipsis")

    def action_toggle_raw(self) -> None:
        self.raw = not self.raw
        self._show(self.entries)

    def _selected(self) -> Suppression | None:
        table = self.query_one("#sup-table", DataTable)
        if not self.entries or table.cursor_row is None:
            return None
        if 0 <= table.cursor_row < len(self.entries):
            return self.entries[table.cursor_row]
        return None

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
        self.load()

    @work(thread=True, exclusive=True, group="suppressions-change", exit_on_error=False)
    def suppress(self, email: str, reason: str, note: str) -> None:
        from core.events.suppress import add_by_person
        from core.models import SuppressionReason

        runtime = self.runtime
        assert runtime is not None
        created = add_by_person(
            runtime.store, email, runtime.operator, SuppressionReason(reason), note or None
        )
        text = f"{email} suppressed" if created else f"{email} was already suppressed"
        self.app.call_from_thread(self.notify, text, title="Suppressions")
        self.app.call_from_thread(self.load)
