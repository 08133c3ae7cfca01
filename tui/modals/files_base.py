"""What the Files dialogs share: the frame, Esc to cancel."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.binding import Binding
from textual.screen import ModalScreen

T = TypeVar("T")

FILES_DIALOG_CSS = """
FilesDialog {
    align: center middle;
}
FilesDialog > Vertical {
    width: 100;
    max-width: 100%;
    height: auto;
    max-height: 90%;
    border: round $accent;
    background: $surface;
    padding: 1 2;
}
FilesDialog .files-dialog-title {
    text-style: bold;
    margin-bottom: 1;
}
FilesDialog .files-dialog-hint {
    color: $text-muted;
}
FilesDialog .files-dialog-error {
    color: $error;
}
FilesDialog .files-dialog-buttons {
    height: auto;
    margin-top: 1;
}
FilesDialog .files-dialog-buttons Button {
    margin-right: 2;
}
FilesDialog DirectoryTree {
    height: 14;
    border: solid $panel;
}
FilesDialog .files-dialog-row {
    height: auto;
}
FilesDialog .files-dialog-row Select {
    width: 32;
}
FilesDialog .files-dialog-row Input {
    width: 1fr;
}
FilesDialog .files-dialog-row Checkbox {
    width: auto;
}
/* 80x24: every field on screen (the tree shorter, the hint and margins gone) */
FilesDialog.-narrow > Vertical {
    padding: 0 1;
}
FilesDialog.-narrow .files-dialog-title {
    margin-bottom: 0;
}
FilesDialog.-narrow DirectoryTree {
    height: 5;
}
FilesDialog.-narrow .files-dialog-hint {
    display: none;
}
FilesDialog.-narrow .files-dialog-buttons {
    margin-top: 0;
}
"""


class FilesDialog(ModalScreen[T]):
    """Base of the Files dialogs: Esc dismisses with None."""

    DEFAULT_CSS = FILES_DIALOG_CSS
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "cancel", "Cancel", id="files.dialog.cancel"),
    ]

    def action_cancel(self) -> None:
        self.dismiss(None)
