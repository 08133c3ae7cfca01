"""Pacing and quota: SES's GetSendQuota, a token bucket counted in recipients a second
(settings.ses_max_send_rate caps or overrides SES's MaxSendRate), and retries of the
only errors that prove nothing was sent (throttling, a connection never made), with
exponential backoff and full jitter. A timeout after the request went out is never
retried: its outcome is unknown."""

from __future__ import annotations

import random
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from core.mail.mime import Attachment

if TYPE_CHECKING:
    from core.runtime import Runtime

T = TypeVar("T")

# Error codes with which SES says it refused the request before doing anything.
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestThrottled"}
)
# Exceptions raised before a request left this machine (no connection was made).
NOT_SENT_EXCEPTIONS = frozenset({"EndpointConnectionError", "ConnectTimeoutError"})
# Exceptions after the request may have reached SES: the outcome is unknown.
UNKNOWN_OUTCOME_EXCEPTIONS = frozenset(
    {"ReadTimeoutError", "ConnectionClosedError", "ProxyConnectionError"}
)

PRICE_PER_RECIPIENT = 0.0001  # USD, SES outbound
PRICE_PER_ATTACHMENT_GB = 0.12  # USD per GB of attachments
_GB = 1024**3


def cost(recipients: int, attachments: list[Attachment] | None = None) -> float:
    """SES price of one message: recipients x $0.0001 + attachment bytes at $0.12/GB."""
    attached = sum(a.size for a in attachments or [])
    return round(recipients * PRICE_PER_RECIPIENT + attached / _GB * PRICE_PER_ATTACHMENT_GB, 8)


@dataclass(frozen=True)
class Quota:
    max_send_rate: float  # what SES reports
    max_24h: float  # -1: unlimited
    sent_24h: float
    rate: float  # what we pace at (after the setting)

    @property
    def used(self) -> float:
        """Share of the daily quota sent in the last 24 h (0 when unlimited)."""
        return self.sent_24h / self.max_24h if self.max_24h > 0 else 0.0

    def pace_text(self) -> str:
        """How fast sends go and why, in words: SES's rate, or the setting that
        replaces it (SES_MAX_SEND_RATE; moto reports 1/s, the sandbox sends faster)."""
        if self.rate == self.max_send_rate:
            return f"sends paced at SES's {self.max_send_rate:g}/s"
        side = "above" if self.rate > self.max_send_rate else "below"
        return (
            f"sends paced at {self.rate:g}/s by SES_MAX_SEND_RATE "
            f"({side} the {self.max_send_rate:g}/s SES reports)"
        )

    @property
    def unlimited(self) -> bool:
        """SES reports Max24HourSend -1 for an account without a daily cap."""
        return self.max_24h < 0

    @property
    def remaining_24h(self) -> float:
        """What is left of the daily quota (infinity when unlimited: compare, never
        print it; `remaining_text` says it)."""
        return float("inf") if self.unlimited else max(0.0, self.max_24h - self.sent_24h)

    def remaining_text(self) -> str:
        """`150 today`, or `unlimited`."""
        return "unlimited" if self.unlimited else f"{self.remaining_24h:,.0f} today"

    def usage_text(self) -> str:
        """`50 of 200 sent in 24 h`, or `50 sent in 24 h (no daily limit)`."""
        if self.unlimited:
            return f"{self.sent_24h:,.0f} sent in 24 h (no daily limit)"
        return f"{self.sent_24h:,.0f} of {self.max_24h:,.0f} sent in 24 h"


def get_quota(runtime: Runtime) -> Quota:
    """GetSendQuota, with the settings' overrides applied (moto reports 1/s, 200/day)."""
    response = runtime.aws.ses.get_send_quota()
    reported_rate = float(response.get("MaxSendRate", 1.0))
    max_24h = float(response.get("Max24HourSend", -1.0))
    settings = runtime.settings
    override_24h = settings.ses_max_24h_send
    if override_24h is not None:
        max_24h = float(override_24h)
    rate = settings.ses_max_send_rate or reported_rate
    return Quota(
        max_send_rate=reported_rate,
        max_24h=max_24h,
        sent_24h=float(response.get("SentLast24Hours", 0.0)),
        rate=max(rate, 0.01),
    )


