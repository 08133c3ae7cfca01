"""Nothing changes the store on a single unconfirmed key: every binding of every screen
(and of the app) is pressed against a seeded sandbox; any dialog it opens is left with
Esc, any confirmation is answered no, and the store must be exactly as before. The
actions that change delivery state or delete must have asked."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, DirectoryTree

from core import audit
from core.db import Store
from core.models import utcnow
from core.runtime import Runtime
from core.sandbox_seed import seed_all
from tests.core.logs.conftest import make_doc
from tests.tui.waiting import until
from tui.app import SCREENS, DepllcApp, screen_class
from tui.modals.confirm import ConfirmAction
from tui.modals.help import own_bindings
from tui.modals.logs_dialogs import LogsPick
from tui.modals.resend import ResendDialog
from tui.screens.case import CaseScreen
from tui.screens.log_detail import LogDetailScreen

SIZE = (80, 24)  # the agent's terminal (and fewer cells to draw per key)
# bindings that must ask before they change anything (when they act at all)
MUST_ASK = {
    "logs.resend",
    "logs.suppress",
    "detail.resend",
    "detail.suppress",
    "files.delete",
    "files.purge",
    "files.reconcile",
    "compose.new",
    "suppressions.remove",
    "case.resend",
    "case.suppress",
    "case.unsuppress",
}
# The case walked: a client with two addresses, one suppressed; its newest row an email.
CASE_CLIENT = "5e1ec7ed0000000000c0ffee"
SKIP = {"app.quit"}  # ends the test
APP_KEYS_ON = "dashboard"


def snapshot(store: Store) -> dict[str, Any]:
    """What the store holds, to compare before and after a key: MongoDB's own dbHash on
    a server; on mongomock its stored documents pickled as they lie (a find() copies each
    document to make its dates zone-aware: that copying was most of this test's time)."""
    if not store.is_mock:
        return dict(store.db.command("dbHash")["collections"])
    return {
        name: pickle.dumps(list(store.db[name]._store.documents))
        for name in sorted(store.db.list_collection_names())
    }


def idle(app: DepllcApp) -> bool:
    """No worker is running (a DirectoryTree's loader waits for work as long as the
    tree is shown)."""
    return not any(
        worker.is_running and not isinstance(worker.node, DirectoryTree) for worker in app.workers
    )


async def until_idle(pilot: Any, app: DepllcApp, what: str) -> None:
    try:
        await until(pilot, lambda: idle(app))
    except AssertionError:
        running = [w.name or w.group for w in app.workers if w.is_running]
        raise AssertionError(f"{what}: workers still running: {running}") from None


async def settle(pilot: Any, app: DepllcApp, asked: list[str], binding_id: str) -> None:
    """Let the key's work finish; leave every dialog it opened (a confirmation: no)."""
    for _ in range(6):
        await pilot.pause(0.05)
        await until_idle(pilot, app, binding_id)
        screen = app.screen
        # The resend dialog asks too: nothing is sent until it is filled and confirmed.
        if isinstance(screen, ConfirmAction | ResendDialog):
            asked.append(binding_id)
            await pilot.press("escape")  # no (n would type into a reason/name field)
        elif isinstance(screen, LogsPick):
            await pilot.press("1")  # which recipient: the first, then it asks
        elif isinstance(screen, ModalScreen):
            await pilot.press("escape")
        else:
            return
    raise AssertionError(f"{binding_id}: a dialog would not close")


def keys_of(node: Any) -> list[tuple[str, Binding]]:
    return [
        (key.strip(), binding)
        for binding in own_bindings(node)
        for key in binding.key.split(",")
        if binding.id not in SKIP
    ]


async def home(pilot: Any, app: DepllcApp, mode: str, detail: bool | str) -> Screen[Any]:
    """Back on the screen under test (`detail`: the log detail, or "case"), its main
    table focused."""
    while isinstance(app.screen, ModalScreen):
        await pilot.press("escape")
    if app.current_mode != mode:
        app.switch_mode(mode)
        await pilot.pause(0.05)
    if detail == "case":
        if not isinstance(app.screen, CaseScreen):
            while len(app.screen_stack) > 1:
                app.pop_screen()
            app.push_screen(CaseScreen(CASE_CLIENT))
        case = app.screen
        assert isinstance(case, CaseScreen)
        await until(pilot, lambda: bool(case.items))
    elif detail and not isinstance(app.screen, LogDetailScreen):
        while len(app.screen_stack) > 1:
            app.pop_screen()
        table = app.screen.query_one("#logs-table", DataTable)
        await until(pilot, lambda: table.row_count > 0)
        table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogDetailScreen))
    if not detail:
        while len(app.screen_stack) > 1:
            app.pop_screen()
    screen = app.screen
    tables = list(screen.query(DataTable))
    if tables:
        await until(pilot, lambda: tables[0].row_count > 0)
        tables[0].focus()
    else:
        screen.set_focus(None)
    await until(pilot, lambda: idle(app))
    return screen


