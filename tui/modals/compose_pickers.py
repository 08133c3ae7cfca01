"""Pickers for the Compose screen's attachments: a local file (a path with completion,
or a folder tree) and a stored file (the `files` catalogue)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import DataTable, DirectoryTree, Input, Label, Static

from tui import outside_text
from tui.screens.base import ReportsWorkerErrors
from tui.widgets.local_tree import LocalTree
from tui.widgets.row_table import RowTable

if TYPE_CHECKING:
    from core.models import FileRecord
    from core.runtime import Runtime


class PathSuggester(Suggester):
    """Completes the last part of a path from what is on disk."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        path = Path(value).expanduser()
        folder, stem = (path, "") if value.endswith("/") else (path.parent, path.name)
        try:
            names = sorted(p.name for p in folder.iterdir() if p.name.startswith(stem))
        except OSError:
            return None
        names = [n for n in names if not n.startswith(".") or stem.startswith(".")]
        if not names:
            return None
        completed = folder / names[0]
        suffix = "/" if completed.is_dir() else ""
        text = str(completed) + suffix
        if value.startswith("~"):
            text = "~" + text[len(str(Path("~").expanduser())) :]
        return text


class LocalFilePicker(ModalScreen[str | None]):
    """Type a path (Tab/→ completes) or pick in the tree; Enter chooses."""

    DEFAULT_CSS = """
    LocalFilePicker { align: center middle; }
    LocalFilePicker > Vertical {
        width: 100; height: 36; border: round $accent; background: $surface; padding: 0 1;
    }
    LocalFilePicker DirectoryTree { height: 1fr; }
    LocalFilePicker #picker-error { color: $error; height: auto; }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "cancel", "Cancel", id="compose.picker.cancel"),
    ]

    def __init__(self, start: Path | None = None) -> None:
        super().__init__()
        self.start = start or Path.cwd()

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Attach a local file"
            yield Label("Path (→ completes, Enter attaches) or pick below:")
            yield Input(value=f"{self.start}/", suggester=PathSuggester(), id="picker-path")
            yield Static("", id="picker-error")
            yield LocalTree(self.start, id="picker-tree")

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _choose(self, value: str) -> None:
        path = Path(value).expanduser()
        if path.is_dir():
            self.query_one(DirectoryTree).path = path
            self.query_one("#picker-error", Static).update("")
            return
        if not path.is_file() and not path.is_symlink():
            self.query_one("#picker-error", Static).update(
                outside_text.text(f"No such file: {path}")
            )
            return
        self._accept(path)

    def _accept(self, path: Path) -> None:
        """Attach only what read_local will take: checked now, not at send time."""
        from core.errors import DepllcError
        from core.mail.attachments import check_local

        try:
            check_local(str(path))
        except DepllcError as exc:  # the name is outside text: never markup
            self.query_one("#picker-error", Static).update(outside_text.text(exc))
            return
        self.dismiss(str(path))

    @on(Input.Submitted, "#picker-path")
    def _submitted(self, event: Input.Submitted) -> None:
        self._choose(event.value)

    @on(DirectoryTree.FileSelected)
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        self._accept(event.path)


class StoredFilePicker(ReportsWorkerErrors, ModalScreen[str | None]):
    """The stored files that can be attached (completed, not deleted); type to filter,
    Enter attaches the highlighted one (returns its `files` _id)."""

    DEFAULT_CSS = """
    StoredFilePicker { align: center middle; }
    StoredFilePicker > Vertical {
        width: 120; height: 36; border: round $accent; background: $surface; padding: 0 1;
    }
    StoredFilePicker DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "cancel", "Cancel", id="compose.stored.cancel"),
        Binding("down", "focus_table", "Results", show=False, id="compose.stored.table"),
    ]

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Attach a stored file"
            yield Input(placeholder="filter by name…", id="stored-search")
            table: DataTable[Any] = RowTable(id="stored-table", cursor_type="row")
            table.add_columns("Name", "Category", "Size", "Uploaded", "Key")
            yield table
            yield Static("Enter attaches · Esc cancels", classes="summary")

    def on_mount(self) -> None:
        self.load("")

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_focus_table(self) -> None:
        self.query_one(DataTable).focus()

    @on(Input.Changed, "#stored-search")
    def _search(self, event: Input.Changed) -> None:
        self.load(event.value)

    @on(Input.Submitted, "#stored-search")
    def _submit(self, _event: Input.Submitted) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            self.dismiss(str(key))

    @work(thread=True, exclusive=True, group="stored-picker", exit_on_error=False)
    def load(self, search: str) -> None:
        from core.mail.attachments import attachable_files

        records = attachable_files(self.runtime, search)
        self.app.call_from_thread(self._show, records)

    def _show(self, records: list[FileRecord]) -> None:
        import humanize

        table = self.query_one(DataTable)
        table.clear()
        for r in records:
            table.add_row(  # Text cells: a str cell would be read as markup
                outside_text.text(r.originalName, width=48),
                outside_text.text(r.category.value),
                Text(humanize.naturalsize(r.size, binary=True)),
                Text(r.createdAt.astimezone().strftime("%Y-%m-%d %H:%M")),
                outside_text.text(r.key, width=48),
                key=str(r.id),
            )

    @on(DataTable.RowSelected)
    def _picked(self, event: DataTable.RowSelected) -> None:
        self.dismiss(str(event.row_key.value))
