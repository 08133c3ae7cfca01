"""The footer: Textual's, recomposed only when what it shows changes.

Textual's Footer rebuilds every key widget on each "bindings updated" signal (focus
moves, the runtime becoming ready, a screen refreshing its bindings), which at
startup means several rebuilds of some twenty widgets for the same keys. This one
keeps a signature of the shown bindings and skips the rebuild when it is unchanged.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer

Signature = tuple[tuple[str, str, str, bool, str], ...]


def shown_bindings(screen: Screen[Any]) -> Signature:
    """What the footer would show for `screen`: (key, action, description, enabled,
    tooltip) of each binding with `show`."""
    return tuple(
        (binding.key, binding.action, binding.description, enabled, tooltip)
        for (_node, binding, enabled, tooltip) in screen.active_bindings.values()
        if binding.show
    )


class ConsoleFooter(Footer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: Signature | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        will_recompose = screen.app.app_focus and self.is_attached and screen is self.screen
        if will_recompose:
            signature = shown_bindings(screen)
            if signature == self._shown:
                return
            self._shown = signature
        super().bindings_changed(screen)
