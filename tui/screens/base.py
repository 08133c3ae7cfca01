"""What every main screen shares: access to the runtime once it is ready."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from tui.widgets.connection_bar import ConnectionBar
from tui.widgets.footer import ConsoleFooter
from tui.widgets.outage_banner import OutageBanner

if TYPE_CHECKING:
    from core.runtime import Runtime
    from tui.app import DepllcApp


class ReportsWorkerErrors:
    """Mixed into screens and modals: a failed worker's error goes to the app's one
    error reporter. (Textual's Worker.StateChanged does not bubble past the node that
    started the worker, so each screen must forward it.)"""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            event.stop()
            self.worker_failed(event.worker, event.worker.error)

    def worker_failed(self, worker: Worker[object], error: BaseException) -> None:
        """Report the error; screens override to also reset their own state."""
        from tui.app import DepllcApp

        app = getattr(self, "app", None)
        if isinstance(app, DepllcApp):
            app.report_error(error)


class ServiceScreen(ReportsWorkerErrors, Screen[None]):
    """A main screen; `on_runtime_ready` runs once the services are connected (and on
    later visits via `refresh_data`)."""

    TITLE: ClassVar[str] = ""

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
        yield OutageBanner()
        yield from self.compose_body()
        yield ConsoleFooter()

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets, between the header and the footer. Override."""
        yield from ()

    def on_mount(self) -> None:
        if self.runtime is not None:
            self.refresh_data()

    def worker_failed(self, worker: Worker[object], error: BaseException) -> None:
        """Besides the report: a side that did not answer is said where the screen
        would show what it loaded (not `Loading…` for ever)."""
        from core.outage import unreachable_side

        super().worker_failed(worker, error)
        side = unreachable_side(error)
        if side is not None and self.is_mounted:
            for summary in self.query(".summary").results(Static):
                summary.update(self.depllc.outage.summary(side))

    def runtime_ready(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        """Load what the screen shows (in a thread worker). Override."""
