"""A failing worker on any screen becomes one readable notification (the app's one
error reporter), never a silent failure or a traceback."""

from __future__ import annotations

import time

import pytest

from core.errors import StoreUnavailableError
from core.runtime import Runtime
from tui.app import DepllcApp


def _refuse(*_args: object, **_kwargs: object) -> object:
    raise StoreUnavailableError("MongoDB is unreachable (test).", "Check MONGODB_URI.")


@pytest.mark.parametrize(
    ("key", "target"),
    [
        ("4", "core.logs.analytics.compute"),
        ("5", "core.suppressions.list_page"),
        ("6", "core.audit.find_page"),
    ],
)
async def test_screen_worker_error_is_notified(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, key: str, target: str
) -> None:
    monkeypatch.setattr(target, _refuse)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press(key)
        deadline = time.monotonic() + 15
        while not any("unreachable" in n.message for n in app._notifications):
            assert time.monotonic() < deadline, "no notification for the failed worker"
            await pilot.pause(0.05)
        note = next(n for n in app._notifications if "unreachable" in n.message)
        assert note.severity == "error"
        assert note.message == "MongoDB is unreachable (test). Check MONGODB_URI."
