"""Edit tags, category, visibility and client: of one file (the fields show its
values), or of several marked files at once (empty fields leave each file's own)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from tui import outside_text
from tui.modals.files_base import FilesDialog
from tui.modals.files_upload import CATEGORIES


class FilesTagsDialog(FilesDialog[dict[str, Any] | None]):
    """Returns the keyword arguments of core.files.metadata.update_metadata (for
    several files: only the fields that were filled in)."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape", "cancel", "Cancel", id="files.tags.cancel"),
        Binding("ctrl+s", "submit", "Save", id="files.tags.save"),
    ]

    def __init__(
        self,
        names: list[str],
        tags: list[str] | None = None,
        category: str | None = None,
        public: bool = False,
        client: str | None = None,
    ) -> None:
        super().__init__()
        self.names = names
        self.several = len(names) > 1
        self.tags = tags or []
        self.category = category
        self.public = public
        self.client = client or ""

    def compose(self) -> ComposeResult:
        what = f"{len(self.names)} marked files" if self.several else self.names[0]
        keep = " (empty: each keeps its own)" if self.several else ""
        with Vertical():
            yield Label(outside_text.text(f"Edit {what}"), classes="files-dialog-title")
            yield Input(
                "" if self.several else ", ".join(self.tags),
                placeholder="tags, comma separated" + keep,
                id="files-tags-tags",
            )
            with Horizontal(classes="files-dialog-row"):
                yield Select(
                    [(c, c) for c in CATEGORIES],
                    value=self.category if self.category in CATEGORIES else Select.NULL,
                    allow_blank=self.several,
                    prompt="keep each file's category",
                    id="files-tags-category",
                )
                if not self.several:
                    yield Checkbox("public", self.public, id="files-tags-public")
            yield Input(
                "" if self.several else self.client,
                placeholder="client id: 24 characters 0-9 a-f" + (keep or " (empty: none)"),
                id="files-tags-client",
            )
            yield Static("", id="files-tags-error", classes="files-dialog-error")
            with Horizontal(classes="files-dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="files-tags-ok")
                yield Button("Cancel (esc)", id="files-tags-cancel")

    def on_mount(self) -> None:
        self.query_one("#files-tags-tags", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#files-tags-ok")
    def action_submit(self) -> None:
        from core.errors import InputError
        from core.validation import check_client_id

        client_box = self.query_one("#files-tags-client", Input)
        try:
            client = check_client_id(client_box.value)
        except InputError as exc:
            self.query_one("#files-tags-error", Static).update(str(exc))
            client_box.focus()
            return
        category = self.query_one("#files-tags-category", Select).value
        tags_text = self.query_one("#files-tags-tags", Input).value
        tags = [t for t in (t.strip() for t in tags_text.split(",")) if t]
        changes: dict[str, Any] = {}
        if tags or not self.several:
            changes["tags"] = tags
        if isinstance(category, str):
            changes["category"] = category
        if client or not self.several:
            changes["client_id"] = client or ""
        if not self.several:
            changes["is_public"] = self.query_one("#files-tags-public", Checkbox).value
        if not changes:
            self.query_one("#files-tags-error", Static).update(
                "Fill in what to change for every marked file, or press Esc."
            )
            return
        self.dismiss(changes)

    @on(Button.Pressed, "#files-tags-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)
