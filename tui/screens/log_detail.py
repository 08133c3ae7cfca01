"""Log detail: one message's whole story. Header fields, a recipient table (status,
diagnostic, suppression), the event timeline (bounce type / sub-type / diagnostic,
complaint feedback type, delivery SMTP response, opens and clicks), the audit entries
about it (who sent or resent it) and the body as text. Bodies of `auth` emails are
never shown (core.logs.detail redacts them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Label, Static

from tui import outside_text
from tui.messages import LogsChanged
from tui.screens.base import ReportsWorkerErrors
from tui.screens.resend_action import ResendAction
from tui.screens.suppression_actions import SuppressionActions
from tui.widgets.connection_bar import ConnectionBar
from tui.widgets.row_table import WIDE, RowTable

if TYPE_CHECKING:
    from core.logs.detail import LogDetail
    from core.mail.send import SendResult
    from core.models import AuditEntry
    from core.runtime import Runtime
    from tui.app import DepllcApp

EVENT_STYLE = {
    "send": "cyan",
    "delivery": "green",
    "bounce": "bold red",
    "complaint": "bold magenta",
    "open": "blue",
    "click": "blue",
    "reject": "red",
    "deliveryDelay": "yellow",
    "renderingFailure": "red",
}
STATUS_STYLE = {
    "delivered": "green",
    "bounced": "bold red",
    "complaint": "bold magenta",
    "failed": "red",
    "sent": "cyan",
    "queued": "dim",
}


def _when(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _grid(rows: list[tuple[str, Any]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in rows:
        if value:
            grid.add_row(name, value if isinstance(value, Text) else outside_text.text(value))
    return grid


def resends(detail: LogDetail) -> list[str]:
    """The ids of the logs this one was resent as (customData.resends, oldest first)."""
    found = (detail.log.customData or {}).get("resends")
    return [str(r) for r in found] if isinstance(found, list) else []


def header_table(detail: LogDetail) -> Table:
    """What a person reads first, above the recipients: what, to whom, how it went."""
    log = detail.log
    status = Text(log.status.value, style=STATUS_STYLE.get(log.status.value, ""))
    return _grid(
        [
            ("Subject", log.subject),
            ("Status", status),
            ("Sent", f"{_when(log.createdAt)} · {log.category.value} · {log.priority.value}"),
            ("Resend of", str((log.customData or {}).get("resendOf") or "")),
            ("Resent as", ", ".join(resends(detail))),
            ("Error", Text(outside_text.visible(log.error), style="red") if log.error else ""),
            ("Unreadable", Text(detail.problem or "", style="bold red")),
        ]
    )


def more_table(detail: LogDetail) -> Table:
    """The rest of the log's fields, below the recipients."""
    import humanize

    log = detail.log
    return _grid(
        [
            ("From", log.from_),
            ("To", ", ".join(log.to)),
            ("Cc", ", ".join(log.cc or [])),
            ("Bcc", ", ".join(log.bcc or [])),
            ("Updated", _when(log.updatedAt)),
            ("SES MessageId", log.messageId),
            ("Log id", detail.id),
            ("Template", log.templateId or ""),
            ("Client", log.clientId or ""),
            ("User", log.userId or ""),
            ("Operator", log.operator or ""),
            ("Cost", f"${log.cost:.4f}"),
            ("Size", humanize.naturalsize(log.size)),
            ("Opens / clicks", f"{detail.opens} / {detail.clicks}"),
            ("Attachments", ", ".join(detail.attachments)),
            ("Tags", ", ".join(f"{k}={v}" for k, v in (log.tags or {}).items())),
        ]
    )


def timeline_text(detail: LogDetail) -> Text:
    text = Text()
    if not detail.timeline:
        return Text("No events yet.", style="dim")
    for entry in detail.timeline:
        text.append(f"{_when(entry.at)}  ", style="dim")
        text.append(
            f"{outside_text.visible(entry.type):<16}", style=EVENT_STYLE.get(entry.type, "")
        )
        text.append(f"{outside_text.visible(entry.summary)}\n")
        for name, value in entry.details.items():
            if value in entry.summary:
                continue  # already on the summary line
            text.append(f"{'':>37}{outside_text.visible(name)}: ", style="bold")
            text.append(f"{outside_text.visible(value)}\n")
    return text


def why_text(detail: LogDetail) -> Text:
    """Each recipient that bounced, complained or is delayed, why in plain words and
    what to do; the raw diagnostic stays in the recipients table above."""
    from core.delivery_reasons import explain

    text = Text()
    for row in detail.recipients:
        if row.status == "delivered" or not (row.diagnostic or row.status == "complaint"):
            continue
        reason = explain(row.diagnostic, row.status)
        if reason is None:
            continue
        if text:
            text.append("\n")
        text.append("Why ", style="bold")
        text.append_text(outside_text.text(row.email, style="bold"))
        text.append(f": {reason.summary}: ", style="yellow")
        text.append(reason.next_step)
    return text


