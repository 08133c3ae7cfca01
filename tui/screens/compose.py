"""Compose screen (contents come with the email issue)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.screens.base import ServiceScreen


class ComposeScreen(ServiceScreen):
    TITLE = "Compose"

    def compose_body(self) -> ComposeResult:
        yield Static("Compose: not built yet.", classes="summary")
