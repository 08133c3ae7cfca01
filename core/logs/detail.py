"""One message in full: resolved by its log _id or its SES MessageId, with per-recipient
status, the event timeline, the body as readable text and the attachment names.

Bodies (and template data) of `auth` emails hold secrets (password-reset and login
links), and so do the links SES Click events report for them: they are never shown or
exported, whatever the front end (`redact`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from bson import ObjectId

from core.db import Store
from core.errors import InputError, NotFoundError
from core.models import EmailEvent, EmailLog, read_stored
from core.vocabulary import EmailCategory

REDACTED = "[redacted: bodies of auth emails hold secrets and are never shown]"
REDACTED_LINK = "[redacted: links in auth emails hold secrets]"
# Event metadata naming the clicked link (SES Click: `link`, `linkTags`).
LINK_KEYS = {"link", "linkTags"}
MAX_ID_LENGTH = 200


def is_secret(doc: dict[str, Any]) -> bool:
    return str(doc.get("category")) == EmailCategory.AUTH.value


def redact_link(link: object) -> str:
    """A clicked link of an auth email: its site stays (which page was used), the path
    and query, where reset and login tokens live, go."""
    try:
        parts = urlsplit(str(link))
    except ValueError:  # not a URL at all
        return REDACTED_LINK
    host = parts.netloc.rsplit("@", 1)[-1]  # never a user:password@ either
    site = f"{parts.scheme}://{host}" if parts.scheme and host else ""
    return f"{site}/{REDACTED_LINK}" if site else REDACTED_LINK


def _redact_event(event: Any) -> Any:
    if not isinstance(event, dict) or not isinstance(event.get("metadata"), dict):
        return event
    meta = dict(event["metadata"])
    for key in LINK_KEYS & meta.keys():
        meta[key] = redact_link(meta[key]) if key == "link" else REDACTED_LINK
    return {**event, "metadata": meta}


def redact(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stored log that is safe to show or export: an auth email's body,
    template data and clicked links (SES Click events carry the token) are hidden."""
    if not is_secret(doc):
        return doc
    safe = dict(doc)
    if "content" in safe:
        safe["content"] = {"text": REDACTED}
    if "templateData" in safe:
        safe["templateData"] = {"redacted": True}
    if isinstance(safe.get("events"), list):
        safe["events"] = [_redact_event(e) for e in safe["events"]]
    return safe


# --- HTML to text -------------------------------------------------------------

_BLOCK = {
    "p", "div", "br", "tr", "table", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer",
}  # fmt: skip
_SKIP = {"script", "style", "head", "title"}


class _TextRenderer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._links: list[str | None] = []
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag == "li":
            self.parts.append("\n  • ")
        elif tag == "pre":
            self._pre += 1
            self.parts.append("\n")
        elif tag in _BLOCK:
            self.parts.append("\n")
        if tag == "a":
            self._links.append(dict(attrs).get("href"))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "a" and self._links:
            href = self._links.pop()
            if href and not href.startswith(("#", "mailto:")):
                self.parts.append(f" <{href}>")
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
            self.parts.append("\n")
        elif tag in _BLOCK and tag != "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.parts.append(data if self._pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Readable text from an HTML body: paragraphs, list bullets, link targets."""
    renderer = _TextRenderer()
    renderer.feed(html)
    renderer.close()
    text = "".join(renderer.parts)
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def body_text(doc: dict[str, Any]) -> str:
    """The body to show: text part, else HTML rendered; auth bodies redacted."""
    if is_secret(doc):
        return REDACTED
    content = doc.get("content") or {}
    if content.get("text"):
        return str(content["text"])
    if content.get("html"):
        return html_to_text(str(content["html"]))
    if doc.get("templateId"):
        return f"(template {doc['templateId']}; body rendered by SES)"
    return "(no body recorded)"


# --- resolution ---------------------------------------------------------------


def find_log(store: Store, ident: str) -> dict[str, Any]:
    """The stored log by its _id (24 hex digits) or SES MessageId."""
    text = (ident or "").strip()
    if not text:
        raise InputError("Give a log id or an SES MessageId.")
    if len(text) > MAX_ID_LENGTH or any(c.isspace() for c in text):
        raise InputError(
            f"{text[:40]!r} is neither a log id nor an SES MessageId.",
            "Copy the id from `depllc logs` (or the logs screen, key y).",
        )
    doc: dict[str, Any] | None = None
    if ObjectId.is_valid(text):
        doc = store.emaillogs.find_one({"_id": ObjectId(text)})
    if doc is None:
        doc = store.emaillogs.find_one({"messageId": text})
    if doc is None:
        raise NotFoundError(
            f"No email log has the id or SES MessageId {text!r}.",
            "Search for it with `depllc logs --search TEXT`.",
        )
    return doc


# --- detail -------------------------------------------------------------------


@dataclass(frozen=True)
class RecipientRow:
    email: str
    kind: str  # to / cc / bcc
    status: str
    updated_at: datetime | None
    diagnostic: str | None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    type: str
    summary: str
    details: dict[str, str] = field(default_factory=dict)


def _bounce_lines(meta: dict[str, Any]) -> tuple[str, dict[str, str]]:
    kind = f"{meta.get('bounceType', '?')}/{meta.get('bounceSubType', '?')}"
    details = {
        "bounce type": str(meta.get("bounceType", "")),
        "sub-type": str(meta.get("bounceSubType", "")),
    }
    parts = []
    for rec in meta.get("recipients") or []:
        if isinstance(rec, dict):
            addr = rec.get("emailAddress", "?")
            diag = rec.get("diagnosticCode") or rec.get("status") or ""
            parts.append(f"{addr}: {diag}".rstrip(": "))
            if diag:
                details[f"diagnostic {addr}"] = str(diag)
    summary = f"{kind}" + (f" · {'; '.join(parts)}" if parts else "")
    return summary, details


