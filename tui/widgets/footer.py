"""The footer: the keys of the focused part first, then the screen's, then the
screen switches, as many as fit the width (`? Help` always), recomposed only when
what it shows changes.

In a text field the keys it types (letters, digits, `?`, `/`) are not offered: Help
shows as `F1`, which works there. Textual's Footer shows every binding in one row,
cut at the edge (`4 Dashboar▏` at 160 columns, no Help), and rebuilds every key
widget on each "bindings updated" signal; this one keeps a signature of what it
shows and skips the rebuild when it is unchanged.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Footer, Input, TextArea
from textual.widgets._footer import FooterKey

from tui.keys import human_key, types_in_a_field

Signature = tuple[tuple[str, str, str, bool, str], ...]
PALETTE_WIDTH = 13  # `▏^p palette` on the right
HELP_ACTIONS = ("help", "app.help")


def _depth(node: DOMNode) -> int:
    return len(node.ancestors)


def shown_bindings(screen: Screen[Any], width: int) -> Signature:
    """What the footer shows on `screen` at `width` columns: (key, action,
    description, enabled, tooltip), Help first, then by priority while they fit."""
    typing = isinstance(screen.focused, Input | TextArea)
    candidates: list[tuple[int, DOMNode, Binding, bool, str]] = []
    for order, (node, binding, enabled, tooltip) in enumerate(screen.active_bindings.values()):
        if binding.show and not (typing and types_in_a_field(binding.key)):
            candidates.append((order, node, binding, enabled, tooltip))
    # the focused part's keys first (deepest node), the app's (screen switches) last
    candidates.sort(key=lambda c: (c[1] is screen.app, -_depth(c[1]), c[0]))
    chosen: list[tuple[str, str, str, bool, str]] = [
        ("f1" if typing else "question_mark", "app.help", "Help", True, "")
    ]
    room = width - PALETTE_WIDTH - _width(chosen[0])
    seen = set(HELP_ACTIONS)
    switches: list[tuple[str, str, str, bool, str]] = []
    for _order, node, binding, enabled, tooltip in candidates:
        if binding.action in seen:
            continue
        seen.add(binding.action)
        entry = (binding.key, binding.action, binding.description, enabled, tooltip)
        if node is screen.app and binding.action.startswith("switch_mode"):
            switches.append(entry)  # the screen keys show all together or not at all
        elif _width(entry) <= room:
            chosen.append(entry)
            room -= _width(entry)
    if sum(_width(entry) for entry in switches) <= room:
        chosen += switches
    return tuple(chosen)


def _width(entry: tuple[str, str, str, bool, str]) -> int:
    """Cells a FooterKey takes: ` key ` and `description `."""
    key, _action, description, _enabled, _tooltip = entry
    return len(_display(key)) + 2 + len(description) + 1


def _display(key: str) -> str:
    """Short key names: `^s` for Ctrl+S (as Textual's footer), else the help's names."""
    return "^" + key[5:] if key.startswith("ctrl+") else human_key(key)


class ConsoleFooter(Footer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: Signature | None = None

    def _fit_width(self) -> int:
        return self.size.width or self.app.size.width

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        shown = shown_bindings(self.screen, self._fit_width())
        self._shown = shown
        self.styles.grid_size_columns = len(shown)
        for key, action, description, enabled, tooltip in shown:
            yield FooterKey(
                key, _display(key), description, action, disabled=not enabled, tooltip=tooltip
            ).data_bind(compact=Footer.compact)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            yield FooterKey(
                "ctrl+p",
                "^p",
                "palette",
                "app.command_palette",
                classes="-command-palette",
                tooltip="Every action by name",
            )

    def bindings_changed(self, screen: Screen[Any]) -> None:
        will_recompose = screen.app.app_focus and self.is_attached and screen is self.screen
        if will_recompose and shown_bindings(screen, self._fit_width()) == self._shown:
            self._bindings_ready = True
            return
        super().bindings_changed(screen)

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and shown_bindings(self.screen, event.size.width) != self._shown:
            self.call_after_refresh(self.recompose)
