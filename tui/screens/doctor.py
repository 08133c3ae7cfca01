"""Doctor screen: the same checks as `depllc doctor`, run in a thread worker, one row
each with its status, and the selected row's fix below the table. Opened from the
command palette, and by itself when startup fails."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from tui import outside_text
from tui.screens.base import ServiceScreen
from tui.widgets.row_table import RowTable

if TYPE_CHECKING:
    from core.setup.doctor import DoctorReport

STATUS_STYLE = {
    "pass": ("PASS", "bold green"),
    "warn": ("WARN", "bold yellow"),
    "fail": ("FAIL", "bold red"),
    "skip": ("skip", "dim"),
}


class DoctorScreen(ServiceScreen):
    TITLE = "Doctor"
    DEFAULT_CSS = """
    DoctorScreen #doctor-summary { height: auto; padding: 0 1; }
    DoctorScreen #doctor-table { height: 1fr; }
    DoctorScreen #doctor-fix {
        height: auto; min-height: 3; padding: 0 1; border-top: solid $accent;
    }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("ctrl+l,f5", "rerun", "Run again", key_display="F5", id="doctor.rerun"),
        Binding("escape", "close", "Close", id="doctor.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: DoctorReport | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("Running checks…", id="doctor-summary")
        table: DataTable[str | Text] = RowTable(
            id="doctor-table", cursor_type="row", zebra_stripes=True
        )
        table.add_columns("Status", "Check", "Detail")
        yield table
        yield Static("", id="doctor-fix")

    def on_mount(self) -> None:
        self.run_checks()  # with or without a runtime: this screen diagnoses startup too

    def refresh_data(self) -> None:
        self.run_checks()

    def action_rerun(self) -> None:
        self.query_one("#doctor-summary", Static).update("Running checks…")
        self.run_checks()

    def action_close(self) -> None:
        self.dismiss()

    @work(thread=True, exclusive=True, group="doctor", exit_on_error=False)
    def run_checks(self) -> None:
        from core.setup.doctor import run_doctor

        runtime = self.runtime
        if runtime is not None:
            report = run_doctor(runtime.settings, runtime.aws, runtime.store)
        else:
            report = run_doctor(self.depllc.settings)
        self.app.call_from_thread(self._show, report)

    def _show(self, report: DoctorReport) -> None:
        self.report = report
        table = self.query_one("#doctor-table", DataTable)
        table.clear()
        for check in report.checks:
            label, style = STATUS_STYLE[check.status.value]
            table.add_row(
                Text(label, style=style),
                outside_text.text(check.title),
                outside_text.text(check.detail),  # quotes hosts, buckets, errors
                key=check.id,
            )
        summary = self.query_one("#doctor-summary", Static)
        summary.update(outside_text.text(report.summary() + "  (r: run again, Esc: close)"))
        statuses = [c.status.value for c in report.checks]
        first_problem = next((statuses.index(s) for s in ("fail", "warn") if s in statuses), 0)
        table.move_cursor(row=first_problem)
        self._show_fix(first_problem)
        table.focus()

    @on(DataTable.RowHighlighted, "#doctor-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_fix(event.cursor_row)

    def _show_fix(self, row: int) -> None:
        if self.report is None or not 0 <= row < len(self.report.checks):
            return
        check = self.report.checks[row]
        text = Text.assemble(
            (outside_text.visible(check.title), "bold"), ": ", outside_text.visible(check.detail)
        )
        if check.fix:
            text.append("\nFix: ", style="bold")
            text.append(outside_text.visible(check.fix, multiline=True))
        self.query_one("#doctor-fix", Static).update(text)
