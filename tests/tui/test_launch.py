"""`depllc` with no command runs the console; its exit code tells a crash apart."""

from __future__ import annotations

from typing import Any

import pytest

from tui.app import DepllcApp
from tui.cli.main import main


class _Crashing(DepllcApp):
    """The console, stopped by an unhandled error once it is up (headless)."""

    def on_mount(self) -> None:
        raise RuntimeError("a bug")

    def run(self, *args: Any, **kwargs: Any) -> int | None:
        return super().run(headless=True)


def test_a_crash_exits_non_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui.app.DepllcApp", _Crashing)
    assert main(["--sandbox"]) == 1
