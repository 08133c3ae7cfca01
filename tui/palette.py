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


class CaseCommands(Provider):
    """Type an address or a client id in the palette: "Case: ..." opens the case view."""

    async def discover(self) -> Hits:
        yield DiscoveryHit(
            "Case: type an address or a client id",
            lambda: self.app.notify("Type the address or client id after ctrl+p.", markup=False),
            help="one person's emails, files, suppressions and audit entries",
        )

    async def search(self, query: str) -> Hits:
        ref = query.strip()
        if len(ref) < 3 or " " in ref:
            return
        from tui.outside_text import visible

        def open_case() -> None:
            from tui.screens.case import CaseScreen

            self.app.push_screen(CaseScreen(ref))

        from rich.text import Text

        shown = Text(f"Case: {visible(ref)}")  # typed text: never markup
        yield Hit(1.0, shown, open_case, help="open the case view")
