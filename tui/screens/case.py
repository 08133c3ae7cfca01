"""The case view: one address or client id, everything in one place (core/case.py).

Pushed from a log row, a file row or a suppression row (`c`), from the palette ("Open a
case"). The top says who the person is: each address with its suppression (why, since
when), its bounce and complaint counts and the newest problem in plain words; `w` shows
the raw diagnostic instead. Below, one timeline of their emails, files, audit entries and
suppressions, newest first; `k` narrows it to one kind; Enter opens an email's detail.

The actions are those of the other screens, with the same keys and the same
confirmations (tui/screens/resend_action.py, suppression_actions.py, file_actions.py):
`r` resends the email on the row; `s`/`u` suppress or lift an address of the case (the
row's, else the case's; asks which when several); `l` a link to the file on the row,
`d` downloads it, `D` downloads all the case's files into a folder named after the case
(the folder dialog proposes it; Enter again creates it); `a` uploads for the case's
client (the upload dialog with its client id filled in).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from core.wording import counted
from tui import outside_text
from tui.screens.base import ReportsWorkerErrors
from tui.screens.file_actions import FileActions
from tui.screens.paged_table import PagedRowTable
from tui.screens.resend_action import ResendAction
from tui.screens.suppression_actions import SuppressionActions
from tui.widgets.connection_bar import ConnectionBar
from tui.widgets.footer import ConsoleFooter
from tui.widgets.transfer_panel import TransferPanel

if TYPE_CHECKING:
    from collections.abc import Callable

    from core.case import AddressState, Case, TimelineItem
    from core.mail.send import SendResult
    from core.models import FileRecord
    from core.query_line import Screen as QueryScreen
    from tui.app import DepllcApp

KINDS = (None, "email", "file", "audit", "suppression")
# the periods `p` cycles through: (a `--since` value, what the filter line says)
PERIODS: tuple[tuple[str | None, str], ...] = (
    (None, "all time"),
    ("7d", "last 7 days"),
    ("30d", "last 30 days"),
    ("90d", "last 90 days"),
)
PAGE_SIZE = 100  # timeline items a page; the next loads as the cursor nears the end
LOAD_AHEAD = 15  # rows before the end at which the next page is fetched
END_CAP = 2_000  # End loads the rest of the timeline up to this many items
KIND_STYLE = {"email": "cyan", "file": "green", "audit": "magenta", "suppression": "bold red"}


def person_text(case: Case, raw: bool) -> Text:
    """Who the case is about, one address a line, with why it is suppressed or bounced."""
    from core.delivery_reasons import explain

    who = "address" if case.kind == "address" else "client"
    lines = [Text.assemble(("Case ", "bold"), (f"{who} ", "dim"), outside_text.text(case.query))]
    if case.client_ids:
        ids = ", ".join(outside_text.visible(c) for c in case.client_ids)
        lines.append(Text(f"client ids: {ids}", style="dim", no_wrap=True, overflow="ellipsis"))
    for a in case.addresses:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append_text(outside_text.text(a.email, style="bold"))
        if a.suppression is not None:
            s = a.suppression
            line.append(f"  SUPPRESSED {s.reason.value} since {s.at:%Y-%m-%d}", style="bold red")
        else:
            line.append("  not suppressed", style="green")
        line.append(f"  {outcome_counts(a.bounces, a.complaints)}", style="dim")
        lines.append(line)
        problem = a.last_problem
        if problem is None:
            continue
        reason = explain(problem.diagnostic, problem.status.value)
        if raw or reason is None:
            shown = outside_text.text(f"  raw: {outside_text.visible(problem.diagnostic)}")
            shown.no_wrap = False
            lines.append(shown)
        else:
            why = Text(f"  why: {reason.summary}: ", style="yellow")
            why.append(reason.next_step, style="")
            lines.append(why)
    hidden = f" · {case.hidden_files} hidden by your role" if case.hidden_files else ""
    totals = case.totals
    lines.append(
        Text(
            f"{counted(totals.get('email', 0), 'email')} · "
            f"{counted(totals.get('file', 0), 'file')}{hidden} · "
            f"{counted(totals.get('audit', 0), 'audit entry', 'audit entries')}",
            style="dim",
        )
    )
    return Text("\n").join(lines)


def outcome_counts(bounces: int, complaints: int) -> str:
    """`2 bounced · 1 complaint`, only what happened (80 columns keep it on one line)."""
    said = [f"{bounces} bounced"] if bounces else []
    if complaints:
        said.append(counted(complaints, "complaint"))
    return " · ".join(said) or "no bounce or complaint"


def open_named_case(screen: Screen[Any], line: str, query_screen: QueryScreen) -> bool:
    """Enter on a query line that names one person alone (a bare address, or
    `client:ID`): open their case over the list (filtered by the line underneath, so
    Esc comes back to it). False when the line is a filter like any other."""
    from core.errors import InputError
    from core.query_line import case_target, parse

    try:
        target = case_target(parse(line, query_screen))
    except InputError:
        return False
    if target is None:
        return False
    screen.app.push_screen(CaseScreen(target))
    return True


def merge_page(case: Case, page: Case) -> None:
    """`page` (the case's next page) added to `case`."""
    case.emails += page.emails
    case.files += page.files
    case.audit += page.audit
    case.suppressions += page.suppressions
    case.next_cursor = page.next_cursor


def column_widths(width: int) -> tuple[int, int, int]:
    """When, What and Detail widths for a timeline `width` cells wide (Kind takes 11,
    each cell pads by 2, the scrollbar 2): the year goes below 100 columns."""
    when = 16 if width >= 100 else 11
    left = max(40, width - 2 - 4 * 2 - 11 - when)
    what = min(50, left * 9 // 20)
    return when, what, min(80, left - what)


def folder_name(query: str) -> str:
    """A folder name for a case's downloads: `case-ann@client.example`."""
    safe = "".join(c if c.isalnum() or c in "@.-_" else "_" for c in query)
    return f"case-{safe.strip('.') or 'files'}"


class CaseScreen(FileActions, ResendAction, SuppressionActions, ReportsWorkerErrors, Screen[None]):
    """Pushed over any screen; Esc goes back (or first cancels running transfers)."""

    DEFAULT_CSS = """
    CaseScreen #case-person { height: auto; max-height: 10; padding: 0 1; }
    CaseScreen #case-filter { height: 1; padding: 0 1; color: $text-muted; }
    CaseScreen #case-timeline { height: 1fr; }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape,q", "back", "Back", id="case.back"),
        Binding(
            "r", "resend", "Resend", tooltip="Resend the email on the row (asks)", id="case.resend"
        ),
        Binding(
            "s",
            "suppress",
            "Suppress",
            tooltip="Suppress an address of the case: the row's, else which (asks)",
            id="case.suppress",
        ),
        Binding(
            "u",
            "unsuppress",
            "Lift",
            tooltip="Lift a suppression (asks; a complaint also asks why)",
            id="case.unsuppress",
        ),
        Binding(
            "l", "link", "Link", tooltip="A download link to the file on the row", id="case.link"
        ),
        Binding(
            "a", "upload", "Upload", tooltip="Upload files for the case's client", id="case.upload"
        ),
        Binding(
            "d", "download", "Download", tooltip="Download the file on the row", id="case.download"
        ),
        Binding(
            "D",
            "download_all",
            "Download all",
            tooltip="Download all the case's files into a folder you confirm",
            id="case.download_all",
        ),
        Binding(
            "p",
            "cycle_period",
            "Period",
            tooltip="What happened in the last 7, 30 or 90 days, or all time "
            "(D then downloads that period's files)",
            id="case.period",
        ),
        Binding(
            "k",
            "cycle_kind",
            "Kind",
            tooltip="One kind at a time: emails, files, audit, suppressions, all",
            id="case.kind",
        ),
        Binding(
            "w",
            "toggle_raw",
            "Raw reason",
            tooltip="The remote server's raw diagnostic instead of plain words",
            id="case.raw",
        ),
        Binding("C", "clear_transfers", "Clear done", show=False, id="case.transfers.clear"),
        Binding("ctrl+l,f5", "reload", "Reload", id="case.reload"),
    ]
    TITLE = "Case"

    def __init__(self, query: str) -> None:
        super().__init__()
        self.case_query = query
        self.case: Case | None = None
        self.items: dict[str, TimelineItem] = {}  # by row key, in table order
        self.kind_index = 0
        self.period_index = 0
        self.raw = False
        self._generation = 0  # bumped by every (re)load: older pages are dropped
        self._loading_more = False

    @property
    def depllc(self) -> DepllcApp:
        from tui.app import DepllcApp

        assert isinstance(self.app, DepllcApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield ConnectionBar(self.depllc.header, self.TITLE)
        yield Static("Loading…", id="case-person")
        yield Static("", id="case-filter")
        table: DataTable[Any] = PagedRowTable(id="case-timeline", cursor_type="row")
        table.add_columns("When", "Kind", "What", "Detail")
        yield table
        yield TransferPanel(id="case-transfers")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.load()

    def on_resize(self) -> None:
        self._fill()  # the columns follow the width

    def load(self, keep_place: bool = True) -> None:
        """(Re)load the person and the timeline: the first page, or after an action as
        many items as were shown (the selected row stays where the agent was)."""
        self._generation += 1
        self._loading_more = False
        shown = min(len(self.items), END_CAP) if keep_place else 0
        self.load_case(self._generation, PERIODS[self.period_index][0], shown)

    @work(thread=True, exclusive=True, group="case", exit_on_error=False)
    def load_case(self, generation: int, period: str | None, shown: int = 0) -> None:
        from core.case import next_page, open_case
        from core.logs.dates import parse_since

        runtime = self.depllc.runtime
        if runtime is None:
            self.app.call_from_thread(self._unavailable)
            return
        since = parse_since(period) if period else None
        case = open_case(runtime, self.case_query, since=since, limit=PAGE_SIZE)
        while case.next_cursor and len(case.timeline()) < shown:
            merge_page(case, next_page(runtime, case, PAGE_SIZE))
        self.app.call_from_thread(self._show, generation, case)

    @work(thread=True, exclusive=True, group="case-more", exit_on_error=False)
    def load_more(self, case: Case, generation: int, to_end: bool) -> None:
        """The next page (`to_end`: every page up to END_CAP items in all)."""
        from core.case import next_page

        runtime = self.depllc.runtime
        assert runtime is not None
        pages = [next_page(runtime, case, PAGE_SIZE)]
        shown = len(self.items)
        while to_end and pages[-1].next_cursor and shown < END_CAP:
            shown += len(pages[-1].timeline())
            pages.append(next_page(runtime, pages[-1], PAGE_SIZE))
        self.app.call_from_thread(self._more, generation, pages, to_end)

    def resent(self, result: SendResult) -> None:
        self.load()

    def suppression_changed(self) -> None:
        self.load()

    def transfers_done(self, text: str) -> None:
        self.load()

    def worker_failed(self, worker: Any, error: BaseException) -> None:
        from core.errors import describe

        self._loading_more = False
        if worker.group == "case-more":  # the case stays as it is; the error is reported
            super().worker_failed(worker, error)
            return
        self.query_one("#case-person", Static).update(
            outside_text.text(describe(error).text, style="red", multiline=True)
        )
        super().worker_failed(worker, error)

    def _unavailable(self) -> None:
        self.query_one("#case-person", Static).update(Text("Not connected yet.", style="red"))

    def _show(self, generation: int, case: Case) -> None:
        if generation != self._generation:
            return  # a newer load replaced it
        self.case = case
        self.query_one("#case-person", Static).update(person_text(case, self.raw))
        self._fill()

    def _more(self, generation: int, pages: list[Case], to_end: bool) -> None:
        """Pages after those shown: their items go below (the person stays)."""
        case = self.case
        if generation != self._generation or case is None:
            return
        for page in pages:
            merge_page(case, page)
        self._loading_more = False
        kind = KINDS[self.kind_index]
        for page in pages:
            self._add_rows(page.timeline({kind} if kind else None))
        self._show_filter()
        table = self.query_one("#case-timeline", DataTable)
        if to_end:
            table.move_cursor(row=table.row_count - 1)
            if case.next_cursor is not None:
                self.notify(
                    f"End shows the newest {len(self.items):,} items; --since on "
                    "`depllc case` reaches further back.",
                    title="More below",
                    markup=False,
                )
        else:
            self._maybe_load_more()

    def _fill(self) -> None:
        if self.case is None:
            return
        kind = KINDS[self.kind_index]
        table = self.query_one("#case-timeline", DataTable)
        selected = self._selected_key()
        table.clear()
        self.items = {}
        self._add_rows(self.case.timeline({kind} if kind else None))
        if selected in self.items:
            table.move_cursor(row=table.get_row_index(selected))
        self._show_filter()
        table.focus()
        self._maybe_load_more()

    def _add_rows(self, items: list[TimelineItem]) -> None:
        table = self.query_one("#case-timeline", DataTable)
        when, what, detail = column_widths(self.size.width or 80)
        for item in items:
            key = f"{item.kind}:{item.ref}"
            if key in self.items:
                continue
            self.items[key] = item
            table.add_row(
                Text(f"{item.at.astimezone():%Y-%m-%d %H:%M}"[-when:], no_wrap=True),
                Text(item.kind, style=KIND_STYLE.get(item.kind, "")),
                outside_text.text(item.title, width=what),
                outside_text.text(item.detail, width=detail),
                key=key,
            )

    def _show_filter(self, loading: str = "") -> None:
        label = KINDS[self.kind_index] or "everything"
        period = PERIODS[self.period_index][1]
        more = ", more below" if self.case is not None and self.case.next_cursor else ""
        self.query_one("#case-filter", Static).update(
            Text(
                f"Timeline: {label}, {period} ({len(self.items)}{more}){loading} · k kind "
                "· p period · ? keys"
            )
        )

    def _maybe_load_more(self) -> None:
        """Fetch the next page when the cursor is within LOAD_AHEAD rows of the end
        (also when one kind shown leaves few rows)."""
        table = self.query_one("#case-timeline", DataTable)
        case = self.case
        if case is None or case.next_cursor is None or self._loading_more:
            return
        if table.row_count - table.cursor_row > LOAD_AHEAD:
            return
        self._loading_more = True
        self.load_more(case, self._generation, False)

    @on(DataTable.RowHighlighted, "#case-timeline")
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        self._maybe_load_more()

    def go_to_last_row(self) -> None:
        """End: the last row of the timeline, loading the pages not shown yet (up to
        END_CAP items)."""
        table = self.query_one("#case-timeline", DataTable)
        case = self.case
        if case is None or case.next_cursor is None:
            table.move_cursor(row=table.row_count - 1)
            return
        self._loading_more = True
        self._show_filter(" · loading to the end…")
        self.load_more(case, self._generation, True)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        kind, ref = str(event.row_key.value).split(":", 1)
        if kind == "email":
            from tui.screens.log_detail import LogDetailScreen

            self.app.push_screen(LogDetailScreen(ref))
        else:
            self.notify(f"Only emails open from here; this is a {kind}.", markup=False)

    def action_cycle_period(self) -> None:
        self.period_index = (self.period_index + 1) % len(PERIODS)
        self._show_filter(" · loading…")
        self.load(keep_place=False)

    def action_cycle_kind(self) -> None:
        self.kind_index = (self.kind_index + 1) % len(KINDS)
        self._fill()

    def action_toggle_raw(self) -> None:
        self.raw = not self.raw
        if self.case is not None:
            self.query_one("#case-person", Static).update(person_text(self.case, self.raw))

    def action_reload(self) -> None:
        self.load()

    def action_clear_transfers(self) -> None:
        self.query_one(TransferPanel).clear_finished()

    def action_back(self) -> None:
        if not self.cancel_transfers():
            self.app.pop_screen()

    # --- what the actions act on -------------------------------------------------

    def _selected_key(self) -> str | None:
        table = self.query_one("#case-timeline", DataTable)
        if table.row_count == 0 or not table.is_valid_row_index(table.cursor_row):
            return None
        value = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(value) if value is not None else None

    def selected_item(self) -> TimelineItem | None:
        key = self._selected_key()
        return self.items.get(key) if key else None

    def _selected_file(self, verb: str) -> FileRecord | None:
        """The file on the row; otherwise say how to get to one."""
        item = self.selected_item()
        if self.case is not None and item is not None and item.kind == "file":
            for record in self.case.files:
                if str(record.id) == item.ref:
                    return record
        self.notify(f"{verb} acts on a file: move to a file row (k shows one kind at a time).")
        return None

    def _addresses_for_row(self) -> list[AddressState]:
        """The addresses an `s`/`u` on this row is about: a suppression row's address,
        an email row's recipients that belong to the case, else all the case's."""
        assert self.case is not None
        addresses = self.case.addresses
        item = self.selected_item()
        if item is not None and item.kind == "suppression":
            return [a for a in addresses if a.email == item.ref] or addresses
        if item is not None and item.kind == "email":
            log = next((e for e in self.case.emails if str(e.id) == item.ref), None)
            if log is not None:
                people = {p.lower() for p in [*log.to, *(log.cc or []), *(log.bcc or [])]}
                return [a for a in addresses if a.email in people] or addresses
        return addresses

    def _pick(self, title: str, values: list[str], then: Callable[[str], object]) -> None:
        """`then(value)` at once when there is one, else after a pick (1-9 or Enter)."""
        from tui.modals.logs_dialogs import LogsPick

        if len(values) == 1:
            then(values[0])
            return

        def picked(value: str | None) -> None:
            if value:
                then(value)

        self.app.push_screen(LogsPick(title, [(v, v) for v in values]), picked)

    # --- actions -----------------------------------------------------------------

    def action_resend(self) -> None:
        item = self.selected_item()
        if item is None or item.kind != "email":
            self.notify("r resends an email: move to an email row (k shows one kind at a time).")
            return
        self.ask_resend(item.ref)

    def action_suppress(self) -> None:
        if self.case is None:
            return
        candidates = self._addresses_for_row()
        free = [a.email for a in candidates if a.suppression is None]
        if not free:
            who = ", ".join(a.email for a in candidates) or "This case has no address"
            self.notify(f"{who}: already suppressed (u lifts).", markup=False)
            return
        item = self.selected_item()
        message_id = None
        if item is not None and item.kind == "email":
            log = next((e for e in self.case.emails if str(e.id) == item.ref), None)
            message_id = log.messageId if log is not None else None
        self._pick(
            "Suppress which address?",
            free,
            lambda email: self.ask_suppress(email, message_id=message_id),
        )

    def action_unsuppress(self) -> None:
        if self.case is None:
            return
        candidates = self._addresses_for_row()
        suppressed = [a.email for a in candidates if a.suppression is not None]
        if not suppressed:
            who = ", ".join(a.email for a in candidates) or "This case has no address"
            self.notify(f"{who}: not suppressed, nothing to lift.", markup=False)
            return
        self._pick("Lift the suppression of which address?", suppressed, self.ask_lift)

    def action_link(self) -> None:
        record = self._selected_file("l (link)")
        if record is not None:
            self.ask_link(record)

    def action_download(self) -> None:
        record = self._selected_file("d (download)")
        if record is not None:
            self.ask_download([record])

    def action_download_all(self) -> None:
        if self.case is not None:
            self.find_downloadable(self.case)

    @work(thread=True, group="case-action", exit_on_error=False)
    def find_downloadable(self, case: Case) -> None:
        from core.case import downloadable_files

        runtime = self.files_runtime
        assert runtime is not None
        records, left_out = downloadable_files(runtime, case)
        self.app.call_from_thread(self._ask_download_all, case, records, left_out)

    def _ask_download_all(self, case: Case, records: list[FileRecord], left_out: int) -> None:
        from pathlib import Path

        import humanize

        from core.case import DOWNLOAD_ALL_CAP

        if not records:
            self.notify(f"{case.query} has no file to download.", markup=False)
            return
        size = humanize.naturalsize(sum(r.size for r in records), binary=True)
        what = "the newest " if len(records) >= DOWNLOAD_ALL_CAP else "all "
        title = f"Download {what}{len(records)} files of {case.query} ({size}) to"
        if left_out:
            title += f" ({left_out} deleted or unfinished left out)"
        folder = (self._last_folder or Path.cwd()) / folder_name(case.query)
        self.ask_download(records, folder=folder, title=title)

    def action_upload(self) -> None:
        from core.errors import InputError
        from core.validation import check_client_id

        if self.case is None:
            return
        clients: list[str] = []
        for candidate in self.case.client_ids:
            try:
                checked = check_client_id(candidate)
            except InputError:
                continue  # a user id, not a client's (a case opened from an uploader)
            if checked:
                clients.append(checked)
        query = self.case.query
        if not clients:
            self.ask_upload(None, f"Upload files for {query}")
            return

        def upload(client: str) -> None:
            whose = f"client {client}" if client == query else f"{query} (client {client})"
            self.ask_upload(client, f"Upload files for {whose}")

        self._pick("Upload for which client?", clients, upload)
