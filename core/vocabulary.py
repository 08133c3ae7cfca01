"""The CRM's vocabulary: the values its Mongoose schemas allow for a log's status,
category and priority, an event's type, a file's category and status, a suppression's
reason and an operator's role, and how SES's event names map onto them.

Plain enums, no pydantic: the first screen (its query line and filters) needs these
and nothing of the models, so the console draws it before pydantic is imported
(benchmarks/startup.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

# Who may do what (the operators list): `support` sees and shares every client file,
# `admin` also changes anyone's files and the list itself.
Role = Literal["operator", "support", "admin"]
ROLES: tuple[Role, ...] = ("operator", "support", "admin")


class EmailCategory(StrEnum):
    AUTH = "auth"
    NOTIFICATION = "notification"
    MARKETING = "marketing"
    SYSTEM = "system"
    CLIENT_PORTAL = "client-portal"


class EmailStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    COMPLAINT = "complaint"
    FAILED = "failed"


# DESIGN.md: queued < sent < delivered < bounced < complaint; the worst outcome wins.
STATUS_RANK: dict[EmailStatus, int] = {
    EmailStatus.QUEUED: 0,
    EmailStatus.SENT: 1,
    EmailStatus.DELIVERED: 2,
    EmailStatus.BOUNCED: 3,
    EmailStatus.COMPLAINT: 4,
    EmailStatus.FAILED: 5,
}


def worst_status(statuses: list[EmailStatus]) -> EmailStatus:
    """The derived status of a message from its recipients' statuses."""
    return max(statuses, key=STATUS_RANK.__getitem__, default=EmailStatus.QUEUED)


class EmailPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class EmailEventType(StrEnum):
    """What happened to a message. Only the guide's six (the first six) are ever stored
    as `events[].type`: the CRM's Mongoose schema refuses any other value. The other
    four SES event types are stored as a `send` event whose `metadata.sesEventType`
    names them (`stored_type`, `EmailEvent.kind`); the recipients' rows keep the
    precise outcome (`recipientStatus`)."""

    SEND = "send"
    DELIVERY = "delivery"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    OPEN = "open"
    CLICK = "click"
    REJECT = "reject"
    DELIVERY_DELAY = "deliveryDelay"
    RENDERING_FAILURE = "renderingFailure"
    SUBSCRIPTION = "subscription"


# The guide's `events[].type` enum.
LOG_EVENT_TYPES: frozenset[EmailEventType] = frozenset(
    {
        EmailEventType.SEND,
        EmailEventType.DELIVERY,
        EmailEventType.BOUNCE,
        EmailEventType.COMPLAINT,
        EmailEventType.OPEN,
        EmailEventType.CLICK,
    }
)
# SES's own name of each type, kept in the stored event's `metadata.sesEventType`.
SES_EVENT_NAMES: dict[EmailEventType, str] = {
    EmailEventType.SEND: "Send",
    EmailEventType.DELIVERY: "Delivery",
    EmailEventType.BOUNCE: "Bounce",
    EmailEventType.COMPLAINT: "Complaint",
    EmailEventType.OPEN: "Open",
    EmailEventType.CLICK: "Click",
    EmailEventType.REJECT: "Reject",
    EmailEventType.DELIVERY_DELAY: "DeliveryDelay",
    EmailEventType.RENDERING_FAILURE: "Rendering Failure",
    EmailEventType.SUBSCRIPTION: "Subscription",
}
_KIND_BY_SES_NAME = {name: kind for kind, name in SES_EVENT_NAMES.items()}
# Stored as `send` + metadata.sesEventType: SES's notes about a send that are none of
# the CRM's outcomes (a reject or rendering failure is a failed send, as the guide
# records one; a delay and a subscription change do not make it delivered or bounced).
SEND_NOTE_NAMES: tuple[str, ...] = tuple(
    SES_EVENT_NAMES[k] for k in EmailEventType if k not in LOG_EVENT_TYPES
)


def stored_type(kind: EmailEventType) -> EmailEventType:
    """The `events[].type` an event of this kind is stored with (one of the six)."""
    return kind if kind in LOG_EVENT_TYPES else EmailEventType.SEND


def event_kind(type_value: Any, metadata: Any) -> EmailEventType | None:
    """What a stored event says happened: its type, made precise by
    `metadata.sesEventType` (a `send` that is a Reject is a reject). None for a type
    the console does not know."""
    try:
        kind = EmailEventType(str(type_value))
    except ValueError:
        return None
    if kind == EmailEventType.SEND and isinstance(metadata, dict):
        noted = _KIND_BY_SES_NAME.get(str(metadata.get("sesEventType")))
        if noted is not None and noted not in LOG_EVENT_TYPES:
            return noted
    return kind


def stored_event(value: dict[str, Any]) -> dict[str, Any]:
    """A stored event in the guide's form: an event written before the console kept to
    the six types (`reject`, `deliveryDelay`, ...) becomes `send` + sesEventType."""
    raw = value.get("type")
    try:
        kind = EmailEventType(str(raw))
    except ValueError:
        return value
    if kind in LOG_EVENT_TYPES:
        return value
    meta = value.get("metadata")
    return {
        **value,
        "type": EmailEventType.SEND.value,
        "metadata": {
            **(meta if isinstance(meta, dict) else {}),
            "sesEventType": SES_EVENT_NAMES[kind],
        },
    }


class FileCategory(StrEnum):
    EMAIL = "email"
    DOCUMENT = "document"
    AVATAR = "avatar"
    CONTRACT = "contract"
    INVOICE = "invoice"
    BACKUP = "backup"
    GENERAL = "general"


class FileStatus(StrEnum):
    UPLOADING = "uploading"
    COMPLETED = "completed"
    FAILED = "failed"
    DELETED = "deleted"


class SuppressionReason(StrEnum):
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    MANUAL = "manual"
