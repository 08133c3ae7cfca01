"""Pilot: the case view opened with `c` from a log row, a file row and a suppression
row, and from the palette; what it lists is checked against the store."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable, Static

from core.case import open_case
from core.models import FileRecord, utcnow
from core.runtime import Runtime
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.screens.case import CaseScreen

ANN = "ann@client.example"
CLIENT = "665f1c2a9b1e4a0012345678"
SIZE = (80, 24)


@pytest.fixture
def seeded(runtime: Runtime) -> Runtime:
    from tests.core.logs.conftest import make_doc

    store = runtime.store
    store.emaillogs.insert_one(
        make_doc(
            to=[ANN], clientId=CLIENT, subject="Re: [/docs] contract", status="bounced",
            createdAt=utcnow(),
            recipientStatus=[{"email": ANN, "status": "bounced",
                              "diagnostic": "Permanent/General: smtp; 550 5.1.1 User unknown"}],
        )
    )  # fmt: skip
    store.suppressions.insert_one(
        {"email": ANN, "reason": "bounce", "at": utcnow(),
         "diagnostic": "Permanent/General: smtp; 550 5.1.1 User unknown"}
    )  # fmt: skip
    record = FileRecord.model_validate(
        {
            "key": "files/contract.pdf", "fileName": "contract.pdf",
            "originalName": "contract.pdf", "contentType": "application/pdf", "size": 10,
            "category": "contract", "userId": runtime.operator, "clientId": CLIENT,
            "status": "completed", "metadata": {"uploadedBy": runtime.operator},
            "s3Info": {"bucket": "b", "region": "us-east-1"},
        }
    )  # fmt: skip
    store.files.insert_one(record.to_mongo())
    return runtime


def case_screen(app: DepllcApp) -> CaseScreen:
    assert isinstance(app.screen, CaseScreen), app.screen
    return app.screen


async def _check_case(pilot: Any, app: DepllcApp, runtime: Runtime, query: str) -> None:
    await until(pilot, lambda: isinstance(app.screen, CaseScreen))
    screen = case_screen(app)
    await until(pilot, lambda: screen.case is not None)
    expected = open_case(runtime, query)
    table = screen.query_one("#case-timeline", DataTable)
    assert table.row_count == len(expected.timeline())
    person = str(screen.query_one("#case-person", Static).render())
    assert "SUPPRESSED bounce" in person
    assert "The address does not exist" in person  # the reason in plain words
    await pilot.press("w")
    assert "raw: Permanent/General: smtp; 550 5.1.1" in str(
        screen.query_one("#case-person", Static).render()
    )
    await pilot.press("k")  # emails only
    assert table.row_count == len(expected.emails)
    await pilot.press("escape")
    await until(pilot, lambda: not isinstance(app.screen, CaseScreen))


async def test_case_from_a_log_row(seeded: Runtime) -> None:
    app = DepllcApp(seeded.settings, runtime=seeded)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(getattr(app.screen, "_docs", None)))
        await pilot.press("c")
        await _check_case(pilot, app, seeded, ANN)


async def test_case_from_a_file_row(seeded: Runtime) -> None:
    app = DepllcApp(seeded.settings, runtime=seeded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await until(pilot, lambda: bool(getattr(app.screen, "_records", None)))
        await pilot.press("c")
        await _check_case(pilot, app, seeded, CLIENT)


async def test_case_from_a_suppression_row(seeded: Runtime) -> None:
    app = DepllcApp(seeded.settings, runtime=seeded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await until(pilot, lambda: bool(getattr(app.screen, "entries", None)))
        await pilot.press("c")
        await _check_case(pilot, app, seeded, ANN)


async def test_case_from_the_palette(seeded: Runtime) -> None:
    app = DepllcApp(seeded.settings, runtime=seeded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*ANN)
        await pilot.pause(1.0)  # the palette searches its providers
        await pilot.press("enter")
        await _check_case(pilot, app, seeded, ANN)


async def test_reasons_in_plain_words_in_detail_and_suppressions(seeded: Runtime) -> None:
    from tui.screens.log_detail import LogDetailScreen

    app = DepllcApp(seeded.settings, runtime=seeded)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(getattr(app.screen, "_docs", None)))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))
        detail = app.screen
        await until(pilot, lambda: getattr(detail, "detail", None) is not None)
        why = str(detail.query_one("#detail-why", Static).render())
        assert f"Why {ANN}: The address does not exist: ask the client for a new one" in why
        await pilot.press("escape")
        await pilot.press("5")
        await until(pilot, lambda: bool(getattr(app.screen, "entries", None)))
        table = app.screen.query_one("#sup-table", DataTable)
        assert table.get_row_at(0)[2].plain == "The address does not exist"
        await pilot.press("w")  # the raw diagnostic, one key away
        assert table.get_row_at(0)[2].plain.startswith("Permanent/General: smtp; 550 5.1.1")


async def test_enter_on_an_address_alone_opens_its_case(seeded: Runtime) -> None:
    """Logs: a bare address opens the case, the list underneath filtered by it (Esc
    comes back to it); `to:` + the address stays a filter."""
    from tui.screens.logs import LogsScreen

    app = DepllcApp(seeded.settings, runtime=seeded)
    async with app.run_test(size=SIZE) as pilot:
        logs = app.screen
        assert isinstance(logs, LogsScreen)
        await until(pilot, lambda: logs.settled)
        await pilot.press("slash", *f"to:{ANN}", "enter")
        await until(pilot, lambda: logs.settled and logs.query_line.value == f"to:{ANN}")
        await pilot.pause(0.1)
        assert app.screen is logs and logs.table.has_focus
        await pilot.press("slash", "ctrl+u", *ANN.upper(), "enter")
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        screen = case_screen(app)
        assert screen.case_query == ANN.upper()
        await until(pilot, lambda: screen.case is not None)
        assert screen.case is not None and screen.case.query == ANN  # read lower-cased
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is logs)
        assert logs.settled and len(logs._docs) == 1  # filtered by the address


async def test_enter_on_a_client_id_alone_opens_its_case(seeded: Runtime) -> None:
    app = DepllcApp(seeded.settings, runtime=seeded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        files = app.screen
        await until(pilot, lambda: bool(getattr(files, "_records", None)))
        await pilot.press("slash", *f"client:{CLIENT} cat:contract", "enter")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, CaseScreen)  # more than the client: a filter
        await pilot.press("slash", "ctrl+u", *f"client:{CLIENT}", "enter")
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        assert case_screen(app).case_query == CLIENT


async def test_enter_on_an_address_on_suppressions_opens_its_case(seeded: Runtime) -> None:
    app = DepllcApp(seeded.settings, runtime=seeded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await until(pilot, lambda: bool(getattr(app.screen, "entries", None)))
        await pilot.press("slash", *"reason:bounce", "enter")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, CaseScreen)
        await pilot.press("slash", "ctrl+u", *ANN, "enter")
        await _check_case(pilot, app, seeded, ANN)


async def test_the_timeline_loads_more_near_the_end_and_on_end(runtime: Runtime) -> None:
    """A page of PAGE_SIZE items first ("more below"); moving near its end loads the
    next; End loads the rest and goes to the last row, in the core's order."""
    from datetime import timedelta

    from tests.core.logs.conftest import make_doc
    from tui.screens.case import LOAD_AHEAD, PAGE_SIZE

    now = utcnow()
    runtime.store.emaillogs.insert_many(
        [make_doc(to=[ANN], createdAt=now - timedelta(minutes=n)) for n in range(PAGE_SIZE + 130)]
    )
    expected = [item.ref for item in open_case(runtime, ANN, limit=1000).timeline()]
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = CaseScreen(ANN)
        await app.push_screen(screen)
        await until(pilot, lambda: bool(screen.items))
        table = screen.query_one("#case-timeline", DataTable)
        assert table.row_count == PAGE_SIZE
        assert f"({PAGE_SIZE}, more below)" in str(screen.query_one("#case-filter").render())
        await pilot.press("pagedown")  # far from the end: nothing more yet
        await pilot.pause(0.1)
        assert table.row_count == PAGE_SIZE
        table.move_cursor(row=PAGE_SIZE - LOAD_AHEAD)
        await until(pilot, lambda: table.row_count == 2 * PAGE_SIZE)
        await pilot.press("end")
        await until(pilot, lambda: table.row_count == PAGE_SIZE + 130)
        assert table.cursor_row == table.row_count - 1
        assert screen.case is not None and screen.case.next_cursor is None
        assert [item.ref for item in screen.items.values()] == expected
        assert f"({PAGE_SIZE + 130})" in str(screen.query_one("#case-filter").render())
        # after an action (each reloads the case, as Ctrl+L does) the agent is where
        # they were: every item shown before is shown again, the same row selected
        table.move_cursor(row=PAGE_SIZE + 60)
        selected = list(screen.items)[PAGE_SIZE + 60]
        before = screen.case
        await pilot.press("ctrl+l")
        await until(pilot, lambda: screen.case is not before and bool(screen.items))
        assert table.row_count == PAGE_SIZE + 130
        assert list(screen.items)[table.cursor_row] == selected


