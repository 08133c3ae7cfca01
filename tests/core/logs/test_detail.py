"""Message detail: resolution by id or MessageId, recipients, timeline, body, redaction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import suppressions
from core.db import Store
from core.errors import InputError, NotFoundError
from core.logs.detail import (
    REDACTED,
    REDACTED_LINK,
    find_log,
    html_to_text,
    load_detail,
    redact,
)
from core.models import utcnow
from core.vocabulary import SuppressionReason
from tests.core.logs.conftest import T0, MakeLog

BOUNCE = {
    "type": "bounce",
    "timestamp": T0 + timedelta(seconds=5),
    "metadata": {
        "bounceType": "Permanent",
        "bounceSubType": "NoEmail",
        "feedbackId": "f-1",
        "recipients": [
            {
                "emailAddress": "gone@acme.test",
                "action": "failed",
                "status": "5.1.1",
                "diagnosticCode": "smtp; 550 5.1.1 user unknown",
            }
        ],
    },
}


def test_find_by_object_id_and_message_id(store: Store, add_log: MakeLog) -> None:
    doc = add_log()
    assert find_log(store, str(doc["_id"]))["_id"] == doc["_id"]
    assert find_log(store, doc["messageId"])["_id"] == doc["_id"]
    assert find_log(store, f"  {doc['messageId']} ")["_id"] == doc["_id"]


@pytest.mark.parametrize("ident", ["6b0752319fa614ee1310060c", "0100018f-nope", "deadbeef"])
def test_unknown_id_is_not_found(store: Store, add_log: MakeLog, ident: str) -> None:
    add_log()
    with pytest.raises(NotFoundError, match="No email log"):
        find_log(store, ident)


@pytest.mark.parametrize("ident", ["", "   ", "a b", "x" * 500, "line\nbreak"])
def test_malformed_id_is_input_error(store: Store, ident: str) -> None:
    with pytest.raises(InputError):
        find_log(store, ident)


def test_timeline_and_recipients(store: Store, add_log: MakeLog) -> None:
    doc = add_log(
        to=["gone@acme.test", "ok@acme.test"],
        cc=["boss@acme.test"],
        status="complaint",
        recipientStatus=[
            {"email": "gone@acme.test", "status": "bounced", "diagnostic": "550 5.1.1"},
            {"email": "ok@acme.test", "status": "complaint"},
        ],
        events=[
            {
                "type": "complaint",
                "timestamp": T0 + timedelta(seconds=50),
                "metadata": {"complaintFeedbackType": "abuse", "recipients": ["ok@acme.test"]},
            },
            {"type": "send", "timestamp": T0, "metadata": {"sesMessageId": "m-1"}},
            BOUNCE,
            {
                "type": "delivery",
                "timestamp": T0 + timedelta(seconds=3),
                "metadata": {
                    "recipients": ["ok@acme.test"],
                    "smtpResponse": "250 2.0.0 OK",
                    "processingTimeMillis": 812,
                },
            },
            {
                "type": "open",
                "timestamp": T0 + timedelta(seconds=20),
                "metadata": {"ipAddress": "192.0.2.1", "userAgent": "Mail"},
            },
            {
                "type": "click",
                "timestamp": T0 + timedelta(seconds=30),
                "metadata": {"link": "https://depllc.example/i/1", "ipAddress": "192.0.2.1"},
            },
        ],
    )
    suppressions.add(store, "gone@acme.test", SuppressionReason.BOUNCE, by="events")
    detail = load_detail(store, doc["messageId"])
    assert [t.type for t in detail.timeline] == [
        "send", "delivery", "bounce", "open", "click", "complaint",
    ]  # fmt: skip
    bounce = detail.timeline[2]
    assert "Permanent/NoEmail" in bounce.summary
    assert bounce.details["diagnostic gone@acme.test"] == "smtp; 550 5.1.1 user unknown"
    assert detail.timeline[1].details["SMTP response"] == "250 2.0.0 OK"
    assert detail.timeline[5].details["feedback type"] == "abuse"
    assert detail.timeline[4].summary == "https://depllc.example/i/1"
    assert (detail.opens, detail.clicks) == (1, 1)
    rows = {r.email: r for r in detail.recipients}
    assert rows["gone@acme.test"].status == "bounced"
    assert rows["gone@acme.test"].diagnostic == "550 5.1.1"
    assert rows["ok@acme.test"].status == "complaint"
    assert rows["boss@acme.test"].kind == "cc"
    assert rows["boss@acme.test"].status == "complaint"  # no row of its own: the message's
    assert detail.suppressed == {"gone@acme.test"}


def test_body_prefers_text_then_renders_html(store: Store, add_log: MakeLog) -> None:
    html = (
        "<html><head><style>p{color:red}</style><title>x</title></head><body>"
        "<h1>Invoice&nbsp;42</h1><p>Hello <b>Ann</b>,</p>"
        "<ul><li>One</li><li>Two &amp; three</li></ul>"
        '<p>Pay <a href="https://pay.example/42">here</a>.</p><script>alert(1)</script>'
        "</body></html>"
    )
    text_doc = add_log(content={"text": "plain body", "html": html})
    html_doc = add_log(content={"html": html})
    assert load_detail(store, str(text_doc["_id"])).body == "plain body"
    body = load_detail(store, str(html_doc["_id"])).body
    assert "Invoice 42" in body
    assert "Hello Ann," in body
    assert "• One\n• Two & three" in body
    assert "here <https://pay.example/42>" in body
    assert "alert" not in body and "color" not in body


def test_html_to_text_keeps_pre() -> None:
    assert html_to_text("<p>x</p><pre>a  b\nc</pre>") == "x\n\na  b\nc"


def test_auth_bodies_are_never_shown(store: Store, add_log: MakeLog) -> None:
    secret = "https://app.depllc.example/reset?token=SECRET123"
    doc = add_log(
        category="auth",
        content={"text": f"Reset: {secret}", "html": f'<a href="{secret}">reset</a>'},
        templateData={"link": secret},
    )
    detail = load_detail(store, str(doc["_id"]))
    assert detail.body == REDACTED
    assert detail.body_redacted
    dumped = detail.log.model_dump_json()
    assert "SECRET123" not in dumped
    assert "SECRET123" not in str(redact(doc))
    assert redact(doc)["content"] == {"text": REDACTED}
    # other categories are untouched
    other = add_log(content={"text": "fine"})
    assert redact(other) is other


def test_attachment_names(store: Store, add_log: MakeLog) -> None:
    doc = add_log(
        attachments=[{"filename": "facture é.pdf", "size": 3}, {"fileId": "x", "name": "b.png"}]
    )
    assert load_detail(store, doc["messageId"]).attachments == ["facture é.pdf", "b.png"]


def test_ses_notes_stored_as_send_events_read_as_what_they_are(
    store: Store, add_log: MakeLog
) -> None:
    """Reject and DeliveryDelay are stored as `send` events (the CRM's six types) naming
    SES's type; the timeline still says rejected / delayed, and so does a log written
    before the migration (type `reject`)."""
    at = T0 + timedelta(seconds=3)
    doc = add_log(
        status="failed",
        events=[
            {"type": "send", "timestamp": T0, "metadata": {"sesMessageId": "m"}},
            {
                "type": "send",
                "timestamp": at,
                "metadata": {"sesEventType": "DeliveryDelay", "delayType": "MailboxFull"},
            },
            {"type": "reject", "timestamp": at, "metadata": {"reason": "Bad content"}},
        ],
    )
    detail = load_detail(store, str(doc["_id"]))
    assert [(t.type, t.summary) for t in detail.timeline] == [
        ("send", "accepted by SES m"),
        ("deliveryDelay", "delayed: MailboxFull"),
        ("reject", "rejected: Bad content"),
    ]


def test_clicked_links_of_auth_emails_are_redacted_like_their_bodies(
    store: Store, add_log: MakeLog
) -> None:
    link = "https://user:pw@app.depllc.example/reset?token=SECRET456"
    click = {
        "type": "click",
        "timestamp": utcnow(),
        "metadata": {"link": link, "linkTags": {"t": ["SECRET456"]}, "ipAddress": "203.0.113.9"},
    }
    doc = add_log(category="auth", events=[click])
    detail = load_detail(store, str(doc["_id"]))  # what the TUI's detail screen shows
    (entry,) = detail.timeline
    shown = f"https://app.depllc.example/{REDACTED_LINK}"
    assert entry.summary == shown and entry.details["link"] == shown
    assert entry.details["ipAddress"] == "203.0.113.9"
    assert "SECRET456" not in detail.log.model_dump_json() and "pw@" not in str(redact(doc))
    assert doc["events"][0]["metadata"]["link"] == link  # the stored log is not changed

    plain = add_log(category="marketing", events=[click])
    (kept,) = load_detail(store, str(plain["_id"])).timeline
    assert kept.summary == link  # other categories' links are shown as they are
