"""Logs screen: the newest email logs (browse/filter/triage come with the log issue)."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tui.screens.base import ServiceScreen


class LogsScreen(ServiceScreen):
    TITLE = "Logs"

    def compose_body(self) -> ComposeResult:
        yield Static("Loading…", id="logs-summary", classes="summary")
        table: DataTable[str] = DataTable(id="logs-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("Time", "To", "Subject", "Category", "Status", "Priority")
        yield table

    def refresh_data(self) -> None:
        self.load_newest()

    @work(thread=True, exclusive=True, group="logs", exit_on_error=False)
    def load_newest(self) -> None:
        runtime = self.runtime
        assert runtime is not None
        docs: list[dict[str, Any]] = list(
            runtime.store.emaillogs.find({}, {"content": 0, "templateData": 0, "events": 0})
            .sort([("createdAt", -1), ("_id", -1)])
            .limit(100)
        )
        self.app.call_from_thread(self._show, docs)

    def _show(self, docs: list[dict[str, Any]]) -> None:
        table = self.query_one("#logs-table", DataTable)
        table.clear()
        for doc in docs:
            table.add_row(
                doc["createdAt"].astimezone().strftime("%Y-%m-%d %H:%M"),
                ", ".join(doc.get("to", []))[:40],
                doc.get("subject", "")[:60],
                doc.get("category", ""),
                doc.get("status", ""),
                doc.get("priority", ""),
                key=str(doc["_id"]),
            )
        self.query_one("#logs-summary", Static).update(f"Newest {len(docs)} email logs")

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.notify(f"Log {event.row_key.value}")
