"""MIME structure: parts, encodings, attachment names with non-ASCII characters, Bcc
never in the headers, the real size."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from core.mail.mime import (
    Attachment,
    as_bytes,
    base64_size,
    body_from,
    build_message,
    html_to_text,
    markdown_to_html,
)
from core.vocabulary import EmailPriority


def _parse(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _build(**kw: object) -> bytes:
    args: dict[str, object] = {
        "sender": "noreply@depllc.example",
        "to": ["client@example.com"],
        "cc": [],
        "subject": "Réunion façade",
        "body": body_from(markdown="# Titre\n\nBonjour **été**"),
        "attachments": [],
    }
    args.update(kw)
    return as_bytes(build_message(**args))  # type: ignore[arg-type]


def test_markdown_becomes_text_and_html_alternatives() -> None:
    msg = _parse(_build())
    assert msg.get_content_type() == "multipart/alternative"
    text, html = list(msg.iter_parts())
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    assert html["Content-Transfer-Encoding"] == "quoted-printable"
    assert "Bonjour **été**" in text.get_content()
    assert "<strong>été</strong>" in html.get_content()
    assert msg["Subject"] == "Réunion façade"
    assert b"=?utf-8?" in _build().split(b"\r\n\r\n", 1)[0]  # encoded-word on the wire


def test_attachments_make_multipart_mixed_with_rfc2231_names() -> None:
    files = [
        Attachment("facture-été №3.pdf", "application/pdf", b"%PDF-1.4 " + bytes(range(256))),
        Attachment("notes.txt", "text/plain", b"plain"),
    ]
    raw = _build(attachments=files)
    head = raw.decode("ascii")  # the wire form is pure ASCII
    assert "filename*=utf-8''facture-%C3%A9t%C3%A9%20%E2%84%963.pdf" in head
    msg = _parse(raw)
    assert msg.get_content_type() == "multipart/mixed"
    parts = list(msg.iter_parts())
    assert parts[0].get_content_type() == "multipart/alternative"
    found = list(msg.iter_attachments())
    assert [a.get_filename() for a in found] == ["facture-été №3.pdf", "notes.txt"]
    assert found[0]["Content-Transfer-Encoding"] == "base64"
    assert found[0].get_content() == files[0].data
    assert found[0].get_content_type() == "application/pdf"


def test_bcc_is_never_in_headers_and_cc_is() -> None:
    raw = _build(to=["a@example.com"], cc=["c@example.com"])
    msg = _parse(raw)
    assert msg["Cc"] == "c@example.com"
    assert "Bcc" not in msg


def test_only_bcc_gets_undisclosed_recipients() -> None:
    msg = _parse(_build(to=[], cc=[]))
    assert msg["To"] == "undisclosed-recipients:;"


def test_plain_text_only_is_a_single_part() -> None:
    msg = _parse(_build(body=body_from(text="just text")))
    assert msg.get_content_type() == "text/plain"
    assert not msg.is_multipart()


def test_html_only_gets_a_derived_text_part() -> None:
    body = body_from(html="<p>Hello <b>there</b></p><ul><li>one</li></ul><script>x()</script>")
    assert body.html is not None
    assert "Hello there" in body.text
    assert "x()" not in body.text
    assert "Hello" in html_to_text("<html><head><title>T</title></head><p>Hello</p></html>")


def test_raw_html_in_markdown_is_escaped() -> None:
    html = markdown_to_html("<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<script>" not in html
    assert "<table>" in html


def test_priority_headers_and_reply_to() -> None:
    msg = _parse(_build(priority=EmailPriority.URGENT, reply_to=["support@depllc.example"]))
    assert msg["X-Priority"].startswith("1")
    assert msg["Importance"] == "high"
    assert msg["Reply-To"] == "support@depllc.example"
    normal = _parse(_build())
    assert "X-Priority" not in normal


def test_lines_are_crlf_and_short() -> None:
    raw = _build(
        body=body_from(text="x" * 5000),
        attachments=[Attachment("a.bin", "application/octet-stream", b"\0" * 5000)],
    )
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_base64_size() -> None:
    assert base64_size(0) == 0
    assert base64_size(1) == 4
    assert base64_size(3) == 4
    assert base64_size(4) == 8
    assert base64_size(30_000_000) == 40_000_000
