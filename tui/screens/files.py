"""Files screen: the catalogue (transfers and actions come with the files issue)."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tui.screens.base import ServiceScreen


class FilesScreen(ServiceScreen):
    TITLE = "Files"

    def compose_body(self) -> ComposeResult:
        yield Static("Loading…", id="files-summary", classes="summary")
        table: DataTable[str] = DataTable(id="files-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("Name", "Category", "Size", "Owner", "Status", "Uploaded")
        yield table

    def refresh_data(self) -> None:
        self.load_files()

    @work(thread=True, exclusive=True, group="files", exit_on_error=False)
    def load_files(self) -> None:
        runtime = self.runtime
        assert runtime is not None
        docs: list[dict[str, Any]] = list(
            runtime.store.files.find({"status": {"$ne": "deleted"}})
            .sort([("createdAt", -1), ("_id", -1)])
            .limit(200)
        )
        self.app.call_from_thread(self._show, docs)

    def _show(self, docs: list[dict[str, Any]]) -> None:
        import humanize

        table = self.query_one("#files-table", DataTable)
        table.clear()
        for doc in docs:
            table.add_row(
                doc.get("originalName", ""),
                doc.get("category", ""),
                humanize.naturalsize(doc.get("size", 0), binary=True),
                doc.get("userId", ""),
                doc.get("status", ""),
                doc["createdAt"].astimezone().strftime("%Y-%m-%d %H:%M"),
                key=str(doc["_id"]),
            )
        self.query_one("#files-summary", Static).update(f"{len(docs)} files")
