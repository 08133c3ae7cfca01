"""Real MIME built with the standard library `email` package: a text part, an HTML
alternative (from Markdown via markdown-it-py, or given), attachments with RFC 2231
names, and the message's real size (raw and as SES counts it, after base64)."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html.parser import HTMLParser
from typing import Any

from core.models import utcnow
from core.vocabulary import EmailPriority

# SES v2 SendEmail (Raw) accepts 40 MB after base64; v1 SendRawEmail only 10 MB.
SES_V2_MAX_MESSAGE_BYTES = 40 * 1024 * 1024

_PRIORITY_HEADERS: dict[EmailPriority, tuple[str, str]] = {
    EmailPriority.URGENT: ("1 (Highest)", "high"),
    EmailPriority.HIGH: ("2 (High)", "high"),
    EmailPriority.NORMAL: ("3 (Normal)", "normal"),
    EmailPriority.LOW: ("5 (Lowest)", "low"),
}


@dataclass(frozen=True)
class Attachment:
    """One attachment's bytes and where they came from (kept in the log)."""

    filename: str
    content_type: str
    data: bytes
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Body:
    """The text part and, when there is one, the HTML alternative."""

    text: str
    html: str | None = None
    markdown: bool = False


def markdown_to_html(source: str) -> str:
    """CommonMark (plus tables and strikethrough) to HTML; raw HTML in the source is
    escaped, not passed through."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    return str(md.render(source))


def html_document(fragment: str, title: str = "") -> str:
    """A complete, small HTML document around a rendered fragment."""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html_lib.escape(title)}</title></head>\n"
        '<body style="font-family: sans-serif; line-height: 1.5;">\n'
        f"{fragment}</body></html>\n"
    )


class _TextExtractor(HTMLParser):
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "title", "head"}:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "title", "head"}:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """A readable plain-text alternative for an HTML-only body."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\n\s*\n\s*\n+", "\n\n", text)
    return text.strip() + "\n"


def body_from(
    *, text: str | None = None, html: str | None = None, markdown: str | None = None
) -> Body:
    """The parts to send for what the operator wrote (Markdown wins, then HTML+text)."""
    if markdown:
        return Body(text=markdown, html=html_document(markdown_to_html(markdown)), markdown=True)
    if html:
        return Body(text=text or html_to_text(html), html=html)
    if text:
        return Body(text=text)
    raise ValueError("a body needs text, HTML or Markdown")


def _address_header(addresses: list[str]) -> str:
    return ", ".join(str(Address(addr_spec=a)) for a in addresses)


def build_message(
    *,
    sender: str,
    to: list[str],
    cc: list[str],
    subject: str,
    body: Body,
    attachments: list[Attachment],
    reply_to: list[str] | None = None,
    priority: EmailPriority = EmailPriority.NORMAL,
    extra_headers: dict[str, str] | None = None,
) -> EmailMessage:
    """The message as sent. Bcc recipients never appear in the headers: they go only in
    the SES Destination."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    if to:
        msg["To"] = _address_header(to)
    if cc:
        msg["Cc"] = _address_header(cc)
    if not to and not cc:
        msg["To"] = "undisclosed-recipients:;"
    if reply_to:
        msg["Reply-To"] = _address_header(reply_to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    x_priority, importance = _PRIORITY_HEADERS[priority]
    if priority != EmailPriority.NORMAL:
        msg["X-Priority"] = x_priority
        msg["Importance"] = importance
    for name, value in (extra_headers or {}).items():
        msg[name] = value
    msg.set_content(body.text, subtype="plain", cte="quoted-printable")
    if body.html is not None:
        msg.add_alternative(body.html, subtype="html", cte="quoted-printable")
    for item in attachments:
        maintype, _, subtype = item.content_type.partition("/")
        msg.add_attachment(
            item.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=item.filename,
        )
    return msg


def as_bytes(msg: EmailMessage) -> bytes:
    """The wire form (CRLF line ends)."""
    return msg.as_bytes(policy=policy.SMTP)


def base64_size(raw_size: int) -> int:
    """How large `raw_size` bytes are once base64-encoded (as the SES API counts them)."""
    return 4 * ((raw_size + 2) // 3)