class TokenBucket:
    """Tokens are recipients. `acquire(n)` takes n tokens, waiting while the bucket is
    in debt, so the long-run rate is `rate` whatever the size of each request. The
    burst is at most one second or one full message (50 recipients), whichever is
    smaller: pacing stays close to the limit from the first request."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, min(rate, 50.0))
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self, n: float, cancel: threading.Event | None = None) -> float:
        """Take n tokens; return the seconds waited. Raises CancelledError when `cancel`
        is set while waiting."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= n
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            if cancel is not None:
                if cancel.wait(wait):
                    from core.errors import CancelledError

                    with self._lock:
                        self._tokens += n  # give back what was not used
                    raise CancelledError("Cancelled while waiting for the send rate.")
            else:
                self._sleep(wait)
        return wait


class Pacer:
    """The send pace of one runtime (shared by every send it makes)."""

    def __init__(self, quota: Quota) -> None:
        self.quota = quota
        self.bucket = TokenBucket(quota.rate)

    def acquire(self, recipients: int, cancel: threading.Event | None = None) -> float:
        return self.bucket.acquire(recipients, cancel)


_PACERS: dict[int, tuple[weakref.ref[Any], Pacer]] = {}
_PACERS_LOCK = threading.Lock()


def pacer_for(runtime: Runtime) -> Pacer:
    with _PACERS_LOCK:
        entry = _PACERS.get(id(runtime))
        if entry is not None and entry[0]() is runtime:
            return entry[1]
        try:
            quota = get_quota(runtime)
        except Exception:
            # No GetSendQuota permission: pace at the setting, else SES's slowest rate.
            rate = runtime.settings.ses_max_send_rate or 1.0
            quota = Quota(max_send_rate=1.0, max_24h=-1.0, sent_24h=0.0, rate=rate)
        pacer = Pacer(quota)
        _PACERS[id(runtime)] = (weakref.ref(runtime), pacer)
        for key in [k for k, (ref, _) in _PACERS.items() if ref() is None]:
            del _PACERS[key]
        return pacer


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def proves_not_sent(exc: BaseException) -> bool:
    """True only when the error shows SES did not take the request (safe to retry)."""
    return error_code(exc) in THROTTLING_CODES or type(exc).__name__ in NOT_SENT_EXCEPTIONS


def outcome_unknown(exc: BaseException) -> bool:
    """True when the request may have reached SES and been accepted: never re-send."""
    if type(exc).__name__ in UNKNOWN_OUTCOME_EXCEPTIONS:
        return True
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return isinstance(status, int) and status >= 500
    return False


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base: float = 0.2
    cap: float = 10.0

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Exponential backoff with full jitter (attempt counts from 1)."""
        return float(rng() * min(self.cap, self.base * 2.0 ** (attempt - 1)))


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Run `call`, retrying only errors that prove nothing was sent."""
    policy = policy or RetryPolicy()
    attempt = 1
    while True:
        try:
            return call()
        except Exception as exc:
            if not proves_not_sent(exc) or attempt >= policy.attempts:
                raise
            delay = policy.delay(attempt)
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)
            attempt += 1


_SEND_CLIENTS: dict[tuple[int, str], tuple[weakref.ref[Any], Any]] = {}


def send_client(runtime: Runtime, service: str) -> Any:
    """A client for the send calls with botocore's retries off: botocore's standard mode
    would retry a read timeout, and a read timeout may mean SES already sent it. We
    retry ourselves, only what proves nothing was sent."""
    aws = runtime.aws
    key = (id(aws), service)
    with _PACERS_LOCK:
        entry = _SEND_CLIENTS.get(key)
        if entry is not None and entry[0]() is aws:
            return entry[1]
        from botocore.config import Config

        config = Config(
            retries={"mode": "standard", "total_max_attempts": 1},
            connect_timeout=5,
            read_timeout=60,
            max_pool_connections=32,
        )
        client = aws.session.client(
            service,  # type: ignore[call-overload]
            region_name=aws.settings.aws_region,
            endpoint_url=aws.endpoint_url,
            config=config,
        )
        _SEND_CLIENTS[key] = (weakref.ref(aws), client)
        return client
