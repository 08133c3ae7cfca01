"""Confirmations before a send: what goes where (recipients, messages, size, cost,
attachments), and the override of a manual suppression."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui import outside_text


class SendConfirm(ModalScreen[bool]):
    """Yes/no with a summary; `y`/Enter sends, `n`/Esc cancels."""

    DEFAULT_CSS = """
    SendConfirm { align: center middle; }
    SendConfirm > Vertical {
        width: 90; height: auto; max-height: 80%; border: round $accent;
        background: $surface; padding: 1 2;
    }
    SendConfirm #confirm-text { height: auto; margin-bottom: 1; }
    SendConfirm Horizontal { height: auto; align-horizontal: right; }
    SendConfirm Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("y", "answer(True)", "Send", id="send.confirm.yes"),
        Binding("n,escape", "answer(False)", "Cancel", id="send.confirm.no"),
    ]

    def __init__(self, title: str, text: str, yes: str = "Send") -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Static(outside_text.text(self.text, multiline=True), id="confirm-text")
            with Horizontal():
                yield Button(f"{self.yes} (y)", variant="primary", id="confirm-yes")
                yield Button("Cancel (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")
