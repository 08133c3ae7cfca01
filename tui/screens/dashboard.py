"""Dashboard screen: delivery figures (cards and charts come with the log issue)."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.widgets import Static

from tui.screens.base import ServiceScreen


class DashboardScreen(ServiceScreen):
    TITLE = "Dashboard"

    def compose_body(self) -> ComposeResult:
        yield Static("Loading…", id="dash-summary", classes="summary")

    def refresh_data(self) -> None:
        self.load_counts()

    @work(thread=True, exclusive=True, group="dashboard", exit_on_error=False)
    def load_counts(self) -> None:
        runtime = self.runtime
        assert runtime is not None
        rows: list[dict[str, Any]] = list(
            runtime.store.emaillogs.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}])
        )
        text = "  ".join(f"{r['_id']}: {r['n']}" for r in sorted(rows, key=lambda r: r["_id"]))
        self.app.call_from_thread(
            self.query_one("#dash-summary", Static).update, f"Emails by status  {text}"
        )
