"""An object's versions: download one, or make one current again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import humanize
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from tui import outside_text
from tui.modals.files_base import FilesDialog
from tui.widgets.row_table import RowTable

if TYPE_CHECKING:
    from core.files.versions import ObjectVersion


class FilesVersionsDialog(FilesDialog[tuple[str, str] | None]):
    """Returns ("download" | "restore", version id)."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape", "cancel", "Close", id="files.versions.close"),
        Binding("d", "pick('download')", "Download", id="files.versions.download"),
        Binding("R", "pick('restore')", "Make current", id="files.versions.restore"),
    ]

    def __init__(self, name: str, versions: list[ObjectVersion]) -> None:
        super().__init__()
        self.file_name = name
        self.versions = versions

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                outside_text.text(f"Versions of {self.file_name}"), classes="files-dialog-title"
            )
            table: DataTable[Any] = RowTable(cursor_type="row", id="files-versions-table")
            table.add_columns("Modified", "Size", "Version", "")
            for v in self.versions:
                flags = " ".join(
                    f
                    for f, on in (
                        ("latest", v.is_latest),
                        ("recorded", v.is_recorded),
                        ("delete marker", v.is_delete_marker),
                    )
                    if on
                )
                table.add_row(
                    Text(v.last_modified.astimezone().strftime("%Y-%m-%d %H:%M:%S")),
                    Text(humanize.naturalsize(v.size, binary=True)),
                    outside_text.text(v.version_id, width=36),
                    Text(flags),
                    key=v.version_id,
                )
            table.styles.height = min(16, len(self.versions) + 2)
            yield table
            yield Static(
                "d download this version · R make it current · esc close",
                classes="files-dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#files-versions-table", DataTable).focus()

    def action_pick(self, what: str) -> None:
        table = self.query_one("#files-versions-table", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is not None:
            self.dismiss((what, str(key)))
