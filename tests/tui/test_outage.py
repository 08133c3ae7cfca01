"""Outage mode (Pilot, 80x24): the console starts while MongoDB does not answer. A
banner says so and stays; the Logs screen says why it is empty instead of
`Loading…`; the Dashboard still shows SES's quota; an upload is refused before it
starts; when MongoDB answers again, F5 (or the countdown) brings every screen back."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable, Static

from core.db import connect
from core.outage import unreachable_side
from core.runtime import Runtime
from core.sandbox_seed import seed_all
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.widgets.outage_banner import OutageBanner

# Nothing listens on port 9 (discard) here: server selection fails after 300 ms.
DEAD_URI = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300&connectTimeoutMS=300"


def banner_text(app: DepllcApp) -> str:
    banner = app.screen.query_one(OutageBanner)
    return str(banner.render()) if banner.has_class("-down") else ""


async def test_start_with_mongodb_down_then_it_comes_back(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_all(runtime.store, runtime.aws, runtime.settings)
    reachable = runtime.store
    runtime.store = connect(DEAD_URI, reachable.db.name)
    app = DepllcApp(runtime.settings, runtime=runtime)
    shown: list[tuple[str, str]] = []  # (title, message) of every toast, expired or not
    notify = app.notify

    def record(message: str, *, title: str = "", **options: Any) -> None:
        shown.append((title, message))
        notify(message, title=title, **options)

    monkeypatch.setattr(app, "notify", record)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "MongoDB unreachable" in banner_text(app))
        assert "F5" in banner_text(app)
        summary = app.screen.query_one("#logs-summary", Static)
        await until(pilot, lambda: "MongoDB is unreachable" in str(summary.render()))
        assert "Loading" not in str(summary.render())
        # one toast for the outage, not one per failed query
        await pilot.pause(0.5)
        assert [title for title, _ in shown if "unreachable" in title] == ["MongoDB unreachable"]

        await pilot.press("4")  # the Dashboard: SES answers, so its quota shows
        quota = app.screen.query_one("#dash-quota", Static)
        await until(pilot, lambda: "sent in 24 h" in str(quota.render()))
        assert "MongoDB unreachable" in banner_text(app)  # the banner is on every screen

        await pilot.press("3", "a")  # Files: upload refused before any dialog opens
        await until(pilot, lambda: any("uploads wait" in m for _, m in shown))
        assert type(app.screen).__name__ == "FilesScreen"

        runtime.store = reachable  # MongoDB is back; F5 looks now (not the countdown)
        app.outage.countdown["MongoDB"] = 999
        await pilot.press("1", "f5")
        await until(pilot, lambda: banner_text(app) == "")
        table: DataTable[Any] = app.screen.query_one("#logs-table", DataTable)
        await until(pilot, lambda: table.row_count > 0)
        assert any("answers again" in message for _, message in shown)


def test_which_side_an_error_names() -> None:
    from botocore.exceptions import EndpointConnectionError
    from pymongo.errors import ServerSelectionTimeoutError

    from core.errors import InputError, StoreUnavailableError

    assert unreachable_side(ServerSelectionTimeoutError("no servers")) == "MongoDB"
    wrapped = StoreUnavailableError("MongoDB is unreachable.")
    assert unreachable_side(wrapped) == "MongoDB"
    assert unreachable_side(EndpointConnectionError(endpoint_url="https://x")) == "AWS"
    try:
        try:
            raise ServerSelectionTimeoutError("no servers")
        except ServerSelectionTimeoutError as inner:
            raise RuntimeError("listing failed") from inner
    except RuntimeError as outer:
        assert unreachable_side(outer) == "MongoDB"  # what caused it counts
    assert unreachable_side(InputError("bad address")) is None
    assert unreachable_side(ValueError("x")) is None
