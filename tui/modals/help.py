"""The help screen (`?` / F1; F1 also from a text field): the keys of the current
screen, of the focused part, how to move around (Enter, Tab, Esc, Home/End, `/`) and
the keys that work everywhere, with human key names (`?`, `F1`, `Ctrl+S`). It fits
80 columns.

Only the console's own bindings are listed: those Textual's base classes bring
(tab, copy, scrolling) are described once under "Moving around"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static, TextArea

from tui.keys import binding_keys, human_key


@dataclass(frozen=True)
class BindingRow:
    where: str
    keys: str
    description: str


MOVING_AROUND = (
    ("↑ ↓, PgUp PgDn", "Move in a list"),
    ("Home, End", "First, last row (End loads the rest of a long list)"),
    ("Enter", "Open the selected row; in the query line or a field: apply"),
    ("Tab, Shift+Tab", "Next, previous part: query line, filters, table, fields"),
    ("Esc", "Back: leave a field, close a dialog or a detail"),
)
IN_A_FIELD = (
    ("a-z 0-9 ? /", "Type themselves: keys that act need the table (Esc first)"),
    ("F1", "This help, from inside a field too"),
)


def _as_binding(item: BindingType) -> Binding:
    return item if isinstance(item, Binding) else Binding(*item)


def own_bindings(node: DOMNode | type[DOMNode]) -> list[Binding]:
    """The bindings declared by the node's class (or the class given) and its
    non-Textual bases (the nearest declaration of an action wins)."""
    found: list[Binding] = []
    seen: set[str] = set()
    for cls in (node if isinstance(node, type) else type(node)).__mro__:
        if cls.__module__.split(".", 1)[0] == "textual" or "BINDINGS" not in cls.__dict__:
            continue
        for item in cls.__dict__["BINDINGS"]:
            binding = _as_binding(item)
            if binding.action not in seen:
                seen.add(binding.action)
                found.append(binding)
    return found


def _title(node: DOMNode) -> str:
    title = getattr(node, "HELP_TITLE", "") or getattr(node, "TITLE", "")
    return str(title) or type(node).__name__


def _rows(where: str, node: DOMNode) -> list[BindingRow]:
    return [
        BindingRow(where, binding_keys(b), b.tooltip or b.description or b.action)
        for b in own_bindings(node)
    ]


def _everywhere(screen: Screen[Any]) -> list[BindingRow]:
    """The app's keys, the screen switches as one row."""
    switches = [b for b in own_bindings(screen.app) if b.action.startswith("switch_mode")]
    rows: list[BindingRow] = []
    if switches:
        rows.append(
            BindingRow(
                "Everywhere",
                f"{human_key(switches[0].key)} … {human_key(switches[-1].key)}",
                ", ".join(b.description for b in switches) + " (in a field: Esc first)",
            )
        )
    rows += [
        row
        for row in _rows("Everywhere", screen.app)
        if not any(row.description == b.description for b in switches)
    ]
    rows.append(BindingRow("Everywhere", "Ctrl+P", "Command palette: every action by name, Doctor"))
    return rows


def binding_rows(screen: Screen[Any]) -> list[BindingRow]:
    """The screen's keys, the focused part's, moving around, and everywhere."""
    rows = _rows(_title(screen), screen)
    node: DOMNode | None = screen.focused
    chain: list[DOMNode] = []
    while node is not None and node is not screen:
        chain.append(node)
        node = node.parent
    for widget in chain:
        rows += _rows(_title(widget), widget)
    if isinstance(screen.focused, Input | TextArea):
        rows += [BindingRow("In a text field", k, d) for k, d in IN_A_FIELD]
    rows += [BindingRow("Moving around", k, d) for k, d in MOVING_AROUND]
    return rows + _everywhere(screen)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close help", id="help.close"),
    ]

    def __init__(self, rows: list[BindingRow]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 2, 0, 0), expand=True)
        table.add_column("Key", style="bold", no_wrap=True, min_width=14)
        table.add_column("Does", ratio=1)
        last = ""
        for row in self.rows:
            if row.where != last:
                if last:
                    table.add_row("", "")
                table.add_row(Text(f" {row.where} ", style="b reverse"), "")
                last = row.where
            table.add_row(Text(row.keys), Text(row.description))
        with VerticalScroll(id="help-body"):
            yield Static(Text("Keys", style="bold"), id="help-title")
            yield Static(table, id="help-table")
            yield Static("Esc, ? or F1 closes this help.", id="help-footer")
