"""Snapshots (pytest-textual-snapshot, SVG under __snapshots__/) of each screen at
80x24 and 200x50, over the sandbox seed dated at a fixed moment in the past
(times in UTC), so the pictures do not move with the clock.

What a person checks at 80x24: the query line and the Status column on Logs, Subject
and Body on Compose, the help box within the screen, a footer that ends with the
palette key and starts with Help. Update after a deliberate change with
`pytest tests/tui/test_snapshots.py --snapshot-update` and look at the SVGs."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.pilot import Pilot

from core.runtime import Runtime
from core.sandbox_seed import seed_all
from tests.tui.waiting import until
from tui.app import DepllcApp

SIZES = [(80, 24), (200, 50)]  # the agent's terminal and a wide one
SEEDED_AT = datetime(2025, 6, 16, 9, 30, tzinfo=UTC)  # in the past: no "today" drift


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def seeded(runtime: Runtime, utc: None) -> Runtime:
    seed_all(runtime.store, runtime.aws, runtime.settings, now=SEEDED_AT)
    # the header names the database: one name, not the test's random one
    runtime.settings = runtime.settings.model_copy(update={"mongodb_db": "depllc"})
    return runtime


async def _logs_ready(pilot: Pilot[Any]) -> None:
    screen: Any = pilot.app.screen
    await until(pilot, lambda: screen.renders >= 1 and screen.count_label)
    await pilot.pause(0.2)


def _steps(screen: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run(pilot: Pilot[Any]) -> None:
        await _logs_ready(pilot)
        if screen == "detail":
            await pilot.press("enter")
            await until(pilot, lambda: getattr(pilot.app.screen, "detail", None) is not None)
        elif screen == "help":
            await pilot.press("question_mark")
        elif screen == "logs":
            pass
        elif screen == "query":
            await pilot.press("slash", *"status:b", "tab", *"since:7", "tab", *"ann")
        else:
            await pilot.press({"compose": "2", "files": "3", "suppressions": "5"}[screen])
            target: Any = None

            def loaded() -> bool:
                nonlocal target
                target = pilot.app.screen
                table = target.query("DataTable").first() if screen != "compose" else None
                return table is None or table.row_count > 0

            await until(pilot, loaded)
        await pilot.pause(0.3)
        # a blinking cursor is drawn or not depending on the moment: hold it drawn
        for field in pilot.app.screen.query("Input, TextArea"):
            field.cursor_blink = False
        await pilot.pause()

    return run


# every screen at 80x24; the larger sizes for those whose pictures hold no random
# ids (a file's detail shows S3's VersionId)
CASES = [
    *((screen, SIZES[0]) for screen in ("query", "detail", "files", "help")),
    *((screen, size) for screen in ("logs", "compose", "suppressions") for size in SIZES),
]


@pytest.mark.parametrize(("screen", "size"), CASES, ids=[f"{s}-{w}x{h}" for s, (w, h) in CASES])
def test_screen(snap_compare: Any, seeded: Runtime, screen: str, size: tuple[int, int]) -> None:
    app = DepllcApp(seeded.settings, runtime=seeded)
    assert snap_compare(app, terminal_size=size, run_before=_steps(screen))