def _summarise(event: EmailEvent) -> TimelineEntry:
    meta: dict[str, Any] = dict(event.metadata or {})
    kind = event.kind.value  # a `send` noting a Reject reads as the reject it is
    details: dict[str, str] = {}
    if kind == "bounce":
        summary, details = _bounce_lines(meta)
    elif kind == "complaint":
        feedback = meta.get("complaintFeedbackType") or "no feedback type"
        who = ", ".join(str(r) for r in meta.get("recipients") or [])
        summary = f"{feedback}" + (f" · {who}" if who else "")
        details = {"feedback type": str(feedback)}
        if meta.get("userAgent"):
            details["user agent"] = str(meta["userAgent"])
    elif kind == "delivery":
        smtp = meta.get("smtpResponse") or ""
        who = ", ".join(str(r) for r in meta.get("recipients") or [])
        summary = " · ".join(p for p in (who, str(smtp)) if p) or "delivered"
        details = {"SMTP response": str(smtp)} if smtp else {}
        if meta.get("processingTimeMillis") is not None:
            details["processing"] = f"{meta['processingTimeMillis']} ms"
        if meta.get("reportingMTA"):
            details["reporting MTA"] = str(meta["reportingMTA"])
    elif kind == "click":
        summary = str(meta.get("link") or "link clicked")
        details = {k: str(meta[k]) for k in ("link", "ipAddress", "userAgent") if meta.get(k)}
    elif kind == "open":
        summary = " · ".join(str(meta[k]) for k in ("ipAddress", "userAgent") if meta.get(k))
        summary = summary or "opened"
        details = {k: str(meta[k]) for k in ("ipAddress", "userAgent") if meta.get(k)}
    elif kind == "send":
        if meta.get("error"):
            summary = f"failed: {meta['error']}"
        else:
            summary = f"accepted by SES {meta.get('sesMessageId', '')}".strip()
    elif kind == "reject":
        summary = f"rejected: {meta.get('reason', '?')}"
    elif kind == "deliveryDelay":
        summary = f"delayed: {meta.get('delayType', '?')}"
        for rec in meta.get("recipients") or []:
            if isinstance(rec, dict) and rec.get("diagnosticCode"):
                details[f"diagnostic {rec.get('emailAddress', '?')}"] = str(rec["diagnosticCode"])
    elif kind == "renderingFailure":
        summary = f"{meta.get('templateName', '?')}: {meta.get('errorMessage', '')}"
    else:
        summary = ", ".join(f"{k}={v}" for k, v in meta.items() if k != "sesEventType") or kind
    return TimelineEntry(at=event.timestamp, type=kind, summary=summary, details=details)


def attachment_names(doc: dict[str, Any]) -> list[str]:
    names = []
    for item in doc.get("attachments") or []:
        if isinstance(item, dict):
            name = item.get("filename") or item.get("fileName") or item.get("name")
            names.append(str(name or item.get("key") or "(unnamed)"))
        else:
            names.append(str(item))
    return names


@dataclass(frozen=True)
class LogDetail:
    log: EmailLog  # redacted for auth emails
    recipients: list[RecipientRow]
    timeline: list[TimelineEntry]
    body: str
    body_redacted: bool
    attachments: list[str]
    opens: int
    clicks: int
    suppressed: frozenset[str]

    @property
    def id(self) -> str:
        return str(self.log.id)

    @property
    def problem(self) -> str | None:
        """What of the stored log the console could not read (shown with a mark)."""
        return self.log.problem


def build_detail(doc: dict[str, Any], suppressed: set[str] | None = None) -> LogDetail:
    safe = redact(doc)
    log = read_stored(EmailLog, safe)  # log.problem: what could not be read, if anything
    by_email = {r.email.lower(): r for r in log.recipientStatus}
    rows: list[RecipientRow] = []
    seen: set[str] = set()
    for kind, addresses in (("to", log.to), ("cc", log.cc or []), ("bcc", log.bcc or [])):
        for address in addresses:
            key = address.lower()
            if key in seen:
                continue
            seen.add(key)
            found = by_email.get(key)
            # No per-recipient row yet (older logs, the web app's): the message's status.
            status = found.status.value if found else log.status.value
            rows.append(
                RecipientRow(
                    email=address,
                    kind=kind,
                    status=status,
                    updated_at=found.updatedAt if found else None,
                    diagnostic=found.diagnostic if found else None,
                )
            )
    timeline = sorted((_summarise(e) for e in log.events), key=lambda t: t.at)
    return LogDetail(
        log=log,
        recipients=rows,
        timeline=timeline,
        body=body_text(doc),
        body_redacted=is_secret(doc),
        attachments=attachment_names(doc),
        opens=sum(1 for e in log.events if e.type.value == "open"),
        clicks=sum(1 for e in log.events if e.type.value == "click"),
        suppressed=frozenset(e.lower() for e in suppressed or set()),
    )


def load_detail(store: Store, ident: str) -> LogDetail:
    """Everything about one message, by log id or SES MessageId."""
    from core import suppressions

    doc = find_log(store, ident)
    addresses = [*doc.get("to", []), *(doc.get("cc") or []), *(doc.get("bcc") or [])]
    suppressed = {s.email for s in suppressions.find(store, addresses)}
    return build_detail(doc, suppressed)
