"""Small dialogs of the logs screens: a one-line prompt (export path, saved-search
name) and a pick list (saved searches, a recipient)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui import outside_text

_CSS = """
LogsPrompt, LogsPick {
    align: center middle;
}
LogsPrompt > Vertical, LogsPick > Vertical {
    width: 80;
    height: auto;
    max-height: 80%;
    border: round $accent;
    background: $surface;
    padding: 1 2;
}
LogsPick OptionList {
    height: auto;
    max-height: 20;
}
.logs-dialog-title {
    text-style: bold;
    margin-bottom: 1;
}
.logs-dialog-hint {
    color: $text-muted;
    margin-top: 1;
}
.logs-dialog-error {
    color: $error;
}
"""


class LogsPrompt(ModalScreen[str | None]):
    """Ask for one line of text; Enter confirms, Esc cancels (None)."""

    DEFAULT_CSS = _CSS
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "cancel", "Cancel", id="logs.prompt.cancel"),
    ]

    def __init__(self, title: str, value: str = "", placeholder: str = "", hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="logs-dialog-title")
            yield Input(self.value, placeholder=self.placeholder, id="logs-prompt-input")
            yield Static("", id="logs-prompt-error", classes="logs-dialog-error")
            if self.hint:
                yield Static(
                    outside_text.text(self.hint, multiline=True), classes="logs-dialog-hint"
                )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def show_error(self, text: str) -> None:
        self.query_one("#logs-prompt-error", Static).update(text)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.show_error("Type something, or press Esc to cancel.")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class LogsPick(ModalScreen[str | None]):
    """Pick one of several (value, label) items; digits 1-9 pick directly."""

    DEFAULT_CSS = _CSS
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "cancel", "Cancel", id="logs.pick.cancel"),
        *[Binding(str(n), f"pick({n - 1})", show=False, id=f"logs.pick.{n}") for n in range(1, 10)],
    ]

    def __init__(self, title: str, items: list[tuple[str, str]], hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.items = items
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="logs-dialog-title")
            yield OptionList(
                *[
                    Option(
                        outside_text.text(f"{n}  {label}" if n <= 9 else f"   {label}"),
                        id=str(n - 1),
                    )
                    for n, (_, label) in enumerate(self.items, start=1)
                ],
                id="logs-pick-list",
            )
            if self.hint:
                yield Static(self.hint, classes="logs-dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_pick(int(event.option.id or 0))

    def action_pick(self, index: int) -> None:
        if 0 <= index < len(self.items):
            self.dismiss(self.items[index][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
