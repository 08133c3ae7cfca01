"""Delivery analytics: one `$facet` aggregation over the filtered logs (the guide's
`$push` of one element per document into a single group is unbounded and breaks at
scale), rates against SES's review thresholds, and SES's own quota and statistics.

Rates are per message over the messages SES accepted (sent, delivered, bounced,
complaint; `queued` and `failed` never reached SES), judged against the lines in
core/ses_thresholds.py. Messages to the SES mailbox simulator are counted in the totals
but left out of the rates, as SES leaves them out of its own (and as the rolling rates
in core/events/rates.py do).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from core import ses_thresholds
from core.db import Store
from core.logs.query import build_filter
from core.ses_thresholds import SIMULATOR_ONLY, Level
from core.validation import EmailQuery
from core.vocabulary import EmailCategory, EmailStatus

if TYPE_CHECKING:
    from core.mail.pacing import Quota
    from core.runtime import Runtime

DAILY_DAYS = 30
ACCEPTED = ("sent", "delivered", "bounced", "complaint")


@dataclass(frozen=True)
class Rates:
    accepted: int
    delivered: float
    bounce: float
    complaint: float

    @property
    def bounce_level(self) -> Level:
        return ses_thresholds.bounce_level(self.bounce)

    @property
    def complaint_level(self) -> Level:
        return ses_thresholds.complaint_level(self.complaint)

    @classmethod
    def of(cls, accepted: int, delivered: int, bounced: int, complaints: int) -> Rates:
        if accepted <= 0:
            return cls(0, 0.0, 0.0, 0.0)
        return cls(accepted, delivered / accepted, bounced / accepted, complaints / accepted)


@dataclass(frozen=True)
class DayFigures:
    day: date
    total: int
    delivered: int
    bounced: int
    complaints: int
    failed: int


@dataclass(frozen=True)
class SesStatistics:
    """GetSendStatistics summed over its window (the last two weeks)."""

    attempts: int
    bounces: int
    complaints: int
    rejects: int
    points: int

    @property
    def rates(self) -> Rates:
        delivered = max(0, self.attempts - self.bounces)
        return Rates.of(self.attempts, delivered, self.bounces, self.complaints)


@dataclass
class Analytics:
    total: int
    cost: float
    avg_size: float
    by_status: dict[str, int]
    by_category: dict[str, int]
    daily: list[DayFigures]
    rates: Rates
    since: datetime | None
    quota: Quota | None = None
    ses_stats: SesStatistics | None = None
    ses_error: str | None = None
    simulator: int = 0  # accepted messages to the mailbox simulator, left out of the rates

    @classmethod
    def empty(cls) -> Analytics:
        """No figures from the store (it is unreachable): room for SES's alone."""
        return cls(0, 0.0, 0.0, {}, {}, [], Rates(0, 0.0, 0.0, 0.0), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "cost": round(self.cost, 6),
            "avgSize": round(self.avg_size, 1),
            "byStatus": self.by_status,
            "byCategory": self.by_category,
            "since": self.since.isoformat() if self.since else None,
            "rates": {
                "accepted": self.rates.accepted,
                "delivered": self.rates.delivered,
                "bounce": self.rates.bounce,
                "bounceLevel": self.rates.bounce_level.value,
                "complaint": self.rates.complaint,
                "complaintLevel": self.rates.complaint_level.value,
                "simulatorLeftOut": self.simulator,
            },
            "daily": [
                {
                    "day": d.day.isoformat(),
                    "total": d.total,
                    "delivered": d.delivered,
                    "bounced": d.bounced,
                    "complaints": d.complaints,
                    "failed": d.failed,
                }
                for d in self.daily
            ],
            "quota": None
            if self.quota is None
            else {
                "max24HourSend": self.quota.max_24h,
                "maxSendRate": self.quota.max_send_rate,
                "paceRate": self.quota.rate,
                "sentLast24Hours": self.quota.sent_24h,
            },
            "sesStatistics": None
            if self.ses_stats is None
            else {
                "deliveryAttempts": self.ses_stats.attempts,
                "bounces": self.ses_stats.bounces,
                "complaints": self.ses_stats.complaints,
                "rejects": self.ses_stats.rejects,
            },
            "sesError": self.ses_error,
        }


def _status_sum(status: str) -> dict[str, Any]:
    return {"$sum": {"$cond": [{"$eq": ["$status", status]}, 1, 0]}}


