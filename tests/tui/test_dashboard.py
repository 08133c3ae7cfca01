"""Pilot: the dashboard's cards, sparklines and quota over known logs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from textual.widgets import ProgressBar, Sparkline, Static

from core.models import EmailLog, utcnow
from core.runtime import Runtime
from tests.tui.test_hostile_screens import drawn
from tests.tui.waiting import until
from tui.app import DepllcApp
from tui.screens.dashboard import DashboardScreen


def _log(n: int, status: str, days_ago: int) -> dict[str, Any]:
    return EmailLog.model_validate(
        {
            "messageId": f"m-{n}",
            "to": ["a@acme.test"],
            "from": "noreply@depllc.example",
            "subject": "s",
            "category": "notification",
            "status": status,
            "size": 1000,
            "cost": 0.0001,
            "createdAt": utcnow() - timedelta(days=days_ago, minutes=1),
        }
    ).to_mongo()


async def test_cards_rates_sparkline_and_quota(runtime: Runtime) -> None:
    # 97 delivered + 3 bounced today: 3% bounces (warn); 1 complaint 2 days ago
    docs = [_log(n, "delivered", 0) for n in range(97)]
    docs += [_log(100 + n, "bounced", 0) for n in range(3)]
    docs += [_log(200, "complaint", 2)]
    runtime.store.emaillogs.insert_many(docs)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        total = screen.query_one("#dash-total", Static)
        await until(pilot, lambda: "101" in str(total.render()))
        bounce = screen.query_one("#dash-bounce", Static)
        assert "2.97%" in str(bounce.render())  # 3 of 101 accepted
        assert bounce.has_class("-warn")
        complaint = screen.query_one("#dash-complaint", Static)
        assert "0.99%" in str(complaint.render())
        assert complaint.has_class("-critical")  # SES reviews at 0.1%
        daily = list(screen.query_one("#dash-daily", Sparkline).data or [])
        assert len(daily) == 30
        assert daily[-1] == 100
        assert daily[-3] == 1
        bar = screen.query_one("#dash-quota-bar", ProgressBar)
        assert bar.total is not None and bar.total > 1  # moto's Max24HourSend
        shown = str(screen.query_one("#dash-quota", Static).render())
        assert (
            "sent in 24 h · sends paced at 1000/s by SES_MAX_SEND_RATE (above the 1/s SES" in shown
        )
        assert "SES, last 2 weeks" in str(screen.query_one("#dash-ses", Static).render())
        status = str(screen.query_one("#dash-status", Static).render())
        assert "delivered" in status and "97" in status
        rolling = str(screen.query_one("#dash-rolling", Static).render())
        # 7 days and 30 days hold the same 101 sent: 2.97% bounces, 0.99% complaints
        assert " 7 d  bounces 3.0%  complaints 0.99%  (101 sent)" in rolling
        assert "30 d  bounces 3.0%" in rolling


async def test_an_unlimited_quota_is_said_in_words(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.mail import pacing

    unlimited = pacing.Quota(max_send_rate=14.0, max_24h=-1.0, sent_24h=321.0, rate=14.0)
    monkeypatch.setattr(pacing, "get_quota", lambda _runtime: unlimited)
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        quota = screen.query_one("#dash-quota", Static)
        await until(pilot, lambda: "sent in 24 h" in str(quota.render()))
        shown = str(quota.render())
        assert shown.startswith("321 sent in 24 h (no daily limit) · ")
        assert "-1" not in shown and "inf" not in shown
        assert not screen.query_one("#dash-quota-bar", ProgressBar).display


async def test_at_80x24_the_cards_keep_whole_words_and_the_keys_reach_the_bottom(
    runtime: Runtime,
) -> None:
    runtime.store.emaillogs.insert_many([_log(n, "delivered", 0) for n in range(5)])
    app = DepllcApp(runtime.settings, runtime=runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        total = screen.query_one("#dash-total", Static)
        await until(pilot, lambda: "5" in str(total.render()))
        await pilot.pause(0.1)
        shown = "\n".join(drawn(app))
        for title in ("emails", "delivered", "bounces", "complaints", "cost", "avg size"):
            assert title in shown, shown
        assert "By category" not in shown  # below the fold at 24 rows ...
        await pilot.press("end")  # ... and a key away (the body has the focus)
        await pilot.pause(0.1)
        assert "By category" in "\n".join(drawn(app))
        await pilot.resize_terminal(160, 48)  # wider: the cards' whole titles again
        await until(pilot, lambda: "emails in 30 days" in str(total.render()))
