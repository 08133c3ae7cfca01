"""The models round-trip through MongoDB unchanged, and the guide's limits hold."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId
from pydantic import ValidationError

from core.db import Store
from core.errors import describe
from core.models import EmailLog, FileRecord, Suppression
from core.validation import (
    EMAIL_CONSTANTS,
    FILE_CONSTANTS,
    EmailQuery,
    GenerateUploadUrlRequest,
    SendEmailRequest,
    check_file_name,
    safe_file_name,
)
from core.vocabulary import STATUS_RANK, EmailStatus, worst_status

AT = datetime(2026, 11, 2, 9, 30, 15, 123000, tzinfo=UTC)


def _log_doc() -> dict[str, Any]:
    return {
        "messageId": "010001a2-0000-test-000000",
        "to": ["ana@acme-logistics.example"],
        "from": "noreply@depllc.example",
        "subject": "Invoice INV-2024-1141 is due",
        "content": {"text": "Hello", "html": "<p>Hello</p>"},
        "category": "notification",
        "status": "bounced",
        "priority": "high",
        "events": [
            {"type": "send", "timestamp": AT, "metadata": {"sesMessageId": "m"}, "eventId": "e1"},
            {
                "type": "bounce",
                "timestamp": AT,
                "metadata": {
                    "bounceType": "Permanent",
                    "bounceSubType": "General",
                    "recipients": [
                        {
                            "emailAddress": "ana@acme-logistics.example",
                            "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                        }
                    ],
                },
                "eventId": "e2",
            },
        ],
        "userId": "64b7f0c2a1b2c3d4e5f60718",
        "cost": 0.0001,
        "size": 2048,
        "tags": {"type": "invoice"},
        "createdAt": AT,
        "updatedAt": AT,
        "recipientStatus": [
            {
                "email": "ana@acme-logistics.example",
                "status": "bounced",
                "updatedAt": AT,
                "diagnostic": "smtp; 550 5.1.1 user unknown",
            }
        ],
        "attachments": [{"filename": "a.pdf", "contentType": "application/pdf", "size": 10}],
    }


def _file_doc() -> dict[str, Any]:
    return {
        "key": "invoice/64b7f0c2a1b2c3d4e5f60718/1730540000000-0123456789abcdef-a.pdf",
        "fileName": "a.pdf",
        "originalName": "a.pdf",
        "contentType": "application/pdf",
        "size": 1510,
        "category": "invoice",
        "status": "completed",
        "isPublic": False,
        "userId": "64b7f0c2a1b2c3d4e5f60718",
        "metadata": {"uploadedBy": "64b7f0c2a1b2c3d4e5f60718", "checksum": "abc=", "tags": []},
        "s3Info": {"bucket": "b", "region": "us-east-1", "etag": '"e"', "versionId": "v1"},
        "access": {"downloadCount": 2, "lastAccessed": AT},
        "createdAt": AT,
        "updatedAt": AT,
        "sse": "AES256",
    }


def test_email_log_round_trips_through_the_store(store: Store) -> None:
    log = EmailLog.model_validate(_log_doc())
    stored = log.to_mongo()
    assert "_id" not in stored  # unset ids are left to MongoDB
    assert stored["from"] == "noreply@depllc.example" and "from_" not in stored
    assert stored["status"] == "bounced" and type(stored["status"]) is str
    inserted = store.emaillogs.insert_one(stored).inserted_id
    again = EmailLog.model_validate(store.emaillogs.find_one({"_id": inserted}))
    assert again.id == inserted
    assert again.to_mongo() == {**stored, "_id": inserted}
    assert again.events[1].metadata == _log_doc()["events"][1]["metadata"]
    assert again.createdAt == AT and again.createdAt.tzinfo is not None
    assert again.all_recipients == ["ana@acme-logistics.example"]


def test_file_record_round_trips_through_the_store(store: Store) -> None:
    record = FileRecord.model_validate(_file_doc())
    stored = record.to_mongo()
    inserted = store.files.insert_one(stored).inserted_id
    again = FileRecord.model_validate(store.files.find_one({"_id": inserted}))
    assert again.to_mongo() == {**stored, "_id": inserted}
    assert again.s3Info.versionId == "v1" and again.metadata.checksum == "abc="


def test_ids_accept_strings_and_serialise_to_strings_in_json() -> None:
    oid = ObjectId()
    log = EmailLog.model_validate({**_log_doc(), "_id": str(oid)})
    assert log.id == oid
    assert log.model_dump(mode="json", by_alias=True)["_id"] == str(oid)
    with pytest.raises(ValidationError):
        EmailLog.model_validate({**_log_doc(), "_id": "not-an-id"})


def test_naive_datetimes_from_pymongo_become_utc() -> None:
    naive = AT.replace(tzinfo=None)
    log = EmailLog.model_validate({**_log_doc(), "createdAt": naive})
    assert log.createdAt == AT


def test_unknown_enum_values_are_refused() -> None:
    with pytest.raises(ValidationError):
        EmailLog.model_validate({**_log_doc(), "status": "lost"})
    with pytest.raises(ValidationError):
        FileRecord.model_validate({**_file_doc(), "category": "music"})


def test_suppression_round_trip(store: Store) -> None:
    entry = Suppression.model_validate({"email": "x@y.example", "reason": "complaint", "at": AT})
    store.suppressions.insert_one(entry.to_mongo())
    found = store.suppressions.find_one({"email": "x@y.example"})
    assert Suppression.model_validate(found).reason == "complaint"


def test_worst_status_follows_the_design_precedence() -> None:
    order = [
        EmailStatus.QUEUED,
        EmailStatus.SENT,
        EmailStatus.DELIVERED,
        EmailStatus.BOUNCED,
        EmailStatus.COMPLAINT,
    ]
    assert sorted(order, key=STATUS_RANK.__getitem__) == order
    assert worst_status([EmailStatus.DELIVERED, EmailStatus.COMPLAINT]) == EmailStatus.COMPLAINT
    assert worst_status([EmailStatus.DELIVERED, EmailStatus.SENT]) == EmailStatus.DELIVERED
    assert worst_status([]) == EmailStatus.QUEUED


def _send(**overrides: Any) -> dict[str, Any]:
    return {
        "to": "a@b.example",
        "subject": "Hi",
        "textContent": "x",
        "category": "auth",
    } | overrides


def test_send_request_limits() -> None:
    ok = SendEmailRequest.model_validate(_send(to="a@b.example, c@d.example; e@f.example"))
    assert ok.to == ["a@b.example", "c@d.example", "e@f.example"]
    too_long = "x" * (EMAIL_CONSTANTS.SUBJECT_MAX_LENGTH + 1)
    cases = {
        "subject": _send(subject=too_long),
        "empty subject": _send(subject=""),
        "line break": _send(subject="Hi\r\nBcc: everyone@x.example"),
        "bad address": _send(to="not-an-address"),
        "no body": _send(textContent=None),
        "category": _send(category="newsletter"),
        "body size": _send(textContent="x" * (EMAIL_CONSTANTS.CONTENT_MAX_LENGTH + 1)),
        "recipients": _send(
            to=[f"u{i}@b.example" for i in range(EMAIL_CONSTANTS.RECIPIENTS_MAX_COUNT + 1)]
        ),
        "attachments": _send(
            attachments=[
                {"path": f"/tmp/{i}"} for i in range(EMAIL_CONSTANTS.ATTACHMENT_MAX_COUNT + 1)
            ]
        ),
    }
    for name, body in cases.items():
        with pytest.raises(ValidationError) as caught:
            SendEmailRequest.model_validate(body)
        described = describe(caught.value)
        assert described.exit_code == 2, name
        assert "\n" not in described.text, name


def test_query_and_upload_limits() -> None:
    with pytest.raises(ValidationError):
        EmailQuery(limit=1001)
    with pytest.raises(ValidationError, match="end date"):
        EmailQuery(startDate=AT, endDate=AT.replace(day=1))
    with pytest.raises(ValidationError):
        GenerateUploadUrlRequest.model_validate(
            {"fileName": "a.exe", "contentType": "application/x-msdownload", "category": "general"}
        )
    with pytest.raises(ValidationError):
        GenerateUploadUrlRequest.model_validate(
            {
                "fileName": "a.pdf",
                "contentType": "application/pdf",
                "category": "general",
                "maxSizeBytes": FILE_CONSTANTS.MAX_SIZE + 1,
            }
        )


def test_file_names() -> None:
    assert check_file_name("Invoice 2024.pdf") == "Invoice 2024.pdf"
    for bad in ("", "../etc/passwd", "a/b.pdf", "a\\b.pdf", "a\x00.pdf", "x" * 256):
        with pytest.raises(ValueError):
            check_file_name(bad)
    assert safe_file_name("Service agreement – Acme.pdf") == "Service_agreement___Acme.pdf"
    assert safe_file_name("../../.hidden") == "hidden"
