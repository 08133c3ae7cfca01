"""Resend: same content and attachments, same or other recipients, a new log linked
to the original."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.errors import InputError, NotFoundError
from core.mail import send as mail
from core.mail.resend import resend
from core.models import EmailLog, FileRecord
from core.runtime import Runtime
from core.vocabulary import EmailStatus
from tests.core.mail.conftest import make_request


def _log(runtime: Runtime, log_id: str) -> EmailLog:
    from bson import ObjectId

    doc = runtime.store.emaillogs.find_one({"_id": ObjectId(log_id)})
    assert doc is not None
    return EmailLog.model_validate(doc)


def test_resend_to_other_recipients_with_the_same_attachments(
    runtime: Runtime, tmp_path: Path, stored_file: Callable[..., FileRecord]
) -> None:
    local = tmp_path / "devis.pdf"
    local.write_bytes(b"%PDF-1.4 quote")
    record = stored_file()
    first = mail.send(
        runtime,
        make_request(
            cc=["cc@example.com"],
            attachments=[{"path": str(local)}, {"fileId": str(record.id)}],
        ),
    )
    original = _log(runtime, first.log_ids[0])
    again = resend(runtime, first.log_ids[0], ["new@example.com"])
    assert again.ok
    new = _log(runtime, again.log_ids[0])
    assert new.customData == {"resendOf": first.log_ids[0]}
    assert new.to == ["new@example.com"] and new.cc is None
    assert new.status == EmailStatus.SENT and new.messageId != original.messageId
    assert new.content == original.content
    assert new.subject == original.subject
    assert [a["checksum"] for a in new.attachments or []] == [
        a["checksum"] for a in original.attachments or []
    ]
    audit = runtime.store.auditlog.find_one({"target": again.log_ids[0]})
    assert audit and audit["details"]["resendOf"] == first.log_ids[0]


def test_resend_to_the_same_recipients(runtime: Runtime) -> None:
    first = mail.send(runtime, make_request(to=["a@example.com"], bcc=["b@example.com"]))
    again = resend(runtime, first.log_ids[0])
    new = _log(runtime, again.log_ids[0])
    assert new.to == ["a@example.com"] and new.bcc == ["b@example.com"]


def test_resend_of_a_templated_message(runtime: Runtime) -> None:
    data = {"name": "Ada", "portal_url": "https://p.example"}
    first = mail.send(
        runtime, make_request(templateId="welcome-client", templateData=data, markdownContent=None)
    )
    again = resend(runtime, first.log_ids[0], ["other@example.com"])
    new = _log(runtime, again.log_ids[0])
    assert new.templateId == "welcome-client" and new.templateData == data
    assert new.subject == "Welcome to DepLLC, Ada"


def test_resend_refuses_a_changed_local_file(runtime: Runtime, tmp_path: Path) -> None:
    local = tmp_path / "devis.pdf"
    local.write_bytes(b"%PDF-1.4 v1")
    first = mail.send(runtime, make_request(attachments=[{"path": str(local)}]))
    local.write_bytes(b"%PDF-1.4 v2 changed")
    with pytest.raises(InputError, match="has changed since the original send"):
        resend(runtime, first.log_ids[0])
    local.unlink()
    with pytest.raises(InputError, match="Attachment not found"):
        resend(runtime, first.log_ids[0])


def test_resend_of_an_unknown_log(runtime: Runtime) -> None:
    with pytest.raises(NotFoundError):
        resend(runtime, "0123456789abcdef01234567")
    with pytest.raises(InputError):
        resend(runtime, "bad-id")


def test_resend_refuses_suppressed_recipients(runtime: Runtime) -> None:
    from core import suppressions
    from core.vocabulary import SuppressionReason

    first = mail.send(runtime, make_request(to=["a@example.com"]))
    suppressions.add(runtime.store, "a@example.com", SuppressionReason.COMPLAINT, by="ses")
    with pytest.raises(mail.SuppressedError):
        resend(runtime, first.log_ids[0])


def test_resend_to_more_recipients_and_the_original_lists_its_resends(
    runtime: Runtime,
) -> None:
    first = mail.send(runtime, make_request(to=["a@example.com"], cc=["c@example.com"]))
    again = resend(runtime, first.log_ids[0], add=["new@example.com", "A@example.com"])
    new = _log(runtime, again.log_ids[0])
    assert new.to == ["a@example.com", "new@example.com"]  # a@ is there already
    assert new.cc == ["c@example.com"]
    once_more = resend(runtime, first.log_ids[0], ["other@example.com"])
    original = _log(runtime, first.log_ids[0])
    assert original.customData == {"resends": [again.log_ids[0], once_more.log_ids[0]]}


def test_resend_of_a_crm_log_with_a_stored_file_by_file_id(
    runtime: Runtime, stored_file: Callable[..., FileRecord]
) -> None:
    """The CRM's web app records an attachment as {fileId, filename}, no `source`; its
    customData may be anything (Mixed): the resend still goes, unlinked there."""
    from bson import ObjectId

    from core.models import utcnow

    record = stored_file()
    oid = ObjectId()
    runtime.store.emaillogs.insert_one(
        {
            "_id": oid,
            "messageId": "crm-uuid-1",
            "to": ["client@example.com"],
            "from": "noreply@depllc.example",
            "subject": "Your contract",
            "content": {"text": "Attached."},
            "category": "client-portal",
            "status": "sent",
            "size": 1234.5,
            "customData": "from the CRM",
            "attachments": [{"fileId": str(record.id), "filename": "contract.pdf"}],
            "createdAt": utcnow(),
            "updatedAt": utcnow(),
        }
    )
    again = resend(runtime, str(oid))
    assert again.ok
    new = _log(runtime, again.log_ids[0])
    assert [a["filename"] for a in new.attachments or []] == [record.originalName]
    assert new.customData == {"resendOf": str(oid)}
    assert runtime.store.emaillogs.find_one({"_id": oid})["customData"] == "from the CRM"


def test_a_crm_log_with_any_client_id_text_is_resent_with_it(runtime: Runtime) -> None:
    from bson import ObjectId

    first = mail.send(runtime, make_request(to=["a@example.com"]))
    crm_id = "client-0042"  # the CRM's schema takes any string
    runtime.store.emaillogs.update_one(
        {"_id": ObjectId(first.log_ids[0])}, {"$set": {"clientId": crm_id}}
    )
    again = resend(runtime, first.log_ids[0])
    assert again.ok and _log(runtime, again.log_ids[0]).clientId == crm_id
