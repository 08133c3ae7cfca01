"""Bounce and complaint rates over a rolling window, against SES's thresholds.

The lines (warn, critical = SES's review thresholds) are in core/ses_thresholds.py.

A rate is per message sent in the window (logs created in it that SES accepted:
sent, delivered, bounced, complaint). Messages to the SES mailbox simulator are left
out, as SES leaves them out of its own rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import ses_thresholds
from core.db import Store
from core.models import utcnow
from core.ses_thresholds import (
    BOUNCE_REVIEW,
    COMPLAINT_REVIEW,
    LEVEL_RANK,
    SIMULATOR_ONLY,
    Level,
)
from core.vocabulary import EmailStatus

DEFAULT_DAYS = 7
WINDOWS = (7, 30)

_SENT = [
    EmailStatus.SENT.value,
    EmailStatus.DELIVERED.value,
    EmailStatus.BOUNCED.value,
    EmailStatus.COMPLAINT.value,
]


@dataclass(frozen=True)
class Rates:
    days: int
    since: datetime
    sent: int
    bounced: int
    complaints: int

    @property
    def bounce_rate(self) -> float:
        return self.bounced / self.sent if self.sent else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complaints / self.sent if self.sent else 0.0

    @property
    def bounce_level(self) -> Level:
        return ses_thresholds.bounce_level(self.bounce_rate)

    @property
    def complaint_level(self) -> Level:
        return ses_thresholds.complaint_level(self.complaint_rate)

    @property
    def level(self) -> Level:
        return max(self.bounce_level, self.complaint_level, key=LEVEL_RANK.__getitem__)

    def describe(self) -> str:
        """`bounces 1.2% · complaints 0.00% (7 d, 250 sent)`"""
        return (
            f"bounces {self.bounce_rate:.1%} · complaints {self.complaint_rate:.2%} "
            f"({self.days} d, {self.sent} sent)"
        )

    def warning(self) -> str | None:
        """One short line for the header when a rate is near or over SES's review
        threshold: `SES: bounces 4.1% near 5% · complaints 0.12% over 0.1% (7 d)`."""
        parts = []
        if self.bounce_level != Level.OK:
            word = "over" if self.bounce_level == Level.CRITICAL else "near"
            parts.append(f"bounces {self.bounce_rate:.1%} {word} {BOUNCE_REVIEW:.0%}")
        if self.complaint_level != Level.OK:
            word = "over" if self.complaint_level == Level.CRITICAL else "near"
            parts.append(f"complaints {self.complaint_rate:.2%} {word} {COMPLAINT_REVIEW:.1%}")
        if not parts:
            return None
        return f"SES: {' · '.join(parts)} ({self.days} d)"


def rolling_rates(store: Store, days: int = DEFAULT_DAYS, now: datetime | None = None) -> Rates:
    """Bounce and complaint rates of the messages created in the last `days` days."""
    if days <= 0:
        raise ValueError("days must be positive")
    since = (now or utcnow()) - timedelta(days=days)
    match: dict[str, Any] = {
        "createdAt": {"$gte": since},
        "status": {"$in": _SENT},
        "to": {"$not": SIMULATOR_ONLY},
    }
    counts: dict[str, int] = {}
    for row in store.emaillogs.aggregate(
        [{"$match": match}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}]
    ):
        counts[str(row["_id"])] = int(row["n"])
    return Rates(
        days=days,
        since=since,
        sent=sum(counts.values()),
        bounced=counts.get(EmailStatus.BOUNCED.value, 0),
        complaints=counts.get(EmailStatus.COMPLAINT.value, 0),
    )
