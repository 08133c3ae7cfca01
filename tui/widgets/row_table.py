"""A DataTable of rows where Home and End go to the first and last row, as in every
list a person scrolls (Textual's own Home and End move between columns)."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

CellType = TypeVar("CellType")
WIDE = 100  # terminal columns from which a table's dates show their year


class RowTable(DataTable[CellType]):
    HELP_TITLE = "The table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        super().__init__(**kwargs)
