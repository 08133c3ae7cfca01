"""The support agent's everyday questions, each driven from launch at 80x24 over the
seeded sandbox, keyboard only, counting key presses (a typed string counts one, as
issue #13 counts them). Each asserts what the agent would check on the screen or in
the store; a client's month is downloaded through the case view's `D`, which takes all
the client's files. (Resend to a new address: tests/tui/test_resend.py; upload three
PDFs for a client: tests/tui/test_files_support.py; start with MongoDB down:
tests/tui/test_outage.py.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from textual.widgets import Static

from core import audit
from core.delivery_reasons import explain
from core.models import utcnow
from core.runtime import Runtime
from core.sandbox_seed import seed_all
from tests.tui.keys import Keys
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.modals.confirm import ConfirmAction
from tui.modals.files_download import FilesDownloadDialog
from tui.modals.files_link import FilesLinkResult
from tui.screens.case import CaseScreen
from tui.screens.files import FilesScreen
from tui.screens.log_detail import LogDetailScreen
from tui.screens.logs import LogsScreen
from tui.screens.suppressions import SuppressionsScreen

SIZE = (80, 24)


def plain(widget: Static) -> str:
    return str(widget.render())


async def logs_ready(app: DepllcApp, pilot: Any) -> LogsScreen:
    screen = app.screen
    assert isinstance(screen, LogsScreen)
    await until(pilot, lambda: screen.renders >= 1)
    return screen


async def test_why_did_this_clients_password_reset_bounce(runtime: Runtime) -> None:
    seed_all(runtime.store, runtime.aws, runtime.settings)
    log = runtime.store.emaillogs.find_one(
        {"category": "auth", "status": "bounced"}, sort=[("createdAt", -1)]
    )
    assert log is not None
    address = log["to"][0]
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await logs_ready(app, pilot)
        keys = Keys(pilot)
        await keys.press("slash")
        await keys.type(f"to:{address} cat:auth")
        await keys.press("enter")
        await until(pilot, lambda: screen.settled and screen.table.row_count > 0)
        await keys.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))
        detail = app.screen
        assert isinstance(detail, LogDetailScreen)
        await until(pilot, lambda: detail.detail is not None)
        why = detail.query_one("#detail-why", Static)
        await until(pilot, lambda: "Why" in plain(why))
        assert keys.count == 4
        bounced = next(r for r in detail.detail.recipients if r.status == "bounced")  # type: ignore[union-attr]
        reason = explain(bounced.diagnostic, bounced.status)
        assert reason is not None and reason.summary in plain(why)
        assert reason.next_step in plain(why)


async def test_share_a_24_hour_link_to_a_clients_newest_contract(runtime: Runtime) -> None:
    seed_all(runtime.store, runtime.aws, runtime.settings)
    runtime.identity = replace(runtime.whoami(), role="support")  # sees every client's files
    newest = runtime.store.files.find_one(
        {"category": "contract", "clientId": {"$ne": None}, "status": "completed"},
        sort=[("createdAt", -1)],
    )
    assert newest is not None
    client = newest["clientId"]
    newest = runtime.store.files.find_one(
        {"category": "contract", "clientId": client, "status": "completed"},
        sort=[("createdAt", -1)],
    )
    assert newest is not None
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await logs_ready(app, pilot)
        keys = Keys(pilot)
        await keys.press("3")
        files = app.screen
        assert isinstance(files, FilesScreen)
        await keys.press("slash")
        await keys.type(f"client:{client} cat:contract")
        await keys.press("enter")
        await until(
            pilot,
            lambda: (
                files.table.row_count > 0
                and (record := files.selected_record()) is not None
                and record.clientId == client
            ),
        )
        record = files.selected_record()
        assert record is not None and str(record.id) == str(newest["_id"])  # newest on top
        await keys.press("l", "ctrl+u")
        await keys.type("24h")
        await keys.press("enter")
        await until(pilot, lambda: isinstance(app.screen, FilesLinkResult))
        assert keys.count == 8
        result = app.screen
        assert isinstance(result, FilesLinkResult)
        query = parse_qs(urlparse(result.url).query)
        assert query.get("X-Amz-Expires") == ["86400"]
        assert newest["key"].rsplit("/", 1)[-1] in result.url


async def test_how_many_complaints_this_week_and_from_whom(runtime: Runtime) -> None:
    seed_all(runtime.store, runtime.aws, runtime.settings)
    week_ago = utcnow() - timedelta(days=7)
    complainers = {
        d["email"]
        for d in runtime.store.suppressions.find({"reason": "complaint", "at": {"$gte": week_ago}})
    }
    assert complainers, "the seed has complaints this week"
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await logs_ready(app, pilot)
        keys = Keys(pilot)
        await keys.press("5", "slash")
        await keys.type("reason:complaint since:7d")
        await keys.press("enter")
        screen = app.screen
        assert isinstance(screen, SuppressionsScreen)
        summary = screen.query_one("#sup-summary", Static)
        await until(pilot, lambda: f"{len(complainers)} suppressed" in plain(summary))
        await until(pilot, lambda: screen.table.row_count == len(complainers))
        assert keys.count == 4
        first_cells = [screen.table.get_row_at(n)[0] for n in range(screen.table.row_count)]
        assert {getattr(cell, "plain", cell) for cell in first_cells} == complainers


async def test_take_an_address_off_the_suppression_list(runtime: Runtime) -> None:
    seed_all(runtime.store, runtime.aws, runtime.settings)
    entry = runtime.store.suppressions.find_one({"reason": "bounce"})
    assert entry is not None
    address = entry["email"]
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await logs_ready(app, pilot)
        keys = Keys(pilot)
        await keys.press("5", "slash")
        await keys.type(address)
        await keys.press("enter")  # an address alone: its case, over the list filtered by it
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        case = app.screen
        assert isinstance(case, CaseScreen)
        await until(pilot, lambda: case.case is not None and bool(case.items))
        assert "SUPPRESSED bounce" in str(case.query_one("#case-person").render())
        await keys.press("u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAction))
        assert address in app.screen.plain
        await keys.press("y")
        await until(
            pilot, lambda: runtime.store.suppressions.count_documents({"email": address}) == 0
        )
        assert keys.count == 6
        await pilot.press("escape")  # back to the list, filtered by the address
        screen = app.screen
        assert isinstance(screen, SuppressionsScreen)
        assert screen.query_line.value == address
    (entry_after,) = audit.find(runtime.store, target=address)
    assert entry_after.operator == runtime.operator


async def test_download_everything_a_client_uploaded_this_month(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the case: `client:ID` alone on the Files query line opens it, `D` downloads
    all the client's files (this month's among them) into the folder it proposes."""
    seed_all(runtime.store, runtime.aws, runtime.settings)
    runtime.identity = replace(runtime.whoami(), role="support")
    month_ago = utcnow() - timedelta(days=30)
    recent = list(
        runtime.store.files.find(
            {"clientId": {"$ne": None}, "status": "completed", "createdAt": {"$gte": month_ago}}
        )
    )
    assert recent, "the seed has files uploaded for clients this month"
    client = recent[0]["clientId"]
    wanted = [f for f in recent if f["clientId"] == client]
    monkeypatch.chdir(tmp_path)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await logs_ready(app, pilot)
        keys = Keys(pilot)
        await keys.press("3", "slash")
        await keys.type(f"client:{client}")
        await keys.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        case = app.screen
        assert isinstance(case, CaseScreen)
        await until(pilot, lambda: bool(case.items))
        await keys.press("D")
        await until(pilot, lambda: isinstance(app.screen, FilesDownloadDialog))
        await keys.press("enter", "enter")  # the proposed folder; create it
        await until(pilot, lambda: case.finished_batches == 1)
        assert keys.count == 7
    folder = tmp_path / f"case-{client}"
    got = {p.name: p.read_bytes() for p in folder.iterdir()}
    for record in wanted:
        body = runtime.aws.s3.get_object(Bucket=runtime.settings.aws_s3_bucket, Key=record["key"])
        assert got[record["originalName"]] == body["Body"].read()
