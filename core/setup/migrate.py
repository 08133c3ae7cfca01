"""Bring email logs the console wrote before it kept to the CRM's Mongoose schema into
the guide's form (idempotent: a second run finds nothing to do).

- events typed `reject`, `deliveryDelay`, `renderingFailure` or `subscription` (the
  guide's enum has six types; Mongoose refuses a log holding any other) become `send`
  entries naming SES's type in `metadata.sesEventType`, their details kept;
- a failed send with no send event gets one carrying the reason (`metadata.error`), as
  the CRM's web app records a failed send.

Each log is rewritten with a compare-and-set on its `eventsRev` (the events consumer's
guard), so an event applied at the same moment is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.db import Store
from core.events.apply import REV_FIELD
from core.vocabulary import LOG_EVENT_TYPES, EmailEventType, EmailStatus, stored_event

ATTEMPTS = 5
LEGACY_TYPES: tuple[str, ...] = tuple(k.value for k in EmailEventType if k not in LOG_EVENT_TYPES)
NEEDS_MIGRATION: dict[str, Any] = {
    "$or": [
        {"events.type": {"$in": list(LEGACY_TYPES)}},
        {"status": EmailStatus.FAILED.value, "events.type": {"$ne": EmailEventType.SEND.value}},
    ]
}
_FIELDS = {"events": 1, "status": 1, "error": 1, "updatedAt": 1, "createdAt": 1, REV_FIELD: 1}


@dataclass(frozen=True)
class MigrationReport:
    migrated: int
    skipped: int  # changed by someone else ATTEMPTS times in a row: left for the next run


def pending(store: Store) -> int:
    """How many logs need the migration."""
    return int(store.emaillogs.count_documents(NEEDS_MIGRATION))


def migrated_events(doc: dict[str, Any]) -> list[Any]:
    """The log's events in the guide's form (pure)."""
    events = [stored_event(e) if isinstance(e, dict) else e for e in doc.get("events") or []]
    has_send = any(isinstance(e, dict) and e.get("type") == "send" for e in events)
    if doc.get("status") == EmailStatus.FAILED.value and not has_send:
        reason = str(doc.get("error") or "the send failed (no reason was recorded)")
        at = doc.get("updatedAt") or doc.get("createdAt")
        events.append(
            {"type": EmailEventType.SEND.value, "timestamp": at, "metadata": {"error": reason}}
        )
    return events


def migrate(store: Store) -> MigrationReport:
    """Rewrite every log that needs it; returns how many were changed."""
    migrated = skipped = 0
    for found in store.emaillogs.find(NEEDS_MIGRATION, {"_id": 1}):
        for _attempt in range(ATTEMPTS):
            doc = store.emaillogs.find_one({"_id": found["_id"], **NEEDS_MIGRATION}, _FIELDS)
            if doc is None:  # already done (another run, or the log changed)
                break
            result = store.emaillogs.update_one(
                {"_id": doc["_id"], REV_FIELD: doc.get(REV_FIELD)},
                {"$set": {"events": migrated_events(doc)}},
            )
            if result.matched_count:
                migrated += 1
                break
        else:
            skipped += 1
    return MigrationReport(migrated, skipped)
