"""Outages: which side of the console an error says is unreachable (MongoDB or AWS),
how long to wait before looking again, and the look itself. The TUI's outage mode
(tui/outage.py) is built on this; `core` keeps the rules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from core.runtime import Runtime

Side = Literal["MongoDB", "AWS"]

# Exception class names (pymongo and botocore are imported lazily elsewhere; matching
# names keeps this module cheap to import) that mean "the other end did not answer".
_MONGODB_DOWN = {
    "StoreUnavailableError",
    "ServerSelectionTimeoutError",
    "AutoReconnect",
    "NetworkTimeout",
    "ConnectionFailure",
}
_AWS_DOWN = {
    "EndpointConnectionError",
    "ConnectTimeoutError",
    "ConnectionClosedError",
    "ReadTimeoutError",
}
# Seconds between looks: soon at first, then no more often than twice a minute.
RETRY_DELAYS = (5, 10, 20, 30)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def unreachable_side(exc: BaseException) -> Side | None:
    """MongoDB or AWS when `exc` (or what caused it) says that side did not answer;
    None for every other error (a refusal, bad input, a bug)."""
    for link in _chain(exc):
        name = type(link).__name__
        if name in _MONGODB_DOWN:
            return "MongoDB"
        if name in _AWS_DOWN:
            return "AWS"
    return None


@dataclass
class Outage:
    """One side down: since when, and how many looks failed."""

    side: Side
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    failed_looks: int = 0

    def next_delay(self) -> int:
        """Seconds until the next look."""
        return RETRY_DELAYS[min(self.failed_looks, len(RETRY_DELAYS) - 1)]


# What still works while a side is down, as the banner says it.
STILL_WORKS: dict[Side, str] = {
    "MongoDB": "SES quota, templates, S3 browsing; sends are journalled",
    "AWS": "logs, file records and suppressions (read from MongoDB)",
}


def look(runtime: Runtime, side: Side) -> None:
    """One cheap call to `side`; raises (the call's own error) while it is still down."""
    if side == "MongoDB":
        runtime.store.ping()
    else:
        runtime.aws.ses.get_send_quota()
