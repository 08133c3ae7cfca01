"""Suppression from events (a permanent bounce or a complaint stops further sends to
that address; a transient or undetermined bounce does not), and the person-facing add
and remove used by the TUI and the command line (always with an audit entry)."""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import parseaddr

from core import audit, suppressions
from core.db import Store
from core.errors import InputError
from core.events.models import SesEvent
from core.models import Suppression
from core.vocabulary import EmailEventType, SuppressionReason

# `by` of suppressions added from SES feedback
SES_EVENTS_ACTOR = "ses-events"


def bare_address(value: str) -> str:
    """`Ana <Ana@Client.example>` -> `ana@client.example` (for comparing addresses)."""
    return (parseaddr(value)[1] or value).strip().lower()


def named_addresses(event: SesEvent) -> list[str]:
    """The addresses a bounce or a complaint says are bad (any kind of bounce)."""
    if event.type == EmailEventType.BOUNCE and event.bounce is not None:
        return [r.emailAddress for r in event.bounce.bouncedRecipients]
    if event.type == EmailEventType.COMPLAINT and event.complaint is not None:
        return [r.emailAddress for r in event.complaint.complainedRecipients]
    return []


def not_recipients(event: SesEvent, recipients: Iterable[str]) -> list[str]:
    """Addresses a bounce or complaint names that were not recipients of the message:
    such an event suppresses nobody and changes no recipient's status."""
    allowed = {bare_address(r) for r in recipients}
    return [a for a in named_addresses(event) if bare_address(a) not in allowed]


def suppress_from_event(store: Store, event: SesEvent, recipients: Iterable[str]) -> list[str]:
    """Suppress the addresses this event proves bad, among the message's `recipients`
    (the log's, else the event's `mail.destination`); return those newly suppressed.
    Idempotent: safe to run again when the same event is redelivered."""
    allowed = {bare_address(r) for r in recipients}
    pending: list[tuple[str, SuppressionReason, str | None]] = []
    if event.type == EmailEventType.BOUNCE and event.bounce is not None:
        bounce = event.bounce
        if bounce.bounceType != "Permanent":
            return []
        for rcpt in bounce.bouncedRecipients:
            note = rcpt.diagnosticCode or f"Permanent/{bounce.bounceSubType or 'General'}"
            pending.append((rcpt.emailAddress, SuppressionReason.BOUNCE, note))
    elif event.type == EmailEventType.COMPLAINT and event.complaint is not None:
        complaint = event.complaint
        feedback = complaint.complaintFeedbackType or complaint.complaintSubType
        for who in complaint.complainedRecipients:
            pending.append((who.emailAddress, SuppressionReason.COMPLAINT, feedback))
    added: list[str] = []
    for email, reason, diagnostic in pending:
        if bare_address(email) not in allowed:
            continue  # not sent to them: a forged or misrouted report suppresses nobody
        try:
            created = suppressions.add(
                store,
                email,
                reason,
                by=SES_EVENTS_ACTOR,
                message_id=event.message_id,
                diagnostic=diagnostic,
            )
        except InputError:
            continue  # not an address (SES would not send one); nothing to suppress
        if created:
            added.append(email.strip().lower())
    return added


def add_by_person(
    store: Store,
    email: str,
    operator: str,
    reason: SuppressionReason = SuppressionReason.MANUAL,
    note: str | None = None,
) -> bool:
    """A person suppresses an address; True when it was not suppressed before. Every
    such change is audited (core.suppressions audits only new manual entries)."""
    normalized = email.strip().lower()
    if not normalized or "@" not in normalized or normalized.startswith("@"):
        raise InputError(f"{email!r} is not an email address.", "Give it as name@example.com.")
    created = suppressions.add(store, normalized, reason, by=operator, diagnostic=note)
    if not (created and reason == SuppressionReason.MANUAL):
        audit.record(
            store,
            operator,
            "suppress",
            normalized,
            reason=reason.value,
            created=created,
            note=note,
        )
    return created


def remove_by_person(
    store: Store, email: str, operator: str, note: str | None = None
) -> Suppression:
    """Lift a suppression (core.suppressions.remove writes the audit entry; a
    complaint needs the `note` saying why)."""
    return suppressions.remove(store, email, operator, note)
