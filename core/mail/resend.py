"""Resend a logged message: the same content and attachments, to the same, other or
more recipients, as a new log linked to the original by `customData.resendOf`; the
original lists its resends in `customData.resends` (log ids, oldest first).

Attachments: the console's own entries (`source: stored|local`), and stored files
referenced by `fileId` alone (`{fileId, filename}`, as the CRM's web app records one).

Two steps for a confirmation (the console's dialog): `prepare_resend` checks everything
and writes nothing, `deliver_resend` sends it; `resend` does both."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.errors import InputError, NotFoundError
from core.mail import attachments as att
from core.mail.mime import Attachment
from core.mail.send import Prepared, SendResult, deliver, prepare
from core.models import EmailLog, read_stored
from core.validation import SendEmailRequest

if TYPE_CHECKING:
    import threading

    from core.runtime import Runtime


def load_log(runtime: Runtime, log_id: str) -> EmailLog:
    from bson import ObjectId

    if not ObjectId.is_valid(log_id):
        raise InputError(f"{log_id!r} is not a log id.")
    doc = runtime.store.emaillogs.find_one({"_id": ObjectId(log_id)})
    if doc is None:
        raise NotFoundError(f"Email log {log_id} not found.")
    log = read_stored(EmailLog, doc)
    if log.problem:
        raise InputError(
            f"Email log {log_id} cannot be read in full ({log.problem}), so it is not resent.",
            "Compose a new message instead.",
        )
    return log


def original_attachments(runtime: Runtime, log: EmailLog) -> list[Attachment]:
    """The attachments as first sent: stored files at the version then sent, local
    files only if they are unchanged (same SHA-256)."""
    items: list[Attachment] = []
    for entry in log.attachments or []:
        if not isinstance(entry, dict):
            raise InputError(f"The log's attachment entry {entry!r} names no file.")
        name = str(entry.get("filename") or entry.get("fileName") or "")
        stored = entry.get("source") == "stored" or (entry.get("fileId") and not entry.get("path"))
        if stored:
            version = entry.get("versionId")
            item = att.read_stored(runtime, str(entry["fileId"]), str(version) if version else None)
        else:
            path = entry.get("path")
            if not path:
                raise InputError(f"The log does not say where attachment {name} came from.")
            item = att.read_local(str(path), name or None)
        recorded = entry.get("checksum")
        if recorded and item.source.get("checksum") != recorded:
            raise InputError(
                f"Attachment {name} has changed since the original send (checksum differs).",
                "Compose a new message with the current file instead.",
            )
        items.append(item)
    return items


def prepare_resend(
    runtime: Runtime,
    log_id: str,
    recipients: list[str] | None = None,
    *,
    add: list[str] | None = None,
    allow_suppressed: bool = False,
) -> Prepared:
    """Check a resend (for a confirmation) without writing anything. `recipients`
    replace the original's (to, cc and bcc); `add` are sent to as well (in To)."""
    log = load_log(runtime, log_id)
    to = list(recipients) if recipients else list(log.to)
    known = {a.lower() for a in [*to, *([] if recipients else [*(log.cc or []), *(log.bcc or [])])]}
    to += [a for a in dict.fromkeys(add or []) if a.lower() not in known]
    if not to:
        raise InputError(
            f"Email log {log_id} has no recipient to resend to.", "Name one with --to."
        )
    fields: dict[str, Any] = {
        "to": to,
        "cc": [] if recipients else (log.cc or []),
        "bcc": [] if recipients else (log.bcc or []),
        "subject": log.subject,
        "category": log.category,
        "priority": log.priority,
        "tags": log.tags,
        "replyTo": log.replyTo[0] if log.replyTo else None,
    }
    if log.templateId:
        fields["templateId"] = log.templateId
        fields["templateData"] = log.templateData or {}
    else:
        fields["textContent"] = log.content.text
        fields["htmlContent"] = log.content.html
    # the client id is the log's as the CRM wrote it (any text): kept, not re-checked
    request = SendEmailRequest.model_validate(fields).model_copy(update={"clientId": log.clientId})
    items = original_attachments(runtime, log)
    return prepare(
        runtime,
        request,
        allow_suppressed=allow_suppressed,
        custom={"resendOf": str(log.id)},
        loaded=items,
    )


def deliver_resend(
    runtime: Runtime, prepared: Prepared, cancel: threading.Event | None = None
) -> SendResult:
    """Send a prepared resend; the original lists the new log(s) in customData.resends
    (when its customData is an object or absent: a CRM may hold anything there).
    `cancel` stops it as it stops `deliver`."""
    result = deliver(runtime, prepared, cancel=cancel)
    original = (prepared.parts[0].log.customData or {}).get("resendOf") if prepared.parts else None
    if original and result.log_ids:
        from bson import ObjectId

        runtime.store.emaillogs.update_one(
            {
                "_id": ObjectId(str(original)),
                "$or": [{"customData": {"$type": "object"}}, {"customData": {"$exists": False}}],
            },
            {"$push": {"customData.resends": {"$each": list(result.log_ids)}}},
        )
    return result


def resend(
    runtime: Runtime,
    log_id: str,
    recipients: list[str] | None = None,
    *,
    add: list[str] | None = None,
    allow_suppressed: bool = False,
) -> SendResult:
    """Send a logged message again; the new log's customData.resendOf is the original."""
    prepared = prepare_resend(
        runtime, log_id, recipients, add=add, allow_suppressed=allow_suppressed
    )
    return deliver_resend(runtime, prepared)
