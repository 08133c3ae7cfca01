"""Home and End go to the first and last row of the console's tables."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.widgets.row_table import RowTable


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        table: RowTable[str] = RowTable(id="t")
        table.add_columns("n", "name")
        for n in range(200):
            table.add_row(str(n), f"row {n}")
        yield table


async def test_home_and_end_move_between_the_first_and_last_rows() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(RowTable)
        table.focus()
        await pilot.press("down", "down", "end")
        assert table.cursor_row == 199
        await pilot.press("home")
        assert table.cursor_row == 0
        assert table.cursor_type == "row"
