"""Turn one SQS message body (or a body saved in a file) into an SES event, or into
a `SetAside` saying why it cannot be applied. Never raises, whatever the body holds.

Accepted: an SNS envelope whose `Message` is a JSON string (what SNS delivers to SQS),
the same envelope with `Message` already decoded (moto), or the SES event itself (raw
message delivery, a dead-letter dump). The event id comes from the SES event alone:
`sha256:` + the SHA-256 of its canonical JSON, so the same event delivered raw and in
an envelope, saved twice or re-indented, is recognised as one. The envelope's
MessageId (the id used before) is kept as an alias so events stored under it are not
applied again.

Everything taken from a body is made storable first: lone surrogates (which BSON
refuses) become U+FFFD, and a body nested deeper than any SES event is set aside
before it is decoded (no RecursionError).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from pydantic import ValidationError

from core.errors import validation_message
from core.events.models import EVENT_TYPES, NOTIFICATION_TYPES, OPTIONAL_DETAILS, SesEvent

log = logging.getLogger(__name__)

# SQS's own limit is 1 MiB (256 KiB before 2025); an SES event with full headers is a
# few KiB. Anything bigger is not an SES event, and is not parsed.
MAX_BODY_BYTES = 1024 * 1024
# How much of a set-aside body is kept for inspection.
MAX_KEPT_CHARS = 16 * 1024
# An SES event nests 5 levels (subscription preferences), 6 in a decoded envelope.
MAX_DEPTH = 32

Body = str | bytes | Mapping[str, Any]

_SURROGATE = re.compile("[\ud800-\udfff]")
# a \uD800-\uDFFF escape in JSON text (a valid pair matches too, and only costs the
# walk that finds nothing to replace)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONG_NUMBER = re.compile(r"\d{19}")  # may not fit BSON's 8-byte integers
# a JSON string (escapes included), and runs of anything that is not a bracket
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = str.maketrans({"[": "+", "{": "+", "]": "-", "}": "-"})


@dataclass(frozen=True)
class Parsed:
    """A valid SES event and the id used to deduplicate it."""

    event_id: str
    event: SesEvent
    raw: dict[str, Any]  # the SES event itself (without the SNS envelope), made storable
    envelope_id: str | None = None  # the SNS MessageId it came with, if any

    @property
    def ids(self) -> list[str]:
        """Every id this event may be stored under (its own, then the envelope's)."""
        if self.envelope_id and self.envelope_id != self.event_id:
            return [self.event_id, self.envelope_id]
        return [self.event_id]


@dataclass(frozen=True)
class SetAside:
    """A body that cannot be applied, and why (one line a person can act on)."""

    event_id: str
    reason: str
    excerpt: str
    size: int
    message_id: str | None = None


class _TooDeep(ValueError):
    pass


def storable_text(value: str) -> str:
    """`value` as valid UTF-8 text: each lone surrogate becomes U+FFFD."""
    return value if value.isascii() else _SURROGATE.sub("\ufffd", value)


def _storable(value: Any) -> Any:
    """A copy of decoded JSON (or a caller's mapping) with every string, keys included,
    made storable. Iterative: raises _TooDeep past MAX_DEPTH instead of recursing."""

    def leaf(item: Any) -> Any:
        if isinstance(item, str):
            return storable_text(item)
        if isinstance(item, int) and not -(2**63) <= item < 2**63:
            return str(item)  # BSON's integers are 8 bytes: a bigger one is kept as text
        return item

    def container(item: Any) -> dict[str, Any] | list[Any] | None:
        if isinstance(item, Mapping):
            return {}
        if isinstance(item, list | tuple):
            return []
        return None

    root = container(value)
    if root is None:
        return leaf(value)
    pending: list[tuple[Any, dict[str, Any] | list[Any], int]] = [(value, root, 1)]
    while pending:
        source, target, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _TooDeep
        pairs = source.items() if isinstance(source, Mapping) else enumerate(source)
        for key, item in pairs:
            copy = container(item)
            if copy is not None:
                pending.append((item, copy, depth + 1))
            else:
                copy = leaf(item)
            if isinstance(target, dict):
                # BSON names are C strings: a NUL in a key is refused on write
                target[storable_text(str(key)).replace("\x00", "\ufffd")] = copy
            else:
                target.append(copy)
    return root


def _nesting(text: str) -> int:
    """How deep the brackets of JSON `text` nest (at most), without decoding it."""
    opening = text.count("[") + text.count("{")
    if opening <= MAX_DEPTH:
        return opening  # cannot nest deeper than it has brackets
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)).translate(_BRACKET_STEP)
    return max(accumulate(1 if step == "+" else -1 for step in brackets), default=0)


