"""What every main screen shares: access to the runtime once it is ready."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.screen import Screen

from tui.widgets.connection_bar import ConnectionBar
from tui.widgets.footer import ConsoleFooter

if TYPE_CHECKING:
    from core.runtime import Runtime
    from tui.app import DepllcApp


class ServiceScreen(Screen[None]):
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
        yield from self.compose_body()
        yield ConsoleFooter()

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets, between the header and the footer. Override."""
        yield from ()

    def on_mount(self) -> None:
        if self.runtime is not None:
            self.refresh_data()

    def runtime_ready(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        """Load what the screen shows (in a thread worker). Override."""
