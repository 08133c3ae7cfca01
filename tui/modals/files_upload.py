"""Pick files to upload (a tree and a path box; several files), with a category and
tags."""

from __future__ import annotations

from dataclasses import dataclass, field
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

CATEGORIES = ("general", "document", "contract", "invoice", "email", "avatar", "backup")


@dataclass
class UploadPlan:
    paths: list[Path]
    category: str = "general"
    tags: list[str] = field(default_factory=list)
    client_id: str | None = None  # the CRM's client id, for every file of the batch


class FilesUploadDialog(FilesDialog[UploadPlan | None]):
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape", "cancel", "Cancel", id="files.upload.cancel"),
        Binding("ctrl+s", "submit", "Upload", id="files.upload.submit"),
    ]

    def __init__(
        self, start: Path | None = None, client_id: str | None = None, title: str | None = None
    ) -> None:
        super().__init__()
        self.start = (start or Path.cwd()).expanduser()
        self.selected: list[Path] = []
        self.client_id = client_id or ""  # prefilled (the case view's client)
        self.title_text = title or "Upload files"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(outside_text.text(self.title_text), classes="files-dialog-title")
            yield Input(
                placeholder="a file path or pattern (~/scans/*.pdf); Enter adds; a folder opens",
                id="files-upload-path",
            )
            yield LocalTree(self.start, id="files-upload-tree")
            yield Static(
                "Enter on a file in the tree adds or removes it.", classes="files-dialog-hint"
            )
            yield Static("No files selected.", id="files-upload-selected")
            with Horizontal(classes="files-dialog-row"):
                yield Select(
                    [(c, c) for c in CATEGORIES],
                    value="general",
                    allow_blank=False,
                    id="files-upload-category",
                )
                yield Input(placeholder="tags, comma separated", id="files-upload-tags")
            yield Input(
                self.client_id,
                placeholder="client id for every file (24 characters 0-9 a-f; optional)",
                id="files-upload-client",
            )
            yield Static("", id="files-upload-error", classes="files-dialog-error")
            with Horizontal(classes="files-dialog-buttons"):
                yield Button("Upload (ctrl+s)", variant="primary", id="files-upload-ok")
                yield Button("Cancel (esc)", id="files-upload-cancel")

    def on_mount(self) -> None:
        self.query_one("#files-upload-path", Input).focus()

    def toggle(self, path: Path) -> None:
        """Add or remove a file; a symbolic link is refused (the command line's
        --follow-symlinks is the deliberate way to upload what one points to)."""
        error = self.query_one("#files-upload-error", Static)
        if path.is_symlink():
            error.update(
                outside_text.text(
                    f"{path.name} is a symbolic link: links are not uploaded. "
                    "Pick the file it points to."
                )
            )
            return
        error.update("")
        path = path.expanduser().absolute()  # not resolve(): that would follow links
        if path in self.selected:
            self.selected.remove(path)
        else:
            self.selected.append(path)
        self._show_selected()

    def _show_selected(self) -> None:
        text = (
            f"{len(self.selected)} selected: " + ", ".join(p.name for p in self.selected)
            if self.selected
            else "No files selected."
        )
        self.query_one("#files-upload-selected", Static).update(
            outside_text.text(text, no_wrap=False)
        )

    @on(Input.Submitted, "#files-upload-path")
    def _path_entered(self, event: Input.Submitted) -> None:
        event.stop()
        raw = event.value.strip()
        if not raw:
            self.action_submit()
            return
        path = Path(raw).expanduser()
        error = self.query_one("#files-upload-error", Static)
        if any(c in path.name for c in "*?["):  # a pattern: every file it matches
            matches = sorted(p for p in path.parent.glob(path.name) if p.is_file())
            if not matches:
                error.update(f"No file matches {path}")
                return
            for match in matches:
                if match.resolve() not in self.selected:
                    self.toggle(match)
            error.update("")
        elif path.is_dir():
            self.query_one("#files-upload-tree", DirectoryTree).path = path
            error.update("")
        elif path.exists() or path.is_symlink():
            self.toggle(path)
        else:
            error.update(outside_text.text(f"No such file: {path}"))
            return
        event.input.value = ""

    @on(DirectoryTree.FileSelected)
    def _file_picked(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.toggle(event.path)

    @on(Input.Submitted, "#files-upload-tags, #files-upload-client")
    @on(Button.Pressed, "#files-upload-ok")
    def action_submit(self) -> None:
        if not self.selected:
            self.query_one("#files-upload-error", Static).update("Select at least one file.")
            return
        from core.errors import InputError
        from core.validation import check_client_id

        client = self.query_one("#files-upload-client", Input)
        try:
            client_id = check_client_id(client.value)
        except InputError as exc:
            self.query_one("#files-upload-error", Static).update(str(exc))
            client.focus()
            return
        category = self.query_one("#files-upload-category", Select).value
        tags = [t.strip() for t in self.query_one("#files-upload-tags", Input).value.split(",")]
        self.dismiss(
            UploadPlan(
                paths=list(self.selected),
                category=str(category) if isinstance(category, str) else "general",
                tags=[t for t in tags if t],
                client_id=client_id,
            )
        )

    @on(Button.Pressed, "#files-upload-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)
