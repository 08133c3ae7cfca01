"""Analytics against hand-counted fixtures; SES quota and statistics from moto."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import Store
from core.logs.analytics import (
    Rates,
    compute,
    fetch_ses_statistics,
    pipeline,
    with_ses,
)
from core.runtime import Runtime
from core.ses_thresholds import Level
from core.validation import EmailQuery
from tests.core.logs.conftest import T0, MakeLog

NOW = T0 + timedelta(hours=1)


@pytest.fixture
def fixture_logs(add_log: MakeLog) -> None:
    # day T0: 4 delivered, 1 bounced, 1 complaint, 1 failed, 1 queued (8 logs)
    for _ in range(4):
        add_log(status="delivered", createdAt=T0, cost=0.0001, size=1000)
    add_log(status="bounced", createdAt=T0, cost=0.0001, size=2000, category="marketing")
    add_log(status="complaint", createdAt=T0, cost=0.0001, size=3000, category="marketing")
    add_log(status="failed", createdAt=T0, cost=0.0, size=500, category="auth")
    add_log(status="queued", createdAt=T0, cost=0.0, size=500, category="auth")
    # 2 days earlier: 2 sent
    for _ in range(2):
        add_log(status="sent", createdAt=T0 - timedelta(days=2), cost=0.0002, size=1500)
    # 45 days earlier (outside the daily series, inside the totals)
    add_log(status="delivered", createdAt=T0 - timedelta(days=45), cost=0.0001, size=1000)


def test_totals_and_breakdowns(store: Store, fixture_logs: None) -> None:
    found = compute(store, now=NOW)
    assert found.total == 11
    assert found.cost == pytest.approx(0.0001 * 7 + 0.0002 * 2)
    assert found.avg_size == pytest.approx((4000 + 2000 + 3000 + 1000 + 3000 + 1000) / 11)
    assert found.by_status == {
        "queued": 1, "sent": 2, "delivered": 5, "bounced": 1, "complaint": 1, "failed": 1,
    }  # fmt: skip
    assert found.by_category == {
        "auth": 2, "notification": 7, "marketing": 2, "system": 0, "client-portal": 0,
    }  # fmt: skip
    # accepted by SES: sent 2 + delivered 5 + bounced 1 + complaint 1 = 9
    assert found.rates.accepted == 9
    assert found.rates.delivered == pytest.approx(6 / 9)
    assert found.rates.bounce == pytest.approx(1 / 9)
    assert found.rates.complaint == pytest.approx(1 / 9)
    assert found.rates.bounce_level == Level.CRITICAL
    assert found.rates.complaint_level == Level.CRITICAL
    assert found.simulator == 0


def test_simulator_messages_count_in_totals_but_not_in_rates(
    store: Store, fixture_logs: None, add_log: MakeLog
) -> None:
    """SES leaves mailbox-simulator sends out of its rates; so do the dashboard's cards
    (the same rule as the rolling rates in the header)."""
    for _ in range(3):
        add_log(status="bounced", createdAt=T0, to=["bounce@simulator.amazonses.com"])
    add_log(status="delivered", createdAt=T0, to=["Success@Simulator.AmazonSES.com"])
    found = compute(store, now=NOW)
    assert found.total == 15
    assert found.by_status["bounced"] == 4
    assert found.simulator == 4
    assert found.rates.accepted == 9  # as without the simulator messages
    assert found.rates.bounce == pytest.approx(1 / 9)
    assert found.to_json()["rates"]["simulatorLeftOut"] == 4


def test_daily_series_covers_30_days(store: Store, fixture_logs: None) -> None:
    found = compute(store, now=NOW)
    assert len(found.daily) == 30
    assert found.daily[-1].day == NOW.date()
    last = found.daily[-1]
    assert (last.total, last.delivered, last.bounced, last.complaints, last.failed) == (
        8, 4, 1, 1, 1,
    )  # fmt: skip
    assert found.daily[-3].total == 2
    assert sum(d.total for d in found.daily) == 10  # the 45-day-old log is outside


def test_filters_and_since(store: Store, fixture_logs: None) -> None:
    marketing = compute(store, EmailQuery(category="marketing"), now=NOW)
    assert marketing.total == 2
    assert marketing.by_status["bounced"] == 1
    recent = compute(store, since=T0 - timedelta(days=7), now=NOW)
    assert recent.total == 10


def test_empty_store(store: Store) -> None:
    found = compute(store, now=NOW)
    assert found.total == 0
    assert found.cost == 0
    assert found.rates == Rates(0, 0.0, 0.0, 0.0)
    assert found.rates.bounce_level == Level.OK


@pytest.mark.parametrize(
    ("bounced", "complaints", "bounce_level", "complaint_level"),
    [
        (0, 0, Level.OK, Level.OK),
        (199, 4, Level.OK, Level.OK),  # 1.99%, 0.04%
        (200, 5, Level.WARN, Level.WARN),  # 2%, 0.05%
        (499, 9, Level.WARN, Level.WARN),
        (500, 10, Level.CRITICAL, Level.CRITICAL),  # 5%, 0.1%: SES review
    ],
)
def test_threshold_levels(
    bounced: int, complaints: int, bounce_level: Level, complaint_level: Level
) -> None:
    rates = Rates.of(10_000, 10_000 - bounced, bounced, complaints)
    assert rates.bounce_level == bounce_level
    assert rates.complaint_level == complaint_level


def test_one_facet_stage_no_push() -> None:
    stages = pipeline({}, T0)
    assert [next(iter(s)) for s in stages] == ["$match", "$facet"]
    assert "$push" not in repr(stages)


def test_ses_quota_and_statistics(runtime: Runtime) -> None:
    stats = fetch_ses_statistics(runtime.aws.ses)
    assert stats.attempts >= 0
    found = with_ses(compute(runtime.store), runtime)
    assert found.quota is not None
    assert found.ses_error is None
    quota = found.to_json()["quota"]
    assert quota["max24HourSend"] > 0
    assert quota["maxSendRate"] == 1.0  # what moto reports
    assert quota["paceRate"] == 1000.0  # SES_MAX_SEND_RATE in the test settings


def test_ses_failure_is_noted_not_fatal(store: Store) -> None:
    from botocore.exceptions import EndpointConnectionError

    class Down:
        def get_send_quota(self) -> dict[str, float]:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    class Aws:
        ses = Down()

    class Unreachable:
        aws = Aws()
        settings = None

    found = with_ses(compute(store), Unreachable())  # type: ignore[arg-type]
    assert found.quota is None
    assert found.ses_error is not None and "Cannot reach AWS" in found.ses_error
