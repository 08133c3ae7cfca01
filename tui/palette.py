"""Command palette providers: a screen lists its actions once, the palette offers them
on open (discover) and while typing (search).

Titles and help lines may quote outside text (a saved search's name and filters), and
Textual reads a palette string as content markup: titles go as Rich Text, help lines
with their brackets escaped (`outside_text`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.fuzzy import Matcher

from tui import outside_text

PaletteCommand = tuple[str, str, Callable[[], Any]]


def highlighted(matcher: Matcher, title: str) -> Text:
    """The title as Text with the letters the query matched in reverse (Textual's own
    `Matcher.highlight` reads the title as markup)."""
    shown = outside_text.visible(title)
    text = outside_text.text(shown)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, shown)
    for offset in offsets:
        if not shown[offset].isspace():
            text.stylize("reverse", offset, offset + 1)
    return text


def query_commands(
    label: str, set_query: Callable[[str], Any], queries: list[tuple[str, str]]
) -> list[PaletteCommand]:
    """Ready-made queries as palette commands: "<label>: <title>" puts <line> in the
    screen's query line and applies it."""
    return [
        (f"{label}: {title}", f"Query line: {line}", partial(set_query, line))
        for title, line in queries
    ]


class ScreenCommands(Provider):
    """Subclasses override `_commands` with (title, help, callback) for the screen."""

    def _commands(self) -> list[PaletteCommand]:
        return []

    async def discover(self) -> Hits:
        for text, help_text, command in self._commands():
            yield DiscoveryHit(
                outside_text.text(text), command, text=text, help=outside_text.markup(help_text)
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, command in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    highlighted(matcher, text),
                    command,
                    text=text,
                    help=outside_text.markup(help_text),
                )


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

        def open_case() -> None:
            from tui.screens.case import CaseScreen

            self.app.push_screen(CaseScreen(ref))

        shown = outside_text.text(f"Case: {ref}")  # typed text: never markup
        yield Hit(1.0, shown, open_case, help="open the case view")
