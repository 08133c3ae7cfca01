"""The send lifecycle (DESIGN.md): validate -> refuse suppressed recipients -> insert
each message's log `queued` -> SES -> update *that* log's _id to `sent` (MessageId,
cost, send event, recipient rows) or `failed` (the reason). A store failure after SES
accepted a message goes to the local journal; a store failure before refuses the send;
a timeout after the request went out is recorded for a person to check, never re-sent.

Two steps so a front end can confirm: `prepare` (everything that can be refused is
refused here, nothing is written) then `deliver`."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from core.errors import CancelledError, InputError, StoreUnavailableError, describe
from core.mail import attachments as att
from core.mail import pacing
from core.mail.mime import Attachment, Body, as_bytes, body_from, build_message
from core.models import (
    EMAIL_COLLECTION,
    EmailContent,
    EmailEvent,
    EmailLog,
    RecipientStatus,
    utcnow,
)
from core.suppressions import Refusal, refusals
from core.validation import EMAIL_CONSTANTS, SendEmailRequest
from core.vocabulary import EmailEventType, EmailStatus

if TYPE_CHECKING:
    from core.runtime import Runtime

Outcome = Literal["sent", "failed", "unknown"]
UNKNOWN_OUTCOME = (
    "outcome unknown: the request went out and got no clear answer, so SES may have sent "
    "it. Check SES (sending statistics, the recipient) before resending."
)
# A message not sent because the operator (or a signal) stopped the send first.
INTERRUPTED = "interrupted before sending"
_TAG = re.compile(r"^[A-Za-z0-9_\-]{1,256}$")


class SuppressedError(InputError):
    """Some recipients are on the suppression list."""

    def __init__(self, found: list[Refusal]) -> None:
        self.refusals = found
        lines = "; ".join(r.describe() for r in found)
        if all(r.overridable for r in found):
            hint = "A manual suppression may be overridden (--allow-suppressed / confirm)."
        else:
            hint = "Bounces and complaints are never overridden: remove these recipients."
        super().__init__(f"Refused: {lines}.", hint)

    @property
    def overridable(self) -> bool:
        return all(r.overridable for r in self.refusals)


@dataclass
class Part:
    """One SES message (at most 50 recipients) and its log."""

    to: list[str]
    cc: list[str]
    bcc: list[str]
    raw: bytes | None  # the MIME for raw sends; None for a templated send
    size: int
    cost: float
    log: EmailLog

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.bcc]


@dataclass
class Prepared:
    """A checked send, ready for confirmation: nothing has been written yet."""

    request: SendEmailRequest
    sender: str
    subject: str
    body: Body | None
    attachments: list[Attachment]
    parts: list[Part]
    template: str | None = None
    overridden: list[Refusal] = field(default_factory=list)

    @property
    def recipients(self) -> list[str]:
        return [r for p in self.parts for r in p.recipients]

    @property
    def size(self) -> int:
        return max((p.size for p in self.parts), default=0)

    @property
    def cost(self) -> float:
        return round(sum(p.cost for p in self.parts), 8)

    @property
    def mode(self) -> str:
        return "templated" if self.parts and self.parts[0].raw is None else "raw"


@dataclass
class SendOutcome:
    log_id: str
    status: Outcome
    recipients: list[str]
    message_id: str | None = None
    error: str | None = None
    journaled: bool = False


@dataclass
class SendResult:
    outcomes: list[SendOutcome]
    size: int
    cost: float  # of the messages SES accepted
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.status == "sent" for o in self.outcomes)

    @property
    def log_ids(self) -> list[str]:
        return [o.log_id for o in self.outcomes]

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "size": self.size,
            "cost": self.cost,
            "messages": [
                {
                    "logId": o.log_id,
                    "status": o.status,
                    "messageId": o.message_id,
                    "recipients": o.recipients,
                    "error": o.error,
                    "journaled": o.journaled,
                }
                for o in self.outcomes
            ],
            "warnings": self.warnings,
        }


# --- validation ------------------------------------------------------------------


def ses_address(address: str) -> str:
    """The ASCII form SES needs (IDN domain as punycode); a clear error otherwise."""
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InputError(f"{address!r} is not a valid address: {exc}") from None
    if result.ascii_email is None:
        raise InputError(
            f"{address!r} has a non-ASCII local part; SES cannot send to it.",
            "Ask the client for an ASCII address.",
        )
    return str(result.ascii_email)


def check_tags(tags: dict[str, str] | None) -> dict[str, str]:
    for name, value in (tags or {}).items():
        if not _TAG.match(name) or not _TAG.match(value):
            raise InputError(
                f"Tag {name}={value} is not allowed: SES tags use letters, digits, _ and - "
                "(1-256 characters each)."
            )
    return dict(tags or {})


def split(to: list[str], cc: list[str], bcc: list[str]) -> list[tuple[list[str], ...]]:
    """Recipients in messages of at most 50 (SES's limit), keeping each one's field."""
    size = EMAIL_CONSTANTS.SES_MAX_RECIPIENTS_PER_MESSAGE
    tagged = [("to", a) for a in to] + [("cc", a) for a in cc] + [("bcc", a) for a in bcc]
    out: list[tuple[list[str], ...]] = []
    for start in range(0, len(tagged), size):
        chunk = tagged[start : start + size]
        out.append(tuple([a for kind, a in chunk if kind == k] for k in ("to", "cc", "bcc")))
    return out


def _dedupe(addresses: list[str], seen: set[str]) -> list[str]:
    out = []
    for a in addresses:
        if a.lower() not in seen:
            seen.add(a.lower())
            out.append(a)
    return out


def check_suppressed(runtime: Runtime, recipients: list[str], allow_manual: bool) -> list[Refusal]:
    """Refuse suppressed recipients; return the manual ones a person overrode."""
    found = refusals(runtime.store, recipients)
    if not found:
        return []
    if allow_manual and all(r.overridable for r in found):
        return found
    raise SuppressedError(found)


# --- prepare ---------------------------------------------------------------------


def prepare(
    runtime: Runtime,
    request: SendEmailRequest,
    *,
    allow_suppressed: bool = False,
    custom: dict[str, Any] | None = None,
    loaded: list[Attachment] | None = None,
) -> Prepared:
    """Check everything that can be refused (addresses, suppressions, template and its
    data, attachments and sizes) and build each message. Writes nothing."""
    from core.mail import templates

    settings = runtime.settings
    sender = ses_address(settings.from_email)
    seen: set[str] = set()
    to = _dedupe([ses_address(a) for a in request.to], seen)
    cc = _dedupe([ses_address(a) for a in request.cc], seen)
    bcc = _dedupe([ses_address(a) for a in request.bcc], seen)
    if not to and not cc and not bcc:
        raise InputError("No recipients.")
    tags = check_tags(request.tags)
    reply = request.replyTo or settings.aws_ses_reply_to
    reply_to = [ses_address(reply)] if reply else []
    overridden = check_suppressed(runtime, [*to, *cc, *bcc], allow_suppressed)
    items = loaded if loaded is not None else att.load(runtime, request.attachments)
    att.check_count(len(items))
    att.check_total(items)

    subject = request.subject
    body: Body | None = None
    template = request.templateId
    raw_mode = True
    template_size = 0
    if template:
        rendered = templates.render(runtime, template, request.templateData or {})
        subject = rendered.subject or subject
        if items:  # SES templates carry no attachments: send SES's rendering as raw MIME
            body = Body(text=rendered.text or "", html=rendered.html)
        else:
            raw_mode = False
            body = Body(text=rendered.text or "", html=rendered.html)
            template_size = rendered.size
    else:
        try:
            body = body_from(
                text=request.textContent, html=request.htmlContent, markdown=request.markdownContent
            )
        except ValueError:
            raise InputError("The message has no body.", "Write text, HTML or Markdown.") from None

    group = uuid.uuid4().hex[:12] if len(to) + len(cc) + len(bcc) > 50 else None
    chunks = split(to, cc, bcc)
    parts: list[Part] = []
    for index, (p_to, p_cc, p_bcc) in enumerate(chunks, start=1):
        raw: bytes | None = None
        if raw_mode:
            assert body is not None
            msg = build_message(
                sender=sender,
                to=p_to,
                cc=p_cc,
                subject=subject,
                body=body,
                attachments=items,
                reply_to=reply_to,
                priority=request.priority,
            )
            raw = as_bytes(msg)
            att.check_message_size(len(raw))
            size = len(raw)
        else:
            size = template_size
        recipients = [*p_to, *p_cc, *p_bcc]
        extra: dict[str, Any] = dict(custom or {})
        if group:
            extra["splitGroup"] = group
            extra["part"] = f"{index}/{len(chunks)}"
        if overridden:
            extra["overrodeSuppression"] = [r.email for r in overridden]
        log = EmailLog(
            messageId=f"queued-{uuid.uuid4().hex}",
            to=p_to,
            cc=p_cc or None,
            bcc=p_bcc or None,
            **{"from": sender},
            replyTo=reply_to or None,
            subject=subject,
            content=EmailContent(
                text=body.text if body else None, html=body.html if body else None
            ),
            category=request.category,
            priority=request.priority,
            clientId=request.clientId,
            templateId=template,
            templateData=request.templateData if template else None,
            size=size,
            tags=tags or None,
            customData=extra or None,
            userId=runtime.crm_user_id,  # the CRM's per-user views; the login is `operator`
            operator=runtime.operator,
            attachments=[att.log_entry(a) for a in items] or None,
            recipientStatus=[
                RecipientStatus(email=r, status=EmailStatus.QUEUED) for r in recipients
            ],
        )
        parts.append(
            Part(
                to=p_to,
                cc=p_cc,
                bcc=p_bcc,
                raw=raw,
                size=size,
                cost=pacing.cost(len(recipients), items),
                log=log,
            )
        )
    return Prepared(
        request=request,
        sender=sender,
        subject=subject,
        body=body,
        attachments=items,
        parts=parts,
        template=template if not raw_mode else None,
        overridden=overridden,
    )


# --- deliver ---------------------------------------------------------------------


def _ses_tags(prepared: Prepared) -> list[dict[str, str]]:
    tags = {"category": prepared.request.category.value}
    tags.update(prepared.request.tags or {})
    return [{"Name": k, "Value": v} for k, v in tags.items()]


def _call_ses(runtime: Runtime, prepared: Prepared, part: Part) -> str:
    config_set = runtime.settings.ses_configuration_set
    if part.raw is None:
        client = pacing.send_client(runtime, "ses")
        params: dict[str, Any] = {
            "Source": prepared.sender,
            "Destination": {
                "ToAddresses": part.to,
                "CcAddresses": part.cc,
                "BccAddresses": part.bcc,
            },
            "Template": prepared.template,
            "TemplateData": json.dumps(prepared.request.templateData or {}),
            "Tags": _ses_tags(prepared),
        }
        if part.log.replyTo:
            params["ReplyToAddresses"] = part.log.replyTo
        if config_set:
            params["ConfigurationSetName"] = config_set
        return str(client.send_templated_email(**params)["MessageId"])
    client = pacing.send_client(runtime, "sesv2")
    v2: dict[str, Any] = {
        "FromEmailAddress": prepared.sender,
        "Content": {"Raw": {"Data": part.raw}},
        "EmailTags": _ses_tags(prepared),
    }
    if part.bcc:  # Bcc recipients are in no header: SES needs them all in Destination
        v2["Destination"] = {
            "ToAddresses": part.to,
            "CcAddresses": part.cc,
            "BccAddresses": part.bcc,
        }
    # (without Bcc, SES takes the recipients from the To/Cc headers)
    if config_set:
        v2["ConfigurationSetName"] = config_set
    return str(client.send_email(**v2)["MessageId"])


def sent_update(log: EmailLog, message_id: str, cost: float) -> dict[str, Any]:
    now = utcnow()
    event = EmailEvent(
        type=EmailEventType.SEND, timestamp=now, metadata={"sesMessageId": message_id}
    )
    rows = [
        {"email": r.email, "status": EmailStatus.SENT.value, "updatedAt": now}
        for r in log.recipientStatus
    ]
    return {
        "$set": {
            "messageId": message_id,
            "status": EmailStatus.SENT.value,
            "cost": cost,
            "updatedAt": now,
            "recipientStatus": rows,
            # set, not pushed: a journal replay must not add a second event (nothing
            # else can have written events before the log had its SES MessageId)
            "events": [{**event.model_dump(exclude_none=True), "type": "send"}],
        },
        "$unset": {"error": ""},
    }


def failed_update(log: EmailLog, reason: str) -> dict[str, Any]:
    """`failed` with the reason: in `error`, on each recipient, and on the send event
    (`metadata.error`, where the CRM's web app records and shows a failed send)."""
    now = utcnow()
    event = {"type": EmailEventType.SEND.value, "timestamp": now, "metadata": {"error": reason}}
    return {
        "$set": {
            "status": EmailStatus.FAILED.value,
            "error": reason,
            "updatedAt": now,
            # set, not pushed (as sent_update): a replay must not add a second event
            "events": [event],
            "recipientStatus": [
                {
                    "email": r.email,
                    "status": EmailStatus.FAILED.value,
                    "updatedAt": now,
                    "diagnostic": reason,
                }
                for r in log.recipientStatus
            ],
        }
    }


def unknown_update(reason: str) -> dict[str, Any]:
    return {
        "$set": {
            "error": f"{UNKNOWN_OUTCOME} ({reason})",
            "customData.outcome": "unknown",
            "updatedAt": utcnow(),
        }
    }


def write_or_journal(runtime: Runtime, log_id: Any, update: dict[str, Any]) -> bool:
    """Apply an update to one log by its _id; on a store failure journal it. Returns
    True when it went to the journal."""
    try:
        result = runtime.store.emaillogs.update_one({"_id": log_id}, update)
        if result.matched_count == 1:
            return False
    except Exception:
        pass
    from core.journal import Journal

    Journal().append(runtime.store.database, EMAIL_COLLECTION, {"_id": log_id}, update)
    return True


def audit_or_journal(runtime: Runtime, action: str, target: str, **details: Any) -> None:
    from core import audit

    try:
        audit.record(runtime.store, runtime.operator, action, target, **details)
    except Exception:
        import socket

        from bson import ObjectId

        from core.journal import Journal
        from core.models import AUDIT_COLLECTION, AuditEntry

        entry = AuditEntry(
            operator=runtime.operator,
            host=socket.gethostname(),
            action=action,
            target=target,
            details=details,
        ).to_mongo()
        Journal().append(
            runtime.store.database,
            AUDIT_COLLECTION,
            {"_id": ObjectId()},
            {"$setOnInsert": entry},
            upsert=True,
        )


def insert_queued(runtime: Runtime, logs: list[EmailLog]) -> None:
    """Insert the logs `queued` (setting their _id); refuse when the store is down:
    nothing is sent without a log."""
    from bson import ObjectId

    now = utcnow()
    for log in logs:
        log.id = ObjectId()
        log.createdAt = log.updatedAt = now  # queued now, not when it was prepared
    try:
        runtime.store.emaillogs.insert_many([log.to_mongo() for log in logs], ordered=True)
    except Exception as exc:
        with contextlib.suppress(Exception):  # undo a partial insert: nothing half-written
            runtime.store.emaillogs.delete_many({"_id": {"$in": [log.id for log in logs]}})
        raise StoreUnavailableError(
            f"Cannot write the email log, so nothing was sent: {describe(exc).text}",
            "Check MongoDB (`depllc doctor`) and retry.",
        ) from exc


def _notify(runtime: Runtime, log: EmailLog, warnings: list[str]) -> None:
    try:
        runtime.notify_sent(log)
    except Exception as exc:  # a hook must never turn a sent message into an error
        warnings.append(f"after-send hook failed: {describe(exc).text}")


def deliver(
    runtime: Runtime,
    prepared: Prepared,
    *,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
    retry: pacing.RetryPolicy | None = None,
) -> SendResult:
    """Write each log `queued`, send each message through SES at the allowed pace, and
    record what happened to each."""
    logs = [p.log for p in prepared.parts]
    insert_queued(runtime, logs)
    pacer = pacing.pacer_for(runtime)
    outcomes: list[SendOutcome] = []
    warnings: list[str] = []
    total = len(prepared.recipients)
    done = 0
    stop_reason: str | None = None
    for part in prepared.parts:
        log = part.log
        log_id = log.id
        outcome = SendOutcome(log_id=str(log_id), status="failed", recipients=part.recipients)
        outcomes.append(outcome)
        if stop_reason is None and cancel is not None and cancel.is_set():
            stop_reason = INTERRUPTED
        if stop_reason is not None:
            outcome.error = stop_reason
            outcome.journaled = write_or_journal(runtime, log_id, failed_update(log, stop_reason))
            continue
        try:
            pacer.acquire(len(part.recipients), cancel)
        except CancelledError:
            stop_reason = outcome.error = INTERRUPTED
            outcome.journaled = write_or_journal(runtime, log_id, failed_update(log, INTERRUPTED))
            continue
        try:
            message_id = pacing.call_with_retries(
                functools.partial(_call_ses, runtime, prepared, part), retry
            )
        except Exception as exc:
            reason = describe(exc).text
            if pacing.outcome_unknown(exc):
                outcome.status = "unknown"
                outcome.error = f"{UNKNOWN_OUTCOME} ({reason})"
                outcome.journaled = write_or_journal(runtime, log_id, unknown_update(reason))
                stop_reason = "not sent: an earlier part's outcome is unknown"
            else:
                outcome.error = reason
                outcome.journaled = write_or_journal(runtime, log_id, failed_update(log, reason))
                stop_reason = f"not sent: an earlier part failed ({reason})"
            audit_or_journal(
                runtime,
                "send",
                str(log_id),
                status=outcome.status,
                recipients=len(part.recipients),
                subject=log.subject,
                error=outcome.error,
            )
            continue
        update = sent_update(log, message_id, part.cost)
        outcome.status = "sent"
        outcome.message_id = message_id
        outcome.journaled = write_or_journal(runtime, log_id, update)
        audit_or_journal(
            runtime,
            "send",
            str(log_id),
            status="sent",
            messageId=message_id,
            recipients=len(part.recipients),
            subject=log.subject,
            cost=part.cost,
            resendOf=(log.customData or {}).get("resendOf"),
        )
        if outcome.journaled:
            warnings.append(
                f"MongoDB was unreachable after SES accepted {message_id}: the log update is "
                "in the local journal (`depllc journal replay`)."
            )
        sent_log = apply_sent(log, message_id, part.cost)
        _notify(runtime, sent_log, warnings)
        done += len(part.recipients)
        if progress is not None:
            progress(done, total)
    # What SES charges: the parts it accepted (a failed or refused part costs nothing).
    sent = [p for p, o in zip(prepared.parts, outcomes, strict=True) if o.status == "sent"]
    charged = round(sum(p.cost for p in sent), 8)
    return SendResult(outcomes=outcomes, size=prepared.size, cost=charged, warnings=warnings)


ABANDONED = "interrupted while SES was answering"


def abandon_delivery(runtime: Runtime, prepared: Prepared) -> list[str]:
    """The process ends while deliver() still waits for SES (a signal, past the grace
    period): parts are sent in order, so the first log still `queued` is the one in
    flight, its outcome unknown (never re-sent blindly); the parts after it were not
    sent (`failed`, interrupted). Returns what each of those logs now says."""
    said: list[str] = []
    ids = [p.log.id for p in prepared.parts if p.log.id is not None]
    if not ids:
        return said  # the logs were never written: nothing was sent
    queued = {
        d["_id"]
        for d in runtime.store.emaillogs.find(
            {"_id": {"$in": ids}, "status": EmailStatus.QUEUED.value}, {"_id": 1}
        )
    }
    in_flight = True
    for part in prepared.parts:
        if part.log.id not in queued:
            continue
        if in_flight:
            write_or_journal(runtime, part.log.id, unknown_update(ABANDONED))
            said.append(f"log {part.log.id}: {UNKNOWN_OUTCOME} ({ABANDONED})")
            in_flight = False
        else:
            write_or_journal(runtime, part.log.id, failed_update(part.log, INTERRUPTED))
            said.append(f"log {part.log.id}: not sent ({INTERRUPTED})")
    return said


def apply_sent(log: EmailLog, message_id: str, cost: float) -> EmailLog:
    """The log as it now stands (without re-reading the store)."""
    now = utcnow()
    return log.model_copy(
        update={
            "messageId": message_id,
            "status": EmailStatus.SENT,
            "cost": cost,
            "updatedAt": now,
            "events": [
                *log.events,
                EmailEvent(
                    type=EmailEventType.SEND, timestamp=now, metadata={"sesMessageId": message_id}
                ),
            ],
            "recipientStatus": [
                RecipientStatus(email=r.email, status=EmailStatus.SENT, updatedAt=now)
                for r in log.recipientStatus
            ],
        }
    )


def send(
    runtime: Runtime,
    request: SendEmailRequest,
    *,
    allow_suppressed: bool = False,
    cancel: threading.Event | None = None,
) -> SendResult:
    """Prepare and deliver in one go (the command line and scripts)."""
    return deliver(
        runtime, prepare(runtime, request, allow_suppressed=allow_suppressed), cancel=cancel
    )
