"""The header: app name, where the console is connected, and status slots."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget


@dataclass
class HeaderState:
    """What every screen's header shows; owned by the app."""

    target: str = "connecting…"
    sandbox: bool = False
    status: str = ""
    warning: str = ""


class ConnectionBar(Widget):
    """One line: `depllc  screen  SANDBOX  target  warning  status`. Where the console
    is connected comes first; warnings and status follow and are the ones cut with an
    ellipsis when the line is too long."""

    DEFAULT_CSS = """
    ConnectionBar { height: 1; dock: top; background: $panel; }
    """

    def __init__(self, state: HeaderState, title: str) -> None:
        super().__init__()
        self.state = state
        self.title = title

    def render(self) -> Text:
        state = self.state
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" depllc ", style="bold reverse")
        text.append(f" {self.title} ", style="bold")
        if state.sandbox:
            text.append(" SANDBOX ", style="bold black on yellow")
        text.append(f" {state.target} ", style="yellow" if state.sandbox else "dim")
        if state.warning:
            text.append(f" {state.warning} ", style="bold white on red")
        if state.status:
            text.append(f" {state.status}", style="cyan")
        return text
