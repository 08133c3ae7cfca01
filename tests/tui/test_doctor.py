"""The doctor screen: opened from the command palette, one row per check, the fix of
the highlighted row below; `r` runs the checks again; it opens by itself when startup
fails and says why."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from core.config import Settings
from core.runtime import Runtime
from core.setup.apply import apply_plan, build_plan, make_context
from core.setup.doctor import CHECKS
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.screens.doctor import DoctorScreen

SIZE = (160, 48)


def _rows(screen: DoctorScreen) -> dict[str, str]:
    table = screen.query_one("#doctor-table", DataTable)
    return {str(row_key.value): str(table.get_row(row_key)[0]) for row_key in table.rows}


async def test_palette_opens_the_doctor_and_r_reruns_it(runtime: Runtime) -> None:
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"doctor")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DoctorScreen))
        screen = app.screen
        assert isinstance(screen, DoctorScreen)
        await until(pilot, lambda: screen.report is not None)
        rows = _rows(screen)
        assert list(rows) == [cid for cid, _ in CHECKS]
        # the fixture provisions like the sandbox: no TLS-only bucket policy yet
        assert rows["bucket-tls"] == "FAIL"
        assert rows["credentials"] == "PASS"
        fix = str(screen.query_one("#doctor-fix", Static).render())
        assert "Fix:" in fix and "depllc setup" in fix  # the first problem is highlighted

        ctx = make_context(runtime.settings, runtime.aws, runtime.store, write_config=False)
        apply_plan(build_plan(ctx))
        first = screen.report
        await pilot.press("f5")
        await until(pilot, lambda: screen.report is not first)
        rows = _rows(screen)
        assert "FAIL" not in rows.values(), rows
        summary = str(screen.query_one("#doctor-summary", Static).render())
        assert "All checks pass" in summary

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DoctorScreen)


async def test_failed_startup_opens_the_doctor(
    mocked_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)  # `make test` sets it
    settings = Settings.model_validate(
        {
            "aws_s3_bucket": "depllc-not-set-up",
            "aws_ses_from_email": "noreply@depllc.example",
        }
    )
    app = DepllcApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, DoctorScreen))
        screen = app.screen
        assert isinstance(screen, DoctorScreen)
        await until(pilot, lambda: screen.report is not None)
        rows = _rows(screen)
        assert rows["mongodb"] == "FAIL"  # MONGODB_URI is not set: why startup failed
        assert rows["bucket"] == "FAIL"
        assert screen.report is not None
        assert "MONGODB_URI is not set" in screen.report.get("mongodb").detail
