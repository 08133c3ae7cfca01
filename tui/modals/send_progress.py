"""Progress of a bulk send; Esc asks the worker to stop before its next call."""

from __future__ import annotations

import threading
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static


class BulkProgress(ModalScreen[None]):
    DEFAULT_CSS = """
    BulkProgress { align: center middle; }
    BulkProgress > Vertical {
        width: 80; height: auto; border: round $accent; background: $surface; padding: 1 2;
    }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "cancel", "Stop after this call", id="send.progress.cancel"),
    ]

    def __init__(self, total: int, cancel: threading.Event) -> None:
        super().__init__()
        self.total = total
        self.cancel = cancel

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Sending"
            yield Static(f"0 of {self.total} recipients", id="progress-text")
            yield ProgressBar(total=self.total, show_eta=True, id="progress-bar")
            yield Static("Esc stops before the next call of 50.", classes="summary")

    def advance(self, done: int, total: int) -> None:
        self.query_one(ProgressBar).update(total=total, progress=done)
        self.query_one("#progress-text", Static).update(f"{done} of {total} recipients")

    def action_cancel(self) -> None:
        self.cancel.set()
        self.query_one("#progress-text", Static).update("Stopping after the current call…")