def _too_deep() -> str:
    return f"JSON is nested more than {MAX_DEPTH} levels deep: not an SES event"


def body_hash(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_id(event: Mapping[str, Any]) -> str:
    """The id of an event: the hash of its canonical JSON (whatever envelope it came in)."""
    text = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return body_hash(text.encode("utf-8", errors="surrogatepass"))


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
        kept = storable_text(text[:MAX_KEPT_CHARS])

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
            decoded: Any = _decode(text)
        except _TooDeep:
            return aside(_too_deep())
        except ValueError as exc:
            return aside(f"body is not JSON ({exc})")
    else:
        try:
            decoded = _storable(body)
        except _TooDeep:
            shown = storable_text(reprlib.repr(body))
            return SetAside(event_id or body_hash(shown.encode()), _too_deep(), shown, len(shown))
        kept = json.dumps(decoded, default=str)
        size = len(kept.encode())
        fallback_id = event_id or canonical_id(decoded)
    try:
        return _parse_decoded(decoded, kept[:MAX_KEPT_CHARS], size, fallback_id, event_id)
    except Exception as exc:  # a bug here must not stop the queue: set aside, and say so
        log.exception("parsing an SES event body failed")
        reason = f"body could not be read (internal error: {type(exc).__name__})"
        return SetAside(fallback_id, reason, kept[:MAX_KEPT_CHARS], size)


def _decode(text: str) -> Any:
    """JSON `text` decoded and made storable; _TooDeep or ValueError when it cannot be."""
    if _nesting(text) > MAX_DEPTH:
        raise _TooDeep
    decoded = json.loads(text)
    return _storable(decoded) if _may_hold_surrogates(text) else decoded


def _may_hold_surrogates(text: str) -> bool:
    """Whether decoding JSON `text` can give a lone surrogate, a NUL (which a key
    cannot hold in BSON) or an integer too big for BSON; cheap checks first."""
    if "\\u" in text and (_SURROGATE_ESCAPE.search(text) or "\\u0000" in text):
        return True
    if "\x00" in text or _LONG_NUMBER.search(text):
        return True
    return not text.isascii() and _SURROGATE.search(text) is not None


def _parse_decoded(
    decoded: Any, excerpt: str, size: int, fallback_id: str, forced_id: str | None
) -> Parsed | SetAside:
    if not isinstance(decoded, dict):
        kind = type(decoded).__name__
        return SetAside(fallback_id, f"JSON is a {kind}, not an object", excerpt, size)
    event: Any = decoded
    envelope_id: str | None = None
    if _is_sns_envelope(decoded):
        sns_type = decoded.get("Type")
        sns_id = decoded.get("MessageId")
        if isinstance(sns_id, str) and sns_id:
            envelope_id = sns_id
        eid = forced_id or envelope_id or fallback_id
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
                event = _decode(message)
            except _TooDeep:
                return SetAside(eid, f"SNS Message: {_too_deep()}", excerpt, size)
            except ValueError as exc:
                return SetAside(eid, f"SNS Message is not JSON ({exc})", excerpt, size)
        elif isinstance(message, dict):
            event = message  # moto delivers it already decoded
        else:
            return SetAside(eid, "SNS envelope has no Message", excerpt, size)
        if not isinstance(event, dict):
            kind = type(event).__name__
            return SetAside(eid, f"SNS Message is a JSON {kind}, not an object", excerpt, size)
    return _parse_event(event, forced_id or canonical_id(event), excerpt, size, envelope_id)


def _is_sns_envelope(decoded: dict[str, Any]) -> bool:
    return "Message" in decoded and ("TopicArn" in decoded or "Type" in decoded)


def _parse_event(
    event: dict[str, Any], event_id: str, excerpt: str, size: int, envelope_id: str | None
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
        if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
            return aside(f"unknown eventType {event_type!r}")
        name = str(event_type)
    else:
        if notification_type == "AmazonSnsSubscriptionSucceeded":
            return aside("SES test notification (topic subscribed), not about a message")
        if not isinstance(notification_type, str) or notification_type not in NOTIFICATION_TYPES:
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
    return Parsed(event_id=event_id, event=parsed, raw=event, envelope_id=envelope_id)