def test_outcome_counts_say_only_what_happened() -> None:
    from tui.screens.case import outcome_counts

    assert outcome_counts(0, 0) == "no bounce or complaint"
    assert outcome_counts(2, 0) == "2 bounced"
    assert outcome_counts(0, 1) == "1 complaint"
    assert outcome_counts(1, 3) == "1 bounced · 3 complaints"


async def test_p_narrows_the_case_to_a_period(runtime: Runtime) -> None:
    """`p` cycles all time -> 7 -> 30 -> 90 days -> all time; the timeline and the
    filter line follow (and D then takes that period's files)."""
    from datetime import timedelta

    from tests.core.logs.conftest import make_doc

    now = utcnow()
    ages = [2, 20, 60, 200]  # days: one log in each period, and one older
    runtime.store.emaillogs.insert_many(
        [make_doc(to=[ANN], createdAt=now - timedelta(days=d)) for d in ages]
    )
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = CaseScreen(ANN)
        await app.push_screen(screen)
        await until(pilot, lambda: len(screen.items) == 4)
        line = screen.query_one("#case-filter", Static)
        assert "everything, all time (4)" in str(line.render())
        for shown, said in [(1, "last 7 days"), (2, "last 30 days"), (3, "last 90 days")]:
            await pilot.press("p")
            await until(pilot, lambda n=shown: len(screen.items) == n)
            assert f"everything, {said} ({shown})" in str(line.render())
        await pilot.press("p")
        await until(pilot, lambda: len(screen.items) == 4)
        assert screen.case is not None and screen.case.since is None
