"""The help screen (`?` / F1): every binding of the app and of the current screen."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def _key_label(binding: Binding) -> str:
    return binding.key_display or ", ".join(k.strip() for k in binding.key.split(","))


def binding_rows(screen: Screen[Any]) -> list[tuple[str, str, str]]:
    """(where, keys, description) for the app's and the screen's bindings."""
    rows: list[tuple[str, str, str]] = []
    for where, node in (("global", screen.app), (getattr(screen, "TITLE", "") or "screen", screen)):
        for item in node.BINDINGS:
            binding = item if isinstance(item, Binding) else Binding(*item)
            if binding.description:
                rows.append((where, _key_label(binding), binding.description))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close help", id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        lines = ["[b]Keys[/b]", ""]
        last = ""
        for where, keys, description in self.rows:
            if where != last:
                lines.append(f"\n[b]{where.capitalize()}[/b]")
                last = where
            lines.append(f"  [reverse] {keys} [/reverse]  {description}")
        lines.append("\nCommand palette: ctrl+p lists every action. Esc closes this help.")
        with VerticalScroll(id="help-body"):
            yield Static("\n".join(lines), id="help-text")
