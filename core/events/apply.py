"""Apply SES events to email logs: append to `events` (once per event id), move each
recipient's status forward, and derive the log's status; keep what cannot be applied.

Ordering and duplicates: a recipient's row only ever moves to the greatest of
(status rank, has a diagnostic, event time, diagnostic), so applying the same events in
any order, any number of times, ends in the same state. A late Delivery never
overrides a Bounce or Complaint; Reject and Rendering Failure mean `failed`.

What is stored keeps to the CRM's schema: `events[].type` is one of the guide's six,
SES's type name is in `metadata.sesEventType`; Reject, Rendering Failure, DeliveryDelay
and Subscription are stored as `send` entries noting them (core.models.stored_type).

A bounce or complaint naming an address that was not a recipient of the message (the
log's to/cc/bcc) suppresses nobody and moves no row: the event is kept on the log with
`metadata.notRecipient` listing those addresses, and reported.

Concurrency: each write is a compare-and-set on `eventsRev` and `status` as read, and
carries `events.eventId: {$ne: id}`, so two consumers on one queue never lose an event
nor add one twice; a lost race is re-read and retried.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.db import Store
from core.events.models import SesEvent
from core.events.parse import Body, Parsed, SetAside, parse_body
from core.events.suppress import bare_address, not_recipients, suppress_from_event
from core.models import utcnow
from core.vocabulary import (
    SEND_NOTE_NAMES,
    SES_EVENT_NAMES,
    STATUS_RANK,
    EmailEventType,
    EmailStatus,
    event_kind,
    stored_type,
)

MAX_ATTEMPTS = 25
REV_FIELD = "eventsRev"  # additive: bumped by every event write (compare-and-set)
STATE_UNMATCHED = "unmatched"
STATE_SET_ASIDE = "setAside"
_STATUSES = {s.value for s in EmailStatus}


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    UNMATCHED = "unmatched"
    SET_ASIDE = "setAside"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    event_id: str
    message_id: str | None = None
    type: EmailEventType | None = None
    reason: str | None = None
    status: EmailStatus | None = None  # the log's status after applying
    suppressed: tuple[str, ...] = ()
    not_recipients: tuple[str, ...] = ()  # named by a bounce/complaint, never sent to

    def describe(self) -> str:
        what = self.type.value if self.type else "body"
        if self.outcome == Outcome.SET_ASIDE:
            return f"set aside: {self.reason}"
        flag = (
            f"; not a recipient, not suppressed: {', '.join(self.not_recipients)}"
            if self.not_recipients
            else ""
        )
        if self.outcome == Outcome.UNMATCHED:
            kept = f"{what} for unknown message {self.message_id}: kept for matching later"
            return kept + flag
        if self.outcome == Outcome.DUPLICATE:
            return f"{what} for {self.message_id}: already applied"
        extra = f"; suppressed {', '.join(self.suppressed)}" if self.suppressed else ""
        return f"{what} applied to {self.message_id} (now {self.status}){extra}{flag}"


# Exceptions meaning "the store is unreachable": the rest of a batch is not tried.
_OUTAGE_NAMES = {
    "StoreUnavailableError",
    "ServerSelectionTimeoutError",
    "AutoReconnect",
    "NetworkTimeout",
    "ConnectionFailure",
    "NotPrimaryError",
    "ExecutionTimeout",
}


def is_store_outage(exc: BaseException) -> bool:
    return any(cls.__name__ in _OUTAGE_NAMES for cls in type(exc).__mro__)


class ConflictError(RuntimeError):
    """A log kept changing under us for MAX_ATTEMPTS tries (should not happen)."""


# --- what an event says about each recipient -----------------------------------


@dataclass(frozen=True)
class Change:
    email: str
    status: EmailStatus
    at: datetime
    diagnostic: str | None = None


def _recipient_changes(event: SesEvent, at: datetime) -> list[Change]:
    kind = event.type
    mail = event.mail
    if kind == EmailEventType.SEND:
        return [Change(r, EmailStatus.SENT, at) for r in mail.destination]
    if kind == EmailEventType.DELIVERY and event.delivery is not None:
        smtp = event.delivery.smtpResponse
        return [Change(r, EmailStatus.DELIVERED, at, smtp) for r in event.delivery.recipients]
    if kind == EmailEventType.BOUNCE and event.bounce is not None:
        bounce = event.bounce
        label = f"{bounce.bounceType}/{bounce.bounceSubType or 'General'}"
        status = EmailStatus.SENT if bounce.bounceType == "Transient" else EmailStatus.BOUNCED
        return [
            Change(
                r.emailAddress,
                status,
                at,
                f"{label}: {r.diagnosticCode}" if r.diagnosticCode else label,
            )
            for r in bounce.bouncedRecipients
        ]
    if kind == EmailEventType.COMPLAINT and event.complaint is not None:
        c = event.complaint
        note = c.complaintFeedbackType or c.complaintSubType or "complaint"
        return [
            Change(r.emailAddress, EmailStatus.COMPLAINT, at, note) for r in c.complainedRecipients
        ]
    if kind == EmailEventType.REJECT:
        reason = (event.reject.reason if event.reject else None) or "rejected by SES"
        return [Change(r, EmailStatus.FAILED, at, f"Rejected: {reason}") for r in mail.destination]
    if kind == EmailEventType.RENDERING_FAILURE:
        failure = event.failure
        text = (failure.errorMessage if failure else None) or "template rendering failed"
        name = failure.templateName if failure else None
        note = f"Rendering failure ({name}): {text}" if name else f"Rendering failure: {text}"
        return [Change(r, EmailStatus.FAILED, at, note) for r in mail.destination]
    if kind == EmailEventType.DELIVERY_DELAY and event.deliveryDelay is not None:
        delay = event.deliveryDelay
        kind_text = delay.delayType or "Delayed"
        return [
            Change(
                r.emailAddress,
                EmailStatus.SENT,
                at,
                f"Delayed ({kind_text}): {r.diagnosticCode}" if r.diagnosticCode else kind_text,
            )
            for r in delay.delayedRecipients
        ]
    if kind in (EmailEventType.OPEN, EmailEventType.CLICK) and len(mail.destination) == 1:
        # Opens and clicks do not name the recipient: with one recipient, it was delivered.
        return [Change(mail.destination[0], EmailStatus.DELIVERED, at)]
    return []


def _row_key(status: str, has_diag: bool, at: Any, diagnostic: str | None) -> tuple[Any, ...]:
    rank = STATUS_RANK[EmailStatus(status)] if status in _STATUSES else 0
    stamp = at.timestamp() if isinstance(at, datetime) else 0.0
    return (rank, has_diag, stamp, diagnostic or "")


def merge_recipients(
    rows: list[dict[str, Any]],
    log_status: str,
    log_recipients: Iterable[str],
    changes: list[Change],
) -> tuple[list[dict[str, Any]], EmailStatus]:
    """The recipient rows and derived status after `changes` (pure; rows not mutated)."""
    # rows missing for some recipients (logs written by the web app): start them at the
    # log's status, or `sent` when the log already says more than that
    base = log_status if log_status in (EmailStatus.QUEUED, EmailStatus.SENT) else "sent"
    merged: dict[str, dict[str, Any]] = {}
    for existing in rows:
        merged[str(existing.get("email", "")).lower()] = dict(existing)
    for email in log_recipients:
        merged.setdefault(email.lower(), {"email": email, "status": base})
    for change in changes:
        key = change.email.lower()
        row = merged.get(key)
        new: dict[str, Any] = {
            "email": row["email"] if row else change.email,
            "status": change.status.value,
            "updatedAt": change.at,
            "diagnostic": change.diagnostic,
        }
        if row is None or _row_key(
            change.status.value, change.diagnostic is not None, change.at, change.diagnostic
        ) > _row_key(
            str(row.get("status")),
            row.get("diagnostic") is not None,
            row.get("updatedAt"),
            row.get("diagnostic"),
        ):
            merged[key] = {k: v for k, v in new.items() if v is not None}
    statuses = [EmailStatus(log_status)] if log_status in _STATUSES else []
    statuses += [EmailStatus(r["status"]) for r in merged.values() if r.get("status") in _STATUSES]
    derived = max(statuses, key=STATUS_RANK.__getitem__, default=EmailStatus.QUEUED)
    return list(merged.values()), derived


# --- the event entry stored in the log -------------------------------------------


def event_metadata(event: SesEvent) -> dict[str, Any]:
    """`metadata` of the log's event entry: the keys documented on core.models.EmailEvent."""
    kind = event.type
    meta: dict[str, Any] = {}
    if kind == EmailEventType.SEND:
        meta = {"sesMessageId": event.message_id}
    elif kind == EmailEventType.DELIVERY and event.delivery is not None:
        d = event.delivery
        meta = {
            "recipients": d.recipients,
            "smtpResponse": d.smtpResponse,
            "processingTimeMillis": d.processingTimeMillis,
            "reportingMTA": d.reportingMTA,
        }
    elif kind == EmailEventType.BOUNCE and event.bounce is not None:
        b = event.bounce
        meta = {
            "bounceType": b.bounceType,
            "bounceSubType": b.bounceSubType,
            "feedbackId": b.feedbackId,
            "recipients": [
                {
                    "emailAddress": r.emailAddress,
                    "action": r.action,
                    "status": r.status,
                    "diagnosticCode": r.diagnosticCode,
                }
                for r in b.bouncedRecipients
            ],
        }
    elif kind == EmailEventType.COMPLAINT and event.complaint is not None:
        c = event.complaint
        meta = {
            "complaintFeedbackType": c.complaintFeedbackType,
            "feedbackId": c.feedbackId,
            "userAgent": c.userAgent,
            "recipients": [r.emailAddress for r in c.complainedRecipients],
        }
    elif kind == EmailEventType.OPEN:
        o = event.open
        meta = {"ipAddress": o.ipAddress, "userAgent": o.userAgent} if o else {}
    elif kind == EmailEventType.CLICK:
        k = event.click
        meta = {"ipAddress": k.ipAddress, "userAgent": k.userAgent, "link": k.link} if k else {}
    elif kind == EmailEventType.REJECT:
        meta = {"reason": event.reject.reason if event.reject else None}
    elif kind == EmailEventType.RENDERING_FAILURE:
        f = event.failure
        meta = {
            "templateName": f.templateName if f else None,
            "errorMessage": f.errorMessage if f else None,
        }
    elif kind == EmailEventType.DELIVERY_DELAY and event.deliveryDelay is not None:
        dd = event.deliveryDelay
        meta = {
            "delayType": dd.delayType,
            "expirationTime": dd.expirationTime,
            "recipients": [
                {
                    "emailAddress": r.emailAddress,
                    "status": r.status,
                    "diagnosticCode": r.diagnosticCode,
                }
                for r in dd.delayedRecipients
            ],
        }
    elif kind == EmailEventType.SUBSCRIPTION and event.subscription is not None:
        s = event.subscription
        meta = {"contactList": s.contactList, "source": s.source}
    return meta


