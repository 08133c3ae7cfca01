"""Edit a file's tags, category, visibility and client."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select

from tui import outside_text
from tui.modals.files_base import FilesDialog
from tui.modals.files_upload import CATEGORIES


class FilesTagsDialog(FilesDialog[dict[str, Any] | None]):
    """Returns the keyword arguments of core.files.metadata.update_metadata."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape", "cancel", "Cancel", id="files.tags.cancel"),
        Binding("ctrl+s", "submit", "Save", id="files.tags.save"),
    ]

    def __init__(
        self, name: str, tags: list[str], category: str, public: bool, client: str | None
    ) -> None:
        super().__init__()
        self.file_name = name
        self.tags = tags
        self.category = category
        self.public = public
        self.client = client or ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(outside_text.text(f"Edit {self.file_name}"), classes="files-dialog-title")
            yield Input(
                ", ".join(self.tags), placeholder="tags, comma separated", id="files-tags-tags"
            )
            with Horizontal(classes="files-dialog-row"):
                yield Select(
                    [(c, c) for c in CATEGORIES],
                    value=self.category,
                    allow_blank=False,
                    id="files-tags-category",
                )
                yield Checkbox("public", self.public, id="files-tags-public")
            yield Input(self.client, placeholder="client id (empty: none)", id="files-tags-client")
            with Horizontal(classes="files-dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="files-tags-ok")
                yield Button("Cancel (esc)", id="files-tags-cancel")

    def on_mount(self) -> None:
        self.query_one("#files-tags-tags", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#files-tags-ok")
    def action_submit(self) -> None:
        category = self.query_one("#files-tags-category", Select).value
        tags = [t.strip() for t in self.query_one("#files-tags-tags", Input).value.split(",")]
        self.dismiss(
            {
                "tags": [t for t in tags if t],
                "category": category if isinstance(category, str) else None,
                "is_public": self.query_one("#files-tags-public", Checkbox).value,
                "client_id": self.query_one("#files-tags-client", Input).value,
            }
        )

    @on(Button.Pressed, "#files-tags-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)
