"""Turn one SQS message body (or a body saved in a file) into an SES event, or into
a `SetAside` saying why it cannot be applied. Never raises on bad input.

Accepted: an SNS envelope whose `Message` is a JSON string (what SNS delivers to SQS),
the same envelope with `Message` already decoded (moto), or the SES event itself (raw
message delivery, a dead-letter dump). The event id is the SNS `MessageId` when there
is an envelope, else `sha256:` + the SHA-256 of the event's canonical JSON, so the same
event saved twice (even re-indented) is recognised as a duplicate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from core.errors import validation_message
from core.events.models import EVENT_TYPES, NOTIFICATION_TYPES, OPTIONAL_DETAILS, SesEvent

# SQS's own limit is 1 MiB (256 KiB before 2025); an SES event with full headers is a
# few KiB. Anything bigger is not an SES event, and is not parsed.
MAX_BODY_BYTES = 1024 * 1024
# How much of a set-aside body is kept for inspection.
MAX_KEPT_CHARS = 16 * 1024

Body = str | bytes | Mapping[str, Any]


@dataclass(frozen=True)
class Parsed:
    """A valid SES event and the id used to deduplicate it."""

    event_id: str
    event: SesEvent
    raw: dict[str, Any]  # the SES event itself (without the SNS envelope)


@dataclass(frozen=True)
class SetAside:
    """A body that cannot be applied, and why (one line a person can act on)."""

    event_id: str
    reason: str
    excerpt: str
    size: int
    message_id: str | None = None


def body_hash(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_id(event: Mapping[str, Any]) -> str:
    """The id of an event that came without an SNS MessageId."""
    text = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return body_hash(text.encode())


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    return f"{size / 1024:.0f} KiB"


def _text(body: Body) -> str | None:
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        return body
    return None


def parse_body(body: Body, event_id: str | None = None) -> Parsed | SetAside:
    """Parse one body. `event_id` overrides the derived id (re-applying a stored event)."""
    text = _text(body)
    if text is not None:
        data = text.encode("utf-8", errors="replace")
        size = len(data)
        fallback_id = event_id or body_hash(data)
        kept = text[:MAX_KEPT_CHARS]

        def aside(reason: str) -> SetAside:
            return SetAside(fallback_id, reason, kept, size)

        if size > MAX_BODY_BYTES:
            return aside(
                f"body is {_human_size(size)}, over the {_human_size(MAX_BODY_BYTES)} limit "
                "for an SES event"
            )
        if not text.strip():
            return aside("body is empty")
        try:
            decoded: Any = json.loads(text)
        except ValueError as exc:
            return aside(f"body is not JSON ({exc})")
    else:
        assert isinstance(body, Mapping)
        decoded = dict(body)
        dumped = json.dumps(decoded, default=str)
        size = len(dumped)
        text = dumped
        fallback_id = event_id or canonical_id(decoded)
    return _parse_decoded(decoded, text, size, fallback_id, event_id)


def _parse_decoded(
    decoded: Any, text: str, size: int, fallback_id: str, forced_id: str | None
) -> Parsed | SetAside:
    excerpt = text[:MAX_KEPT_CHARS]
    if not isinstance(decoded, dict):
        kind = type(decoded).__name__
        return SetAside(fallback_id, f"JSON is a {kind}, not an object", excerpt, size)
    event: Any = decoded
    event_id = forced_id
    if _is_sns_envelope(decoded):
        sns_type = decoded.get("Type")
        sns_id = decoded.get("MessageId")
        if event_id is None and isinstance(sns_id, str) and sns_id:
            event_id = sns_id
        eid = event_id or fallback_id
        if sns_type in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
            return SetAside(
                eid,
                f"SNS {sns_type}, not an SES event (confirm the subscription in the SNS "
                "console or via its SubscribeURL)",
                excerpt,
                size,
            )
        if sns_type not in (None, "Notification"):
            return SetAside(eid, f"unknown SNS message type {sns_type!r}", excerpt, size)
        message = decoded.get("Message")
        if isinstance(message, str):
            if len(message) > MAX_BODY_BYTES:
                return SetAside(
                    eid,
                    f"SNS Message is over the {_human_size(MAX_BODY_BYTES)} limit",
                    excerpt,
                    size,
                )
            try:
                event = json.loads(message)
            except ValueError as exc:
                return SetAside(eid, f"SNS Message is not JSON ({exc})", excerpt, size)
        elif isinstance(message, dict):
            event = message  # moto delivers it already decoded
        else:
            return SetAside(eid, "SNS envelope has no Message", excerpt, size)
        if not isinstance(event, dict):
            kind = type(event).__name__
            return SetAside(eid, f"SNS Message is a JSON {kind}, not an object", excerpt, size)
    if event_id is None:
        event_id = canonical_id(event)
    return _parse_event(event, event_id, excerpt, size)


def _is_sns_envelope(decoded: dict[str, Any]) -> bool:
    return "Message" in decoded and ("TopicArn" in decoded or "Type" in decoded)


def _parse_event(
    event: dict[str, Any], event_id: str, excerpt: str, size: int
) -> Parsed | SetAside:
    mail = event.get("mail")
    message_id = mail.get("messageId") if isinstance(mail, dict) else None
    mid = message_id if isinstance(message_id, str) and message_id.strip() else None

    def aside(reason: str) -> SetAside:
        return SetAside(event_id, reason, excerpt, size, mid)

    event_type = event.get("eventType")
    notification_type = event.get("notificationType")
    if event_type is None and notification_type is None:
        return aside("neither eventType nor notificationType: not an SES event")
    if event_type is not None:
        if event_type not in EVENT_TYPES:
            return aside(f"unknown eventType {event_type!r}")
        name = str(event_type)
    else:
        if notification_type == "AmazonSnsSubscriptionSucceeded":
            return aside("SES test notification (topic subscribed), not about a message")
        if notification_type not in NOTIFICATION_TYPES:
            return aside(f"unknown notificationType {notification_type!r}")
        name = str(notification_type)
    if not isinstance(mail, dict):
        return aside(f"{name} event without a mail object")
    if mid is None:
        return aside(f"{name} event without mail.messageId")
    try:
        parsed = SesEvent.model_validate(event)
    except ValidationError as exc:
        return aside(f"{name} event is malformed: {validation_message(exc)}")
    key = EVENT_TYPES[name][1]
    if key not in OPTIONAL_DETAILS and getattr(parsed, key) is None:
        return aside(f"{name} event without its {key} object")
    return Parsed(event_id=event_id, event=parsed, raw=event)
