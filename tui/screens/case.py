"""The case view: one address or client id, everything in one place (core/case.py).

Pushed from a log row, a file row or a suppression row (`c`), from the palette ("Open a
case"). The top says who the person is: each address with its suppression (why, since
when), its bounce and complaint counts and the newest problem in plain words; `w` shows
the raw diagnostic instead. Below, one timeline of their emails, files, audit entries and
suppressions, newest first; `k` narrows it to one kind; Enter opens an email's detail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui import outside_text
from tui.screens.base import ReportsWorkerErrors
from tui.widgets.connection_bar import ConnectionBar
from tui.widgets.row_table import RowTable

if TYPE_CHECKING:
    from core.case import Case
    from tui.app import DepllcApp

KINDS = (None, "email", "file", "audit", "suppression")
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
        line.append(f"  {a.bounces} bounced · {a.complaints} complaints", style="dim")
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
    more = [k for k, left in case.more.items() if left]
    cut = f" · only the newest of {', '.join(more)}" if more else ""
    lines.append(
        Text(
            f"{len(case.emails)} emails · {len(case.files)} files{hidden} · "
            f"{len(case.audit)} audit entries{cut}",
            style="dim",
        )
    )
    return Text("\n").join(lines)


class CaseScreen(ReportsWorkerErrors, Screen[None]):
    """Pushed over any screen; Esc goes back."""

    DEFAULT_CSS = """
    CaseScreen #case-person { height: auto; max-height: 10; padding: 0 1; }
    CaseScreen #case-filter { height: 1; padding: 0 1; color: $text-muted; }
    CaseScreen #case-timeline { height: 1fr; }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape,q", "back", "Back", id="case.back"),
        Binding("k", "cycle_kind", "Kind", id="case.kind"),
        Binding("w", "toggle_raw", "Raw reason", id="case.raw"),
        Binding("ctrl+l,f5", "reload", "Reload", id="case.reload"),
    ]
    TITLE = "Case"

    def __init__(self, query: str) -> None:
        super().__init__()
        self.case_query = query
        self.case: Case | None = None
        self.kind_index = 0
        self.raw = False

    @property
    def depllc(self) -> DepllcApp:
        from tui.app import DepllcApp

        assert isinstance(self.app, DepllcApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield ConnectionBar(self.depllc.header, self.TITLE)
        yield Static("Loading…", id="case-person")
        yield Static("", id="case-filter")
        table: DataTable[Any] = RowTable(id="case-timeline", cursor_type="row")
        table.add_columns("When", "Kind", "What", "Detail")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="case", exit_on_error=False)
    def load(self) -> None:
        from core.case import open_case

        runtime = self.depllc.runtime
        if runtime is None:
            self.app.call_from_thread(self._unavailable)
            return
        case = open_case(runtime, self.case_query)
        self.app.call_from_thread(self._show, case)

    def worker_failed(self, worker: Any, error: BaseException) -> None:
        from core.errors import describe

        self.query_one("#case-person", Static).update(
            outside_text.text(describe(error).text, style="red", multiline=True)
        )
        super().worker_failed(worker, error)

    def _unavailable(self) -> None:
        self.query_one("#case-person", Static).update(Text("Not connected yet.", style="red"))

    def _show(self, case: Case) -> None:
        self.case = case
        self.query_one("#case-person", Static).update(person_text(case, self.raw))
        self._fill()

    def _fill(self) -> None:
        if self.case is None:
            return
        kind = KINDS[self.kind_index]
        items = self.case.timeline({kind} if kind else None)
        table = self.query_one("#case-timeline", DataTable)
        table.clear()
        for n, item in enumerate(items):
            table.add_row(
                Text(f"{item.at.astimezone():%Y-%m-%d %H:%M}", no_wrap=True),
                Text(item.kind, style=KIND_STYLE.get(item.kind, "")),
                outside_text.text(item.title, width=34),
                outside_text.text(item.detail, width=60),
                key=f"{n}:{item.kind}:{item.ref}",
            )
        label = kind or "everything"
        self.query_one("#case-filter", Static).update(
            Text(f"Timeline: {label} ({len(items)}) · k kind · enter opens an email · w raw")
        )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        _, kind, ref = str(event.row_key.value).split(":", 2)
        if kind == "email":
            from tui.screens.log_detail import LogDetailScreen

            self.app.push_screen(LogDetailScreen(ref))
        else:
            self.notify(f"Only emails open from here; this is a {kind}.", markup=False)

    def action_cycle_kind(self) -> None:
        self.kind_index = (self.kind_index + 1) % len(KINDS)
        self._fill()

    def action_toggle_raw(self) -> None:
        self.raw = not self.raw
        if self.case is not None:
            self.query_one("#case-person", Static).update(person_text(self.case, self.raw))

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
