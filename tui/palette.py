"""Command palette providers: a screen lists its actions once, the palette offers them
on open (discover) and while typing (search)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

PaletteCommand = tuple[str, str, Callable[[], Any]]


class ScreenCommands(Provider):
    """Subclasses override `_commands` with (title, help, callback) for the screen."""

    def _commands(self) -> list[PaletteCommand]:
        return []

    async def discover(self) -> Hits:
        for text, help_text, command in self._commands():
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, command in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, help=help_text)