def event_entry(parsed: Parsed, at: datetime, recipients: list[str]) -> dict[str, Any]:
    """The stored entry: one of the guide's six types, SES's type in the metadata, and
    `notRecipient` when a bounce/complaint names addresses the message never went to."""
    kind = parsed.event.type
    metadata = {"sesEventType": SES_EVENT_NAMES[kind], **event_metadata(parsed.event)}
    strangers = not_recipients(parsed.event, recipients)
    if strangers:
        metadata["notRecipient"] = strangers
    return {
        "type": stored_type(kind).value,
        "timestamp": at,
        "metadata": metadata,
        "eventId": parsed.event_id,
    }


def _log_recipients(doc: dict[str, Any]) -> list[str]:
    return [*(doc.get("to") or []), *(doc.get("cc") or []), *(doc.get("bcc") or [])]


# --- applying --------------------------------------------------------------------


# A log has one send event (the console's own, or SES's Send): a `send` entry that
# notes a Reject, a delay, ... (metadata.sesEventType) is not it.
_THE_SEND = {"type": "send", "metadata.sesEventType": {"$nin": list(SEND_NOTE_NAMES)}}


def _is_the_send(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    return event_kind(entry.get("type"), entry.get("metadata")) == EmailEventType.SEND


def _already(parsed: Parsed) -> dict[str, Any]:
    if parsed.event.type == EmailEventType.SEND:
        return {
            "$or": [{"events.eventId": {"$in": parsed.ids}}, {"events": {"$elemMatch": _THE_SEND}}]
        }
    return {"events.eventId": {"$in": parsed.ids}}


_LOG_FIELDS = {"status": 1, "recipientStatus": 1, "to": 1, "cc": 1, "bcc": 1, REV_FIELD: 1}
# the batch read also takes the ids and types of the events already there (dedup)
_BATCH_FIELDS = {
    **_LOG_FIELDS,
    "messageId": 1,
    "events.eventId": 1,
    "events.type": 1,
    "events.metadata.sesEventType": 1,
}


def _write(
    store: Store, doc: dict[str, Any], items: list[tuple[Parsed, datetime]]
) -> EmailStatus | None:
    """One compare-and-set write of `items` (events not yet in the log) to the log
    `doc` as read. The derived status, or None when the log changed since the read
    (or one of the events got there first)."""
    status = str(doc.get("status") or EmailStatus.QUEUED.value)
    recipients = _log_recipients(doc)
    strangers = {
        parsed.event_id: {bare_address(a) for a in not_recipients(parsed.event, recipients)}
        for parsed, _ in items
    }
    changes = [
        c
        for parsed, at in items
        for c in _recipient_changes(parsed.event, at)
        if bare_address(c.email) not in strangers[parsed.event_id]
    ]
    rows, derived = merge_recipients(
        list(doc.get("recipientStatus") or []), status, recipients, changes
    )
    rev = doc.get(REV_FIELD)
    query: dict[str, Any] = {
        "_id": doc["_id"],
        REV_FIELD: rev,
        "status": doc.get("status"),
        "events.eventId": {"$nin": [i for parsed, _ in items for i in parsed.ids]},
    }
    if any(parsed.event.type == EmailEventType.SEND for parsed, _ in items):
        query["events"] = {"$not": {"$elemMatch": _THE_SEND}}
    update: dict[str, Any] = {
        "$push": {
            "events": {
                "$each": [event_entry(parsed, at, recipients) for parsed, at in items],
                "$sort": {"timestamp": 1},
            }
        },
        "$set": {
            "recipientStatus": rows,
            "status": derived.value,
            "updatedAt": utcnow(),
            REV_FIELD: (rev if isinstance(rev, int) else 0) + 1,
        },
    }
    return derived if store.emaillogs.update_one(query, update).matched_count else None


def apply_event(store: Store, parsed: Parsed) -> Result:
    """Apply one parsed event to its log (or keep it as unmatched)."""
    event = parsed.event
    message_id = event.message_id
    at = event.timestamp or utcnow()
    logs = store.emaillogs
    for _attempt in range(MAX_ATTEMPTS):
        doc = logs.find_one({"messageId": message_id}, _LOG_FIELDS)
        if doc is None:
            return _keep_unmatched(store, parsed, at)
        flagged = tuple(not_recipients(event, _log_recipients(doc)))
        derived = _write(store, doc, [(parsed, at)])
        if derived is not None:
            return Result(
                Outcome.APPLIED,
                parsed.event_id,
                message_id,
                event.type,
                status=derived,
                not_recipients=flagged,
            )
        if logs.find_one({"_id": doc["_id"], **_already(parsed)}, {"_id": 1}):
            return Result(Outcome.DUPLICATE, parsed.event_id, message_id, event.type)
        # another writer changed the log between our read and write: read again
    raise ConflictError(
        f"The log of {message_id} kept changing while applying event {parsed.event_id}; "
        "the message stays on the queue and will be retried."
    )


def _keep_unmatched(store: Store, parsed: Parsed, at: datetime) -> Result:
    event = parsed.event
    doc = {
        "eventId": parsed.event_id,
        "state": STATE_UNMATCHED,
        "messageId": event.message_id,
        "type": event.type.value,
        "timestamp": at,
        "receivedAt": utcnow(),
        "body": json.dumps(parsed.raw, separators=(",", ":"), default=str),
    }
    result = store.unmatched_events.update_one(
        {"eventId": parsed.event_id}, {"$setOnInsert": doc}, upsert=True
    )
    repeat = None if result.upserted_id is not None else "already kept"
    return Result(
        Outcome.UNMATCHED,
        parsed.event_id,
        event.message_id,
        event.type,
        reason=repeat,
        not_recipients=tuple(not_recipients(event, event.mail.destination)),
    )


def record_set_aside(store: Store, aside: SetAside) -> Result:
    """Keep a body that cannot be applied, with the reason (once per event id)."""
    doc = {
        "eventId": aside.event_id,
        "state": STATE_SET_ASIDE,
        "messageId": aside.message_id,
        "reason": aside.reason,
        "size": aside.size,
        "body": aside.excerpt,
        "truncated": len(aside.excerpt) < aside.size,
        "receivedAt": utcnow(),
    }
    store.unmatched_events.update_one(
        {"eventId": aside.event_id}, {"$setOnInsert": doc}, upsert=True
    )
    return Result(Outcome.SET_ASIDE, aside.event_id, aside.message_id, reason=aside.reason)


def process_body(store: Store, body: Body) -> Result:
    """Parse, suppress and apply one body: what the consumer does for each message.
    Raises only when the store fails (the message must then stay on the queue)."""
    outcome = process_bodies(store, [body])[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def process_bodies(store: Store, bodies: list[Body]) -> list[Result | Exception]:
    """Process a batch (the consumer's 10 messages) in few round trips: one read for all
    the batch's logs and one compare-and-set write per log. Returns, per body, its
    Result or the exception that stopped it (that message must stay on the queue).
    Every body is parsed (a bad one is set aside, never raised), so one bad body never
    holds back the others; after a store outage the rest of the batch is not tried."""
    results: list[Result | Exception | None] = [None] * len(bodies)
    outage: Exception | None = None

    def failed(indexes: Iterable[int], exc: Exception) -> None:
        nonlocal outage
        for i in indexes:
            results[i] = exc
        if is_store_outage(exc):
            outage = exc

    items = [parse_body(body) for body in bodies]
    ready: dict[int, Parsed] = {}
    for i, item in enumerate(items):
        if outage is not None:
            results[i] = outage
        elif isinstance(item, SetAside):
            try:
                results[i] = record_set_aside(store, item)
            except Exception as exc:
                failed([i], exc)
        else:
            ready[i] = item
    groups: dict[str, list[int]] = {}
    for i, parsed in ready.items():
        groups.setdefault(parsed.event.message_id, []).append(i)
    docs: dict[str, dict[str, Any]] = {}
    if groups and outage is None:
        try:
            for doc in store.emaillogs.find({"messageId": {"$in": sorted(groups)}}, _BATCH_FIELDS):
                docs[str(doc["messageId"])] = doc
        except Exception as exc:
            failed(ready, exc)
    # Suppression first and on every delivery (idempotent): if a previous attempt applied
    # the event but failed before suppressing, the redelivery still suppresses. Only the
    # message's recipients can be suppressed: the log's, else the event's destination.
    suppressed: dict[int, tuple[str, ...]] = {}
    for mid, indexes in groups.items():
        log_doc = docs.get(mid)
        for i in indexes:
            if outage is not None:
                results[i] = outage
                continue
            event = ready[i].event
            recipients = _log_recipients(log_doc) if log_doc else event.mail.destination
            try:
                suppressed[i] = tuple(suppress_from_event(store, event, recipients))
            except Exception as exc:
                failed([i], exc)
    for mid, indexes in groups.items():
        todo = [i for i in indexes if i in suppressed]
        if outage is not None:
            failed(todo, outage)
            continue
        try:
            applied = _apply_group(store, docs.get(mid), [ready[i] for i in todo])
        except Exception as exc:
            failed(todo, exc)
            continue
        for i, result in zip(todo, applied, strict=True):
            results[i] = replace(result, suppressed=suppressed[i])
    return [r if r is not None else RuntimeError("not processed") for r in results]


def _apply_group(store: Store, doc: dict[str, Any] | None, items: list[Parsed]) -> list[Result]:
    """Events of one message, with its log as read by the batch (None: no log)."""
    if doc is None:
        return [apply_event(store, p) for p in items]  # kept unmatched (or just appeared)
    present = {e.get("eventId") for e in doc.get("events") or [] if isinstance(e, dict)}
    has_send = any(_is_the_send(e) for e in doc.get("events") or [])
    recipients = _log_recipients(doc)
    results: list[Result | None] = [None] * len(items)
    fresh: list[tuple[int, Parsed, datetime]] = []
    for k, p in enumerate(items):
        is_send = p.event.type == EmailEventType.SEND
        if present.intersection(p.ids) or (is_send and has_send):
            results[k] = Result(Outcome.DUPLICATE, p.event_id, p.event.message_id, p.event.type)
            continue
        present.update(p.ids)
        has_send = has_send or is_send
        fresh.append((k, p, p.event.timestamp or utcnow()))
    if fresh:
        derived = _write(store, doc, [(p, at) for _, p, at in fresh])
        for k, p, _at in fresh:
            results[k] = (
                Result(
                    Outcome.APPLIED,
                    p.event_id,
                    p.event.message_id,
                    p.event.type,
                    status=derived,
                    not_recipients=tuple(not_recipients(p.event, recipients)),
                )
                if derived is not None
                else apply_event(store, p)  # the log changed since the batch read
            )
    return [r for r in results if r is not None]


# --- unmatched events, matched later ---------------------------------------------


@dataclass
class RematchReport:
    applied: int = 0
    duplicates: int = 0
    still_unmatched: int = 0
    message_ids: list[str] = field(default_factory=list)


def rematch_unmatched(
    store: Store, message_ids: list[str] | None = None, limit: int = 1000
) -> RematchReport:
    """Apply kept events whose log now exists (the `limit` newest kept); remove them
    from the unmatched list."""
    report = RematchReport()
    query: dict[str, Any] = {"state": STATE_UNMATCHED}
    if message_ids is not None:
        query["messageId"] = {"$in": message_ids}
    # newest first, and a bounded read: old orphans (which expire, see core.db) never
    # keep newer events from being matched
    pending = list(
        store.unmatched_events.find(query, {"eventId": 1, "messageId": 1, "body": 1})
        .sort("receivedAt", -1)
        .limit(limit)
    )
    if not pending:
        return report
    wanted = sorted({str(p.get("messageId")) for p in pending})
    known = {
        d["messageId"]
        for d in store.emaillogs.find({"messageId": {"$in": wanted}}, {"messageId": 1})
    }
    for kept in pending:
        if kept.get("messageId") not in known:
            report.still_unmatched += 1
            continue
        parsed = parse_body(str(kept.get("body", "")), event_id=str(kept["eventId"]))
        if isinstance(parsed, SetAside):  # stored bodies were valid; keep it for a person
            report.still_unmatched += 1
            continue
        result = apply_event(store, parsed)
        if result.outcome in (Outcome.APPLIED, Outcome.DUPLICATE):
            store.unmatched_events.delete_one({"_id": kept["_id"]})
            if result.outcome == Outcome.APPLIED:
                report.applied += 1
                report.message_ids.append(parsed.event.message_id)
            else:
                report.duplicates += 1
        else:
            report.still_unmatched += 1
    return report
