"""The suppression list: addresses that bounced hard, complained, or were blocked by a
person. Sends to them are refused before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import audit
from core.db import AtCursor, Store, all_of, newest_page, time_span
from core.errors import InputError, NotFoundError
from core.models import Suppression, utcnow
from core.validation import escape_search
from core.vocabulary import SuppressionReason


@dataclass(frozen=True)
class Refusal:
    email: str
    reason: SuppressionReason
    at: str
    overridable: bool

    def describe(self) -> str:
        return f"{self.email} is suppressed ({self.reason.value} on {self.at})"


def find(store: Store, emails: list[str]) -> list[Suppression]:
    lowered = sorted({e.lower() for e in emails})
    if not lowered:
        return []
    return [
        Suppression.model_validate(d) for d in store.suppressions.find({"email": {"$in": lowered}})
    ]


def refusals(store: Store, emails: list[str]) -> list[Refusal]:
    """Why each suppressed recipient would be refused; only `manual` may be overridden."""
    return [
        Refusal(
            email=s.email,
            reason=s.reason,
            at=s.at.strftime("%Y-%m-%d"),
            overridable=s.reason == SuppressionReason.MANUAL,
        )
        for s in find(store, emails)
    ]


def add(
    store: Store,
    email: str,
    reason: SuppressionReason,
    by: str,
    message_id: str | None = None,
    diagnostic: str | None = None,
) -> bool:
    """Suppress an address; True when it was not suppressed before. A complaint or
    bounce upgrades a manual entry; nothing downgrades a complaint."""
    email = email.strip().lower()
    if "@" not in email:
        raise InputError(f"{email!r} is not an email address.")
    doc = Suppression(
        email=email, reason=reason, messageId=message_id, by=by, diagnostic=diagnostic, at=utcnow()
    ).to_mongo()
    existing = store.suppressions.find_one({"email": email})
    if existing is None:
        result = store.suppressions.update_one({"email": email}, {"$setOnInsert": doc}, upsert=True)
        created = result.upserted_id is not None
    else:
        created = False
        rank = {
            SuppressionReason.MANUAL: 0,
            SuppressionReason.BOUNCE: 1,
            SuppressionReason.COMPLAINT: 2,
        }
        if rank[reason] > rank[SuppressionReason(existing["reason"])]:
            store.suppressions.update_one({"email": email}, {"$set": doc})
    if created and reason == SuppressionReason.MANUAL:
        audit.record(store, by, "suppress", email, reason=reason.value)
    return created


def get(store: Store, email: str) -> Suppression | None:
    """The suppression of one address, if any."""
    doc = store.suppressions.find_one({"email": email.strip().lower()})
    return None if doc is None else Suppression.model_validate(doc)


def remove(store: Store, email: str, by: str, note: str | None = None) -> Suppression:
    """Lift a suppression (with an audit entry). Lifting a complaint needs a `note`
    saying why (the recipient told SES not to mail them): it goes into the audit."""
    email = email.strip().lower()
    note = (note or "").strip() or None
    entry = get(store, email)
    if entry is None:
        raise NotFoundError(f"{email} is not on the suppression list.")
    if entry.reason == SuppressionReason.COMPLAINT and note is None:
        raise InputError(
            f"{email} complained about our mail; lifting that needs a reason.",
            "Say why (e.g. the client asked to receive mail again); it is audited.",
        )
    doc = store.suppressions.find_one_and_delete({"email": email})
    if doc is None:
        raise NotFoundError(f"{email} is not on the suppression list.")
    removed = Suppression.model_validate(doc)
    details: dict[str, str] = {"reason": removed.reason.value}
    if note:
        details["note"] = note
    audit.record(store, by, "unsuppress", email, **details)
    return removed


@dataclass(frozen=True)
class SuppressionFilter:
    """Which suppressions to list: text in the address, note or message id (literal,
    any case), a reason, who added them, and when ([start, end))."""

    search: str = ""
    reason: SuppressionReason | None = None
    by: str = ""
    start: datetime | None = None
    end: datetime | None = None

    def to_mongo(self) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = []
        if self.search.strip():
            pattern = {"$regex": escape_search(self.search), "$options": "i"}
            clauses.append({"$or": [{f: pattern} for f in ("email", "diagnostic", "messageId")]})
        if self.reason is not None:
            clauses.append({"reason": self.reason.value})
        if self.by.strip():
            clauses.append({"by": self.by.strip()})
        return all_of(*clauses, time_span("at", self.start, self.end))


# Where a page of the list ends: the (at, _id) of its last entry (keyset paging).


def list_all(
    store: Store, limit: int = 500, where: SuppressionFilter | None = None
) -> list[Suppression]:
    """The newest suppressions first (those `where` selects)."""
    return list_page(store, where, limit)[0]


def list_page(
    store: Store, where: SuppressionFilter | None, limit: int, after: AtCursor | None = None
) -> tuple[list[Suppression], AtCursor | None]:
    """One page of the list, newest first, after `after` (keyset on at, _id): the
    entries and where the next page starts (None: this is the last page)."""
    spec = where.to_mongo() if where is not None else {}
    docs, cursor = newest_page(store.suppressions, spec, limit, after)
    return [Suppression.model_validate(d) for d in docs], cursor


def count_by_reason(store: Store, where: SuppressionFilter | None = None) -> dict[str, int]:
    """How many suppressions `where` selects, by reason (every reason, 0 when none;
    a reason the console does not know is counted under its own name)."""
    spec = where.to_mongo() if where is not None else {}
    counts = {r.value: 0 for r in SuppressionReason}
    pipeline: list[dict[str, Any]] = [{"$group": {"_id": "$reason", "n": {"$sum": 1}}}]
    if spec:
        pipeline.insert(0, {"$match": spec})
    for row in store.suppressions.aggregate(pipeline):
        counts[str(row["_id"])] = counts.get(str(row["_id"]), 0) + int(row["n"])
    return counts


def counts_text(counts: dict[str, int]) -> str:
    """`12 suppressed: 9 bounce · 2 complaint · 1 manual`."""
    total = sum(counts.values())
    return f"{total:,} suppressed: " + " · ".join(f"{n:,} {r}" for r, n in counts.items())


def suppress_manually(store: Store, email: str, by: str, message_id: str | None = None) -> str:
    """A person blocks an address (from a log's recipient); returns what to tell them."""
    created = add(store, email, SuppressionReason.MANUAL, by=by, message_id=message_id)
    return f"{email} is suppressed" if created else f"{email} was already suppressed"


def lift(store: Store, email: str, by: str, note: str | None = None) -> str:
    """A person lifts a suppression; returns what to tell them."""
    removed = remove(store, email, by, note)
    return f"{email} may receive mail again (was {removed.reason.value})"
