"""Links: ask for the expiry, then show the URL (copied to the clipboard with OSC 52
where the terminal allows it, and selectable for a manual copy over SSH)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static, TextArea

from tui import outside_text
from tui.modals.files_base import FilesDialog


class FilesLinkDialog(FilesDialog[int | None]):
    """Ask how long the link lives: 1h by default, 7 days at most."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.file_name = name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                outside_text.text(f"Download link for {self.file_name}"),
                classes="files-dialog-title",
            )
            yield Input(
                "1h", placeholder="expiry: 15m, 1h, 2d, 7d (at most)", id="files-link-expiry"
            )
            yield Static("", id="files-link-error", classes="files-dialog-error")
            yield Static("Enter makes the link; Esc cancels.", classes="files-dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#files-link-expiry", Input).focus()

    @on(Input.Submitted, "#files-link-expiry")
    def _submit(self, event: Input.Submitted) -> None:
        from core.errors import InputError
        from core.files.links import check_expiry, parse_duration

        event.stop()
        try:
            seconds = check_expiry(parse_duration(event.value))
        except InputError as exc:
            self.query_one("#files-link-error", Static).update(outside_text.text(exc))
            return
        self.dismiss(seconds)


class FilesLinkResult(FilesDialog[None]):
    """The link, selectable; `y` copies again (OSC 52)."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,enter", "cancel", "Close", id="files.link.close"),
        Binding("y", "copy", "Copy again", id="files.link.copy"),
    ]

    def __init__(self, url: str, name: str, expires: str) -> None:
        super().__init__()
        self.url = url
        self.file_name = name
        self.expires = expires

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                outside_text.text(f"Link to {self.file_name}"), classes="files-dialog-title"
            )
            yield TextArea(self.url, read_only=True, soft_wrap=True, id="files-link-url")
            yield Static(
                f"Expires {self.expires}. Copied to the clipboard (OSC 52) where the terminal "
                "allows it; otherwise select the text above.",
                classes="files-dialog-hint",
            )
            with Horizontal(classes="files-dialog-buttons"):
                yield Button("Copy again (y)", id="files-link-copy")
                yield Button("Close (esc)", variant="primary", id="files-link-close")

    def on_mount(self) -> None:
        area = self.query_one("#files-link-url", TextArea)
        area.styles.height = "auto"
        area.styles.max_height = 5
        self.action_copy()

    @on(Button.Pressed, "#files-link-copy")
    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.url)

    @on(Button.Pressed, "#files-link-close")
    def _close(self) -> None:
        self.dismiss(None)
