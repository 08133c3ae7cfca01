"""Purge behind a typed confirmation: the file's name, exactly."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from tui import outside_text
from tui.modals.files_base import FilesDialog


class FilesPurgeConfirm(FilesDialog[str | None]):
    """Returns what was typed once it matches the name (the core checks it again)."""

    def __init__(self, name: str, versions_hint: str = "") -> None:
        super().__init__()
        self.file_name = name
        self.versions_hint = versions_hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(outside_text.text(f"Purge {self.file_name}?"), classes="files-dialog-title")
            yield Static(
                "This removes every version of the object from S3. It cannot be undone. "
                + self.versions_hint
            )
            yield Static("Type the file name to confirm:", classes="files-dialog-hint")
            yield Input(placeholder=outside_text.visible(self.file_name), id="files-purge-name")
            yield Static("", id="files-purge-error", classes="files-dialog-error")

    def on_mount(self) -> None:
        self.query_one("#files-purge-name", Input).focus()

    @on(Input.Submitted, "#files-purge-name")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip() != self.file_name:
            self.query_one("#files-purge-error", Static).update(
                "That is not the file's name; nothing was purged."
            )
            return
        self.dismiss(event.value.strip())
