"""Pilot: the Suppressions screen's query line, selects, counts by reason and pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.widgets import Select

from core.models import utcnow
from core.runtime import Runtime
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.screens.suppressions import PAGE_SIZE, SuppressionsScreen

SIZE = (80, 24)


def _seed(runtime: Runtime) -> None:
    now = utcnow()
    rows = [("bounce", 1)] * (PAGE_SIZE + 20) + [("complaint", 2)] * 3 + [("complaint", 20)] * 2
    rows += [("manual", 3)]
    runtime.store.suppressions.insert_many(
        [
            {
                "email": f"p{n}@{'gmail.example' if n % 2 else 'acme.example'}",
                "reason": reason,
                "at": now - timedelta(days=days, minutes=n),
                "by": "ses-events" if reason != "manual" else "ana",
            }
            for n, (reason, days) in enumerate(rows)
        ]
    )


async def _first_page(app: DepllcApp, pilot: Any) -> SuppressionsScreen:
    """Screen 5, its first page of the seeded list shown."""
    await pilot.press("5")
    screen = app.screen
    assert isinstance(screen, SuppressionsScreen)
    await until(pilot, lambda: screen.table.row_count == PAGE_SIZE)
    return screen


def _summary(screen: SuppressionsScreen) -> str:
    return str(screen.summary.render())


async def test_counts_by_reason_period_and_search(runtime: Runtime) -> None:
    _seed(runtime)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        screen = app.screen
        assert isinstance(screen, SuppressionsScreen)
        await until(pilot, lambda: "manual" in _summary(screen))
        # the counts are of the whole list, the rows a first page
        assert screen.table.row_count == PAGE_SIZE
        summary = _summary(screen)
        assert summary.startswith(
            f"{PAGE_SIZE} of {PAGE_SIZE + 26} suppressed (more below): "
            f"{PAGE_SIZE + 20} bounce · 5 complaint · 1 manual"
        )
        screen.go_to_last_row()  # End: the rest of the list
        await until(pilot, lambda: screen.table.row_count == PAGE_SIZE + 26)

        await pilot.press("slash", *"reason:complaint since:7d", "enter")
        await until(pilot, lambda: screen.table.row_count == 3)
        await until(
            pilot, lambda: "3 suppressed: 0 bounce · 3 complaint · 0 manual" in _summary(screen)
        )
        assert {e.reason.value for e in screen.entries} == {"complaint"}
        # the selects show what the line says
        assert screen.query_one("#sup-reason", Select).value == "complaint"
        assert screen.query_one("#sup-since", Select).value == "7d"
        assert app.focused is screen.table

        # free text: in the address
        await pilot.press("slash", "ctrl+u", *"gmail reason:complaint", "enter")
        await until(pilot, lambda: "0 bounce · 2 complaint" in _summary(screen))
        assert all("gmail" in e.email for e in screen.entries)
        assert screen.query_one("#sup-since", Select).is_blank()

        # a select rewrites its key in the line
        screen.query_one("#sup-reason", Select).value = "manual"
        await until(pilot, lambda: screen.query_line.value == "gmail reason:manual")
        await until(pilot, lambda: [e.by for e in screen.entries] == ["ana"])
        await pilot.press("slash", "ctrl+u", *"nobody", "enter")
        await until(pilot, lambda: screen.table.row_count == 0 and "none match" in _summary(screen))

        await pilot.press("ctrl+u")  # clear the filters
        await until(pilot, lambda: screen.query_line.value == "")
        await until(pilot, lambda: f"{PAGE_SIZE + 20} bounce" in _summary(screen))


async def test_a_bad_query_says_what_is_wrong_and_stays(runtime: Runtime) -> None:
    _seed(runtime)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _first_page(app, pilot)
        await pilot.press("slash", *"reason:nope", "enter")
        await until(pilot, lambda: "is not a why it is suppressed" in _summary(screen))
        assert "bounce, complaint, manual" in _summary(screen)
        assert screen.query_line.has_class("-invalid")
        assert app.focused is screen.query_line  # the line stays to be fixed


async def test_dates_gain_their_year_when_the_terminal_widens(runtime: Runtime) -> None:
    _seed(runtime)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _first_page(app, pilot)
        screen.table.move_cursor(row=7)
        year = str(utcnow().astimezone().year)

        def since() -> str:
            return str(screen.table.get_row_at(0)[3])

        assert not since().startswith(year)  # 80 columns: "12-01 09:30"
        await pilot.resize_terminal(160, 40)
        await until(pilot, lambda: since().startswith(year))
        assert screen.table.cursor_row == 7 and screen.table.row_count == PAGE_SIZE