class LogDetailScreen(ReportsWorkerErrors, SuppressionActions, ResendAction):
    """Pushed over the logs screen; Esc goes back."""

    DEFAULT_CSS = """
    LogDetailScreen #detail-scroll { height: 1fr; padding: 0 1; }
    LogDetailScreen .detail-section { margin-top: 1; text-style: bold; color: $accent; }
    LogDetailScreen #detail-body { border: round $panel; padding: 0 1; }
    LogDetailScreen #detail-body.-redacted { color: $warning; }
    LogDetailScreen #detail-recipients { scrollbar-size-horizontal: 1; }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape,q", "back", "Back", id="detail.back"),
        Binding("y", "copy_id", "Copy id", id="detail.copy"),
        Binding("r", "resend", "Resend", id="detail.resend"),
        Binding("s", "suppress", "Suppress", id="detail.suppress"),
        Binding("u", "unsuppress", "Lift suppression", id="detail.unsuppress"),
        Binding("ctrl+l,f5", "reload", "Reload", id="detail.reload"),
        Binding("question_mark,f1", "help", "Help", show=False, id="detail.help"),
    ]
    TITLE = "Log detail"

    def __init__(self, ident: str) -> None:
        super().__init__()
        self.ident = ident
        self.detail: LogDetail | None = None
        self.audit: list[AuditEntry] = []  # the entries about this log, newest first

    @property
    def depllc(self) -> DepllcApp:
        from tui.app import DepllcApp

        assert isinstance(self.app, DepllcApp)
        return self.app

    @property
    def runtime(self) -> Runtime | None:
        return self.depllc.runtime

    def compose(self) -> ComposeResult:
        yield ConnectionBar(self.depllc.header, self.TITLE)
        with VerticalScroll(id="detail-scroll"):
            yield Static("Loading…", id="detail-header")
            yield Label("Recipients", classes="detail-section")
            yield RowTable(id="detail-recipients", cursor_type="row")
            yield Static("", id="detail-why")
            yield Label("Details", classes="detail-section")
            yield Static("", id="detail-more")
            yield Label("Events", classes="detail-section")
            yield Static("", id="detail-timeline")
            yield Label("Audit", classes="detail-section")
            yield Static("", id="detail-audit")
            yield Label("Body", classes="detail-section")
            yield Static("", id="detail-body")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="log-detail", exit_on_error=False)
    def load(self) -> None:
        from core import audit
        from core.logs.detail import load_detail

        runtime = self.runtime
        assert runtime is not None
        detail = load_detail(runtime.store, self.ident)
        entries = audit.for_targets(runtime.store, [detail.id, detail.log.messageId])
        self.app.call_from_thread(self._show, detail, entries)

    def _show(self, detail: LogDetail, entries: list[AuditEntry]) -> None:
        from tui.screens.audit import entry_lines

        self.detail = detail
        self.audit = entries
        self.query_one("#detail-header", Static).update(header_table(detail))
        table = self.query_one("#detail-recipients", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        # what decides the next step first; the long diagnostic last, when there is one
        # (an empty column would only push the table past an 80-column terminal)
        diagnosed = any(row.diagnostic for row in detail.recipients)
        columns = ["Recipient", "Status", "List", "Field", "Updated"]
        table.add_columns(*columns, *(["Diagnostic"] if diagnosed else []))
        stamp = "%m-%d %H:%M" if self.app.size.width < WIDE else "%Y-%m-%d %H:%M:%S"
        for row in detail.recipients:
            listed = row.email.lower() in detail.suppressed
            cells = [
                outside_text.text(row.email, width=48),
                outside_text.text(row.status, style=STATUS_STYLE.get(row.status, "")),
                Text("suppressed", style="bold red") if listed else Text("-", style="dim"),
                outside_text.text(row.kind),
                Text(row.updated_at.astimezone().strftime(stamp) if row.updated_at else "-"),
            ]
            if diagnosed:
                cells.append(outside_text.text(row.diagnostic or "", width=80))
            table.add_row(*cells, key=row.email)
        # every recipient row, and below the last one a line for the horizontal
        # scrollbar that long diagnostics bring (it would otherwise cover that row)
        table.styles.height = table.row_count + 2
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        self.query_one("#detail-why", Static).update(why_text(detail))
        self.query_one("#detail-more", Static).update(more_table(detail))
        self.query_one("#detail-timeline", Static).update(timeline_text(detail))
        self.query_one("#detail-audit", Static).update(
            entry_lines(entries, "No audit entries (a log the CRM wrote has none).")
        )
        body = self.query_one("#detail-body", Static)
        body.set_class(detail.body_redacted, "-redacted")
        body.update(outside_text.text(detail.body[:20_000], multiline=True))
        table.focus(scroll_visible=False)  # the detail opens at its top: subject, status

    # --- live updates ----------------------------------------------------------

    def refresh_rows(self, message_ids: list[str]) -> None:
        if self.detail is not None and self.detail.log.messageId in message_ids:
            self.load()

    @on(LogsChanged)
    def _logs_changed(self, message: LogsChanged) -> None:
        message.stop()  # handled here; the app need not forward it again
        self.refresh_rows(message.message_ids)

    # --- actions -----------------------------------------------------------------

    def action_help(self) -> None:
        from tui.modals.help import HelpScreen, binding_rows

        self.app.push_screen(HelpScreen(binding_rows(self)))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()

    def action_copy_id(self) -> None:
        if self.detail is None:
            return
        self.app.copy_to_clipboard(self.detail.log.messageId)
        self.notify(f"Copied {self.detail.log.messageId}", title="SES MessageId")

    def _recipient(self) -> str | None:
        table = self.query_one("#detail-recipients", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key else None

    def action_resend(self) -> None:
        if self.detail is not None:
            self.ask_resend(self.detail.id)

    def resent(self, result: SendResult) -> None:
        self.load()  # the original lists its resends

    def action_suppress(self) -> None:
        email = self._recipient()
        if email and self.detail is not None:
            self.ask_suppress(email, self.detail.log.messageId)

    def action_unsuppress(self) -> None:
        email = self._recipient()
        if email:
            self.ask_lift(email)

    def suppression_changed(self) -> None:
        self.load()