@pytest.fixture
def seeded(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setenv("EDITOR", "true")  # ctrl+e on Compose: an editor that changes nothing
    monkeypatch.delenv("VISUAL", raising=False)
    seed_all(runtime.store, runtime.aws, runtime.settings)
    later = utcnow() + timedelta(minutes=1)
    for n, to in enumerate((["bob@walk.example"], ["ann@walk.example", "bob@walk.example"])):
        at = later + timedelta(seconds=n)  # the newest, on the first row: to both
        runtime.store.emaillogs.insert_one(make_doc(to=to, clientId=CASE_CLIENT, createdAt=at))
    runtime.store.suppressions.insert_one(
        {"email": "ann@walk.example", "reason": "manual", "at": utcnow(), "by": "tester"}
    )
    audit.record(runtime.store, "ana", "send", "a-log")  # a row on the Audit screen
    runtime.identity = replace(runtime.whoami(), role="admin")  # purge asks only an admin
    return runtime


# Where the keys are walked: each main screen, the log detail, the case view. One test
# each, so make test spreads them over its workers.
TARGETS: list[tuple[str, bool | str]] = [(mode, False) for mode in SCREENS]
TARGETS += [("logs", True), ("logs", "case")]
TARGET_IDS = [
    f"{mode}-detail" if d is True else f"{mode}-{d}" if d else mode for mode, d in TARGETS
]


def test_every_binding_that_must_ask_is_on_a_walked_screen() -> None:
    classes = [screen_class(mode) for mode in SCREENS] + [LogDetailScreen, CaseScreen]
    declared = {binding.id for cls in classes for binding in own_bindings(cls)}
    assert declared >= MUST_ASK, MUST_ASK - declared


@pytest.mark.parametrize(("mode", "detail"), TARGETS, ids=TARGET_IDS)
async def test_no_key_changes_the_store_without_a_yes(
    seeded: Runtime, mode: str, detail: bool | str
) -> None:
    app = DepllcApp(seeded.settings, runtime=seeded)
    asked: list[str] = []
    walked: set[str] = set()
    async with app.run_test(size=SIZE) as pilot:
        screen = await home(pilot, app, mode, detail)
        # the app's own keys (screens 1-6, help, F5) act the same on every screen: they
        # are walked once, from the Dashboard (each one switches screens, then back)
        app_keys = keys_of(app) if mode == APP_KEYS_ON else []
        for key, binding in app_keys + keys_of(screen):
            if mode == "compose" and binding.id == "compose.new":
                screen.query_one("#subject").value = "a draft"  # type: ignore[attr-defined]
            before = snapshot(seeded.store)
            await pilot.press(key)
            walked.add(binding.id or key)
            await settle(pilot, app, asked, binding.id or key)
            assert snapshot(seeded.store) == before, f"{mode}: {key} ({binding.id})"
            screen = await home(pilot, app, mode, detail)
    assert len(walked) >= (9 if mode == APP_KEYS_ON else 2), walked
    missing = (MUST_ASK & walked) - set(asked)
    assert not missing, f"these changed state without asking or did nothing: {missing}"