def pipeline(match: dict[str, Any], daily_from: datetime) -> list[dict[str, Any]]:
    """One pass: totals, by status, by category and the UTC-daily series."""
    return [
        {"$match": match},
        {
            "$facet": {
                "totals": [
                    {
                        "$group": {
                            "_id": None,
                            "n": {"$sum": 1},
                            "cost": {"$sum": "$cost"},
                            "avgSize": {"$avg": "$size"},
                        }
                    }
                ],
                "byStatus": [{"$group": {"_id": "$status", "n": {"$sum": 1}}}],
                "reputation": [
                    {"$match": {"status": {"$in": list(ACCEPTED)}, "to": {"$not": SIMULATOR_ONLY}}},
                    {"$group": {"_id": "$status", "n": {"$sum": 1}}},
                ],
                "byCategory": [{"$group": {"_id": "$category", "n": {"$sum": 1}}}],
                "daily": [
                    {"$match": {"createdAt": {"$gte": daily_from}}},
                    {
                        "$group": {
                            "_id": {"$dateToString": {"format": "%Y-%m-%d", "date": "$createdAt"}},
                            "n": {"$sum": 1},
                            "delivered": _status_sum("delivered"),
                            "bounced": _status_sum("bounced"),
                            "complaint": _status_sum("complaint"),
                            "failed": _status_sum("failed"),
                        }
                    },
                ],
            }
        },
    ]


def compute(
    store: Store,
    query: EmailQuery | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
    days: int = DAILY_DAYS,
) -> Analytics:
    """Figures for the logs matching `query` (created at or after `since`)."""
    current = (now or datetime.now(UTC)).astimezone(UTC)
    match = build_filter(query) if query is not None else {}
    if since is not None:
        match = (
            {"$and": [match, {"createdAt": {"$gte": since}}]}
            if match
            else {"createdAt": {"$gte": since}}
        )
    first_day = (current - timedelta(days=days - 1)).date()
    daily_from = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    result = next(iter(store.emaillogs.aggregate(pipeline(match, daily_from))), {})
    totals = (result.get("totals") or [{}])[0]
    by_status = {str(r["_id"]): int(r["n"]) for r in result.get("byStatus", []) if r["_id"]}
    by_category = {str(r["_id"]): int(r["n"]) for r in result.get("byCategory", []) if r["_id"]}
    for status in EmailStatus:
        by_status.setdefault(status.value, 0)
    for category in EmailCategory:
        by_category.setdefault(category.value, 0)
    per_day = {str(r["_id"]): r for r in result.get("daily", [])}
    daily = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        row = per_day.get(day.isoformat(), {})
        daily.append(
            DayFigures(
                day=day,
                total=int(row.get("n", 0)),
                delivered=int(row.get("delivered", 0)),
                bounced=int(row.get("bounced", 0)),
                complaints=int(row.get("complaint", 0)),
                failed=int(row.get("failed", 0)),
            )
        )
    counted = {str(r["_id"]): int(r["n"]) for r in result.get("reputation", [])}
    accepted = sum(counted.values())
    rates = Rates.of(
        accepted,
        # a complaint was delivered first
        counted.get("delivered", 0) + counted.get("complaint", 0),
        counted.get("bounced", 0),
        counted.get("complaint", 0),
    )
    return Analytics(
        total=int(totals.get("n", 0)),
        cost=float(totals.get("cost") or 0.0),
        avg_size=float(totals.get("avgSize") or 0.0),
        by_status=by_status,
        by_category=by_category,
        daily=daily,
        rates=rates,
        since=since,
        simulator=sum(by_status[s] for s in ACCEPTED) - accepted,
    )


def fetch_ses_statistics(ses: Any) -> SesStatistics:
    """SES GetSendStatistics, summed over its data points (15-minute buckets)."""
    points = ses.get_send_statistics().get("SendDataPoints", [])
    return SesStatistics(
        attempts=sum(int(p.get("DeliveryAttempts", 0)) for p in points),
        bounces=sum(int(p.get("Bounces", 0)) for p in points),
        complaints=sum(int(p.get("Complaints", 0)) for p in points),
        rejects=sum(int(p.get("Rejects", 0)) for p in points),
        points=len(points),
    )


def with_ses(analytics: Analytics, runtime: Runtime) -> Analytics:
    """Add SES's quota (with the settings' overrides, as sends are paced) and
    statistics; an SES failure is noted, not fatal (the store's figures still stand)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from core.errors import describe
    from core.mail.pacing import get_quota

    try:
        analytics.quota = get_quota(runtime)
        analytics.ses_stats = fetch_ses_statistics(runtime.aws.ses)
    except (BotoCoreError, ClientError) as exc:
        analytics.ses_error = describe(exc).text
    return analytics
