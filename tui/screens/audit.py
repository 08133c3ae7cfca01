"""Audit screen: every change an operator made (sends, uploads, deletes, purges,
links, suppressions, operators), newest first, from core.audit, paged like Logs and
Files (tui/screens/paged_table.py). The `/` query line takes text in the target and
actor: action: target: since: until: (the action and period selects mirror it); the
line under the table shows the highlighted entry whole (host, every detail)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Select, Static

from core.query_line import AUDIT_ACTIONS
from tui import outside_text
from tui.palette import ScreenCommands, query_commands
from tui.screens.paged_table import PagedRowTable, PagedTableScreen, PageSlice, query_binding

if TYPE_CHECKING:
    from core.audit import AuditFilter
    from core.db import AtCursor as Cursor
    from core.models import AuditEntry
    from core.runtime import Runtime

PAGE_SIZE = 100
SINCE = (
    ("last 24 hours", "24h"),
    ("today", "today"),
    ("last 7 days", "7d"),
    ("last 30 days", "30d"),
)


def details_text(entry: AuditEntry) -> str:
    """The details as `key=value, ...` (nested values as compact JSON)."""
    parts = []
    for key, value in entry.details.items():
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        parts.append(f"{key}={shown}")
    return ", ".join(parts)


def entry_cells(entry: AuditEntry) -> list[Text]:
    """The table cells of one entry (outside text through outside_text)."""
    return [
        Text(entry.at.astimezone().strftime("%m-%d %H:%M")),
        outside_text.text(entry.operator, width=14),
        outside_text.text(entry.action, width=15, style="bold" if entry.problem else ""),
        outside_text.text(entry.target, width=30),
        outside_text.text(details_text(entry), width=60),
    ]


def entry_lines(entries: list[AuditEntry], empty: str = "No audit entries.") -> Text:
    """Entries as lines for a detail pane (newest first): when, who, what, details."""
    if not entries:
        return Text(empty, style="dim")
    text = Text()
    for entry in entries:
        if text:
            text.append("\n")
        text.append(entry.at.astimezone().strftime("%Y-%m-%d %H:%M  "), style="dim")
        text.append_text(outside_text.text(entry.action, style="bold"))
        text.append(" by ")
        text.append_text(outside_text.text(entry.operator))
        details = details_text(entry)
        if details:
            text.append("  ")
            text.append_text(outside_text.text(details, style="dim"))
    return text


class AuditCommands(ScreenCommands):
    """Command palette: ready-made queries on the Audit screen."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        screen = self.screen
        if not isinstance(screen, AuditScreen):
            return []
        queries = [
            ("purges and deletes this month", "action:purge since:30d"),
            ("suppressions lifted this week", "action:unsuppress since:7d"),
            ("links shared today", "action:presign since:today"),
        ]
        return [
            *query_commands("Audit", screen.set_query, queries),
            ("Audit: clear the filters", "Every entry (ctrl+u)", screen.action_clear),
        ]


class AuditScreen(PagedTableScreen["AuditFilter", "Cursor", "AuditEntry"]):
    TITLE = "Audit"
    PREFIX = "audit"
    NOUN = "entries"
    COMMANDS: ClassVar[set[Any]] = {AuditCommands}
    QUERY_SCREEN = "audit"
    SELECT_KEYS: ClassVar[dict[str, str]] = {"audit-action": "action", "audit-since": "since"}
    DEFAULT_CSS = """
    #audit-entry {
        height: auto;
        max-height: 4;
        padding: 0 1;
        border-top: solid $panel;
    }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        query_binding("audit", "actor:ana action:purge since:7d"),
        Binding("ctrl+u", "clear", "Clear filters", id="audit.clear"),
        Binding("ctrl+l,f5", "reload", "Reload", id="audit.reload"),
        Binding("escape", "focus_table", "To table", show=False, id="audit.table"),
    ]

    @property
    def entries(self) -> list[AuditEntry]:
        """The entries shown, in table order (newest first)."""
        return list(self._rows.values())

    def compose_body(self) -> ComposeResult:
        with Vertical(id="audit-filters", classes="filter-bar"):
            yield from self.compose_query_line()
            with Horizontal(id="audit-selects", classes="filter-selects"):
                yield Select(
                    [(a, a) for a in AUDIT_ACTIONS],
                    prompt="(any action)",
                    id="audit-action",
                    compact=True,
                )
                yield Select(SINCE, prompt="(any time)", id="audit-since", compact=True)
        yield Static("Loading…", id="audit-summary", classes="summary")
        table: DataTable[Text] = PagedRowTable(
            id="audit-table", cursor_type="row", zebra_stripes=True
        )
        table.add_columns("Time", "Actor", "Action", "Target", "Details")
        yield table
        yield Static("", id="audit-entry")

    # --- the paged table's hooks ---------------------------------------------------

    def build_query(self) -> AuditFilter:
        from core.query_line import audit_filter

        assert self.parsed is not None
        return audit_filter(self.parsed)

    def fetch_page(
        self, runtime: Runtime, query: AuditFilter, after: Cursor | None
    ) -> PageSlice[AuditEntry, Cursor]:
        from core import audit

        entries, next_cursor = audit.find_page(runtime.store, query, PAGE_SIZE, after)
        return PageSlice(entries, next_cursor)

    def row_key(self, row: AuditEntry) -> str:
        return str(row.id)

    def row_cells(self, row: AuditEntry) -> list[Text]:
        return entry_cells(row)

    def summary_text(self) -> Text:
        if not self._rows:
            none = "none match the query" if self.query_line.value.strip() else "none yet"
            return Text(f"No audit entries: {none} (every change an operator makes is recorded)")
        one = len(self._rows) == 1 and self._next is None
        return Text(f"{self.shown_phrase('entry' if one else self.NOUN)}, newest first")

    def first_page_shown(self) -> None:
        self._show_entry()

    @on(DataTable.RowHighlighted, "#audit-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_entry()

    def _show_entry(self) -> None:
        """The highlighted entry whole, under the table: the columns cut it."""
        key = self.selected_key()
        entry = self._rows.get(key) if key is not None else None
        shown = self.query_one("#audit-entry", Static)
        if entry is None:
            shown.update("")
            return
        text = Text()
        text.append(entry.at.astimezone().strftime("%Y-%m-%d %H:%M:%S  "))
        text.append_text(outside_text.text(entry.action, style="bold"))
        text.append(" by ")
        text.append_text(outside_text.text(entry.operator))
        text.append(" on ")
        text.append_text(outside_text.text(entry.host))
        text.append("\n")
        text.append_text(outside_text.text(entry.target, style="bold"))
        details = details_text(entry)
        if details:
            text.append("  ")
            text.append_text(outside_text.text(details))
        if entry.problem:
            text.append_text(outside_text.text(f"  unreadable: {entry.problem}", style="red"))
        shown.update(text)

    def action_clear(self) -> None:
        self.set_query("")
