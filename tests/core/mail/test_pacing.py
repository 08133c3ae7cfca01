"""Pacing: the token bucket, the quota and its overrides, which errors are retried,
and the cost formula."""

from __future__ import annotations

import threading

import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from core.errors import CancelledError
from core.mail import pacing
from core.mail.mime import Attachment
from core.runtime import Runtime
from tests.core.mail.conftest import client_error


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_bucket_paces_recipients_at_the_rate() -> None:
    clock = FakeClock()
    bucket = pacing.TokenBucket(200, clock=clock, sleep=clock.sleep)
    assert bucket.burst == 50
    for _ in range(20):  # 1,000 recipients in calls of 50
        bucket.acquire(50)
    # the first 50 ride the burst; the other 950 take 950/200 s
    assert clock.now == pytest.approx(950 / 200)


def test_bucket_allows_a_request_larger_than_the_burst() -> None:
    clock = FakeClock()
    bucket = pacing.TokenBucket(1, clock=clock, sleep=clock.sleep)
    assert bucket.acquire(1) == 0  # the burst
    bucket.acquire(50)  # goes into debt: waits 50 s
    assert clock.now == pytest.approx(50)


def test_bucket_refills_while_idle() -> None:
    clock = FakeClock()
    bucket = pacing.TokenBucket(10, clock=clock, sleep=clock.sleep)
    bucket.acquire(10)
    clock.now += 5  # idle: refills up to the burst only
    assert bucket.acquire(10) == 0
    assert bucket.acquire(10) == pytest.approx(1.0)


def test_bucket_wait_can_be_cancelled() -> None:
    bucket = pacing.TokenBucket(1)
    bucket.acquire(1)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        bucket.acquire(100, cancel)


def test_quota_reads_ses_and_the_setting_overrides_the_rate(runtime: Runtime) -> None:
    quota = pacing.get_quota(runtime)
    assert quota.max_send_rate == 1.0  # what moto reports
    assert quota.rate == runtime.settings.ses_max_send_rate == 1000.0
    assert quota.max_24h == 200.0
    assert quota.remaining_24h == 200.0


def test_quota_without_the_setting_uses_ses_rate(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={"ses_max_send_rate": None, "ses_max_24h_send": 5000}
    )
    quota = pacing.get_quota(runtime)
    assert quota.rate == 1.0
    assert quota.max_24h == 5000.0


def test_unlimited_daily_quota() -> None:
    quota = pacing.Quota(max_send_rate=14, max_24h=-1, sent_24h=10, rate=14)
    assert quota.remaining_24h == float("inf")


def test_only_errors_proving_nothing_was_sent_are_retried() -> None:
    assert pacing.proves_not_sent(client_error("Throttling", "Maximum sending rate exceeded."))
    assert pacing.proves_not_sent(client_error("TooManyRequestsException"))
    assert pacing.proves_not_sent(EndpointConnectionError(endpoint_url="https://email"))
    assert pacing.proves_not_sent(ConnectTimeoutError(endpoint_url="https://email"))
    assert not pacing.proves_not_sent(ReadTimeoutError(endpoint_url="https://email"))
    assert not pacing.proves_not_sent(client_error("MessageRejected"))
    assert not pacing.proves_not_sent(client_error("InternalFailure", status=500))
    assert pacing.outcome_unknown(ReadTimeoutError(endpoint_url="https://email"))
    assert pacing.outcome_unknown(client_error("InternalFailure", status=500))
    assert not pacing.outcome_unknown(client_error("MessageRejected"))


def test_throttling_is_retried_with_backoff() -> None:
    errors = [client_error("Throttling"), client_error("Throttling")]
    slept: list[float] = []

    def call() -> str:
        if errors:
            raise errors.pop(0)
        return "ok"

    policy = pacing.RetryPolicy(attempts=5, base=0.5, cap=4)
    assert pacing.call_with_retries(call, policy, sleep=slept.append) == "ok"
    assert len(slept) == 2
    assert 0 <= slept[0] <= 0.5 and 0 <= slept[1] <= 1.0


def test_a_read_timeout_is_never_retried() -> None:
    calls = []

    def call() -> str:
        calls.append(1)
        raise ReadTimeoutError(endpoint_url="https://email")

    with pytest.raises(ReadTimeoutError):
        pacing.call_with_retries(call, sleep=lambda _s: None)
    assert len(calls) == 1


def test_retries_stop_after_the_policy_attempts() -> None:
    calls = []

    def call() -> str:
        calls.append(1)
        raise client_error("Throttling")

    with pytest.raises(Exception, match="Throttling"):
        pacing.call_with_retries(call, pacing.RetryPolicy(attempts=3), sleep=lambda _s: None)
    assert len(calls) == 3


def test_backoff_grows_and_is_capped() -> None:
    policy = pacing.RetryPolicy(base=1, cap=5)
    assert policy.delay(1, rng=lambda: 1.0) == 1
    assert policy.delay(3, rng=lambda: 1.0) == 4
    assert policy.delay(10, rng=lambda: 1.0) == 5
    assert policy.delay(10, rng=lambda: 0.0) == 0


def test_cost_counts_recipients_and_attachment_bytes() -> None:
    assert pacing.cost(3) == pytest.approx(0.0003)
    gb = Attachment("big.bin", "application/octet-stream", b"\0" * 1)
    assert pacing.cost(1, [gb]) == pytest.approx(0.0001 + 0.12 / 1024**3, rel=1e-3)
    mib = Attachment("mib.bin", "application/octet-stream", b"\0" * 1024 * 1024)
    assert pacing.cost(2, [mib, mib]) == pytest.approx(0.0002 + 2 * 0.12 / 1024, abs=1e-8)
    assert pacing.cost(0, []) == 0


@pytest.mark.parametrize(
    ("reported", "rate", "text"),
    [
        (14, 14, "sends paced at SES's 14/s"),
        (1, 200, "sends paced at 200/s by SES_MAX_SEND_RATE (above the 1/s SES reports)"),
        (14, 5, "sends paced at 5/s by SES_MAX_SEND_RATE (below the 14/s SES reports)"),
    ],
)
def test_the_pace_is_said_with_where_it_comes_from(reported: float, rate: float, text: str) -> None:
    quota = pacing.Quota(max_send_rate=reported, max_24h=200, sent_24h=0, rate=rate)
    assert quota.pace_text() == text


def test_an_unlimited_quota_says_so_in_words() -> None:
    # SES reports Max24HourSend -1 for an account without a daily cap: never "-1", "inf"
    unlimited = pacing.Quota(max_send_rate=14.0, max_24h=-1.0, sent_24h=1234.0, rate=14.0)
    assert unlimited.unlimited and unlimited.remaining_24h > 10**9
    assert unlimited.remaining_text() == "unlimited"
    assert unlimited.usage_text() == "1,234 sent in 24 h (no daily limit)"
    capped = pacing.Quota(max_send_rate=14.0, max_24h=50_000.0, sent_24h=1234.0, rate=14.0)
    assert not capped.unlimited
    assert capped.remaining_text() == "48,766 today"
    assert capped.usage_text() == "1,234 of 50,000 sent in 24 h"
