"""Pick the folder to download into, and what to do when a file is already there."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DirectoryTree, Input, Label, Select, Static

from tui import outside_text
from tui.modals.files_base import FilesDialog
from tui.widgets.local_tree import LocalTree

CONFLICTS = (
    ("refuse if it exists", "refuse"),
    ("keep both (name (1).ext)", "keep-both"),
    ("overwrite", "overwrite"),
)


@dataclass
class DownloadPlan:
    folder: Path
    conflict: str = "refuse"


class FilesDownloadDialog(FilesDialog[DownloadPlan | None]):
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape", "cancel", "Cancel", id="files.download.cancel"),
        Binding("ctrl+s", "submit", "Download", id="files.download.submit"),
    ]

    def __init__(
        self,
        names: list[str],
        start: Path | None = None,
        folder: Path | None = None,
        title: str | None = None,
    ) -> None:
        """`start`: the folder the tree shows; `folder`: the one proposed (it may not
        exist yet: Enter asks, Enter again creates it); `title` replaces "Download N files"."""
        super().__init__()
        self.names = names
        self.start = (start or Path.cwd()).expanduser()
        if not self.start.is_dir():
            self.start = Path.cwd()
        self.folder = folder.expanduser() if folder is not None else self.start
        self.title_text = title
        self._create: Path | None = None  # a missing folder the person was asked about

    def compose(self) -> ComposeResult:
        what = self.names[0] if len(self.names) == 1 else f"{len(self.names)} files"
        title = self.title_text or f"Download {what} to"
        with Vertical():
            yield Label(outside_text.text(title), classes="files-dialog-title")
            yield Input(str(self.folder), id="files-download-folder")
            yield LocalTree(self.start, folders_only=True, id="files-download-tree")
            with Horizontal(classes="files-dialog-row"):
                yield Select(
                    CONFLICTS, value="refuse", allow_blank=False, id="files-download-conflict"
                )
            yield Static("", id="files-download-error", classes="files-dialog-error")
            with Horizontal(classes="files-dialog-buttons"):
                yield Button("Download (enter)", variant="primary", id="files-download-ok")
                yield Button("Cancel (esc)", id="files-download-cancel")

    def on_mount(self) -> None:
        self.query_one("#files-download-folder", Input).focus()

    @on(DirectoryTree.DirectorySelected)
    def _folder_picked(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        self.query_one("#files-download-folder", Input).value = str(event.path)

    @on(Input.Submitted, "#files-download-folder")
    @on(Button.Pressed, "#files-download-ok")
    def action_submit(self) -> None:
        raw = self.query_one("#files-download-folder", Input).value.strip()
        folder = Path(raw).expanduser()
        error = self.query_one("#files-download-error", Static)
        if not raw:
            error.update("Type a folder (~ is your home).")
            return
        if folder.exists() and not folder.is_dir():
            error.update(outside_text.text(f"{folder} is a file, not a folder."))
            return
        if not folder.exists():
            if self._create != folder:  # ask first: Enter again creates it
                self._create = folder
                error.update(
                    outside_text.text(
                        f"{folder} does not exist: Enter again creates it (Esc cancels)."
                    )
                )
                return
            try:
                folder.mkdir(parents=True)
            except OSError as exc:
                error.update(outside_text.text(f"Cannot create {folder}: {exc.strerror or exc}"))
                return
        conflict = self.query_one("#files-download-conflict", Select).value
        self.dismiss(DownloadPlan(folder, str(conflict) if isinstance(conflict, str) else "refuse"))

    @on(Input.Changed, "#files-download-folder")
    def _folder_changed(self, event: Input.Changed) -> None:
        if Path(event.value.strip()).expanduser() != self._create:  # another folder
            self._create = None
            self.query_one("#files-download-error", Static).update("")

    @on(Button.Pressed, "#files-download-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)
