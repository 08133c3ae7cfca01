"""The help screen (`?` / F1): every binding of the app, of the current screen and of
the focused widget, with its key, description and id (the id a keymap remaps).

Only the console's own bindings are listed: those Textual's base classes bring
(tab, copy, scrolling) are left out as noise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


@dataclass(frozen=True)
class BindingRow:
    where: str
    keys: str
    description: str
    id: str


def _as_binding(item: BindingType) -> Binding:
    return item if isinstance(item, Binding) else Binding(*item)


def _key_label(binding: Binding) -> str:
    return binding.key_display or ", ".join(k.strip() for k in binding.key.split(","))


def own_bindings(node: DOMNode) -> list[Binding]:
    """The bindings declared by the node's class and its non-Textual bases (the
    nearest declaration of an action wins)."""
    found: list[Binding] = []
    seen: set[str] = set()
    for cls in type(node).__mro__:
        if cls.__module__.split(".", 1)[0] == "textual" or "BINDINGS" not in cls.__dict__:
            continue
        for item in cls.__dict__["BINDINGS"]:
            binding = _as_binding(item)
            if binding.action not in seen:
                seen.add(binding.action)
                found.append(binding)
    return found


def _title(node: DOMNode) -> str:
    title = getattr(node, "TITLE", "") or getattr(node, "HELP_TITLE", "")
    return str(title) or type(node).__name__


def binding_rows(screen: Screen[Any]) -> list[BindingRow]:
    """Rows for the app's, the screen's and the focused widget chain's bindings."""
    nodes: list[tuple[str, DOMNode]] = [("Everywhere", screen.app), (_title(screen), screen)]
    node: DOMNode | None = screen.focused
    chain: list[DOMNode] = []
    while node is not None and node is not screen:
        chain.append(node)
        node = node.parent
    nodes += [(_title(widget), widget) for widget in chain]
    rows: list[BindingRow] = []
    for where, node in nodes:
        for binding in own_bindings(node):
            rows.append(
                BindingRow(
                    where=where,
                    keys=_key_label(binding),
                    description=binding.description or binding.tooltip or binding.action,
                    id=binding.id or "",
                )
            )
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close help", id="help.close")]

    def __init__(self, rows: list[BindingRow]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 2, 0, 0))
        table.add_column("Key", style="bold", no_wrap=True)
        table.add_column("Does")
        table.add_column("Id", style="dim", no_wrap=True)
        last = ""
        for row in self.rows:
            if row.where != last:
                if last:
                    table.add_row("", "", "")
                table.add_row(f"[b reverse] {row.where} [/]", "", "")
                last = row.where
            table.add_row(row.keys, row.description, row.id)
        with VerticalScroll(id="help-body"):
            yield Static("[b]Keys[/b]", id="help-title")
            yield Static(table, id="help-table")
            yield Static(
                "ctrl+p opens the command palette (every action by name). Esc closes this help.",
                id="help-footer",
            )
