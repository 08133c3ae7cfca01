"""The send lifecycle over moto (SES v1 and v2) and the test store: every bad-input
case of the issue, the log by its own _id, the journal, suppressions, splitting."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import NoCredentialsError, ReadTimeoutError
from pydantic import ValidationError

from core import suppressions
from core.errors import InputError, NotFoundError, StoreUnavailableError, describe
from core.journal import Journal
from core.mail import send as mail
from core.models import EmailLog, FileRecord
from core.runtime import Runtime
from core.vocabulary import EmailStatus, SuppressionReason
from tests.core.mail.conftest import FAST_RETRY, client_error, make_request, ses_sent


def _send(runtime: Runtime, **fields: Any) -> mail.SendResult:
    prepared = mail.prepare(runtime, make_request(**fields))
    return mail.deliver(runtime, prepared, retry=FAST_RETRY)


def _log(runtime: Runtime, log_id: str) -> EmailLog:
    from bson import ObjectId

    doc = runtime.store.emaillogs.find_one({"_id": ObjectId(log_id)})
    assert doc is not None
    return EmailLog.model_validate(doc)


# --- the happy path --------------------------------------------------------------


def test_markdown_send_with_local_and_stored_attachments(
    runtime: Runtime, tmp_path: Path, stored_file: Callable[..., FileRecord]
) -> None:
    hooked: list[EmailLog] = []
    runtime.sent_hooks.append(hooked.append)
    local = tmp_path / "relevé €.pdf"
    local.write_bytes(b"%PDF-1.4 statement")
    record = stored_file()
    prepared = mail.prepare(
        runtime,
        make_request(
            to=["client@example.com"],
            cc=["boss@example.com"],
            bcc=["archive@example.com"],
            tags={"campaign": "q3-invoices"},
            clientId="683d063fe345c182ead5c042",
            attachments=[{"path": str(local)}, {"fileId": str(record.id)}],
        ),
    )
    raw = prepared.parts[0].raw
    assert raw is not None
    result = mail.deliver(runtime, prepared)
    assert result.ok
    (outcome,) = result.outcomes
    log = _log(runtime, outcome.log_id)
    assert log.status == EmailStatus.SENT
    assert log.messageId == outcome.message_id
    assert not log.messageId.startswith("queued-")
    assert log.size == len(raw)  # the real MIME size, not a JSON length
    assert log.cost == pytest.approx(3 * 0.0001 + (18 + 24) / 1024**3 * 0.12, abs=1e-8)
    assert [e.type.value for e in log.events] == ["send"]
    assert log.events[0].metadata == {"sesMessageId": outcome.message_id}
    assert {r.email: r.status for r in log.recipientStatus} == {
        "client@example.com": EmailStatus.SENT,
        "boss@example.com": EmailStatus.SENT,
        "archive@example.com": EmailStatus.SENT,
    }
    assert log.bcc == ["archive@example.com"]
    assert log.operator == "tester"
    assert log.clientId == "683d063fe345c182ead5c042"
    assert [a["filename"] for a in log.attachments or []] == ["relevé €.pdf", "contrat signé.pdf"]
    assert log.attachments and log.attachments[1]["fileId"] == str(record.id)
    msg = message_from_bytes(raw, policy=policy.default)
    assert "Bcc" not in msg and b"archive@example.com" not in raw
    assert [a.get_filename() for a in msg.iter_attachments()] == [  # type: ignore[attr-defined]
        "relevé €.pdf",
        "contrat signé.pdf",
    ]
    audit = list(runtime.store.auditlog.find({"action": "send"}))
    assert len(audit) == 1 and audit[0]["target"] == outcome.log_id
    assert audit[0]["details"]["messageId"] == outcome.message_id
    assert [h.messageId for h in hooked] == [outcome.message_id]
    assert hooked[0].status == EmailStatus.SENT
    assert ses_sent(runtime) == 1


def test_failure_updates_its_own_log_not_the_newest_queued(
    runtime: Runtime, flaky_ses: Callable[..., Any]
) -> None:
    """The guide updates 'the newest queued log of this user': wrong under concurrency."""
    other = mail.prepare(runtime, make_request(subject="someone else's, in flight"))
    flaky_ses(
        "sesv2", "send_email", [client_error("MessageRejected", "Email address is not verified.")]
    )
    mine = mail.prepare(runtime, make_request(subject="mine"))
    mail.insert_queued(runtime, [other.parts[0].log])  # a newer queued log of the same user
    result = mail.deliver(runtime, mine, retry=FAST_RETRY)
    assert result.outcomes[0].status == "failed"
    assert _log(runtime, result.outcomes[0].log_id).status == EmailStatus.FAILED
    assert _log(runtime, str(other.parts[0].log.id)).status == EmailStatus.QUEUED


def test_templated_send_uses_v1_and_records_the_rendering(runtime: Runtime) -> None:
    data = {"name": "Ada", "invoice": "INV-7", "amount": "$120", "due": "1 Dec"}
    result = _send(runtime, templateId="invoice-reminder", templateData=data, markdownContent=None)
    assert result.ok
    log = _log(runtime, result.outcomes[0].log_id)
    assert log.subject == "Invoice INV-7 is due on 1 Dec"
    assert log.templateId == "invoice-reminder"
    assert log.templateData == data
    assert log.content.text and "INV-7" in log.content.text
    assert log.size > 0


def test_template_with_attachment_goes_as_raw_mime(runtime: Runtime, tmp_path: Path) -> None:
    pdf = tmp_path / "INV-7.pdf"
    pdf.write_bytes(b"%PDF-1.4 invoice")
    data = {"name": "Ada", "invoice": "INV-7", "amount": "$120", "due": "1 Dec"}
    prepared = mail.prepare(
        runtime,
        make_request(
            templateId="invoice-reminder",
            templateData=data,
            markdownContent=None,
            attachments=[{"path": str(pdf)}],
        ),
    )
    assert prepared.mode == "raw"
    raw = prepared.parts[0].raw
    assert raw is not None and b"INV-7.pdf" in raw
    result = mail.deliver(runtime, prepared)
    assert result.ok
    assert _log(runtime, result.outcomes[0].log_id).templateId == "invoice-reminder"


def test_more_than_50_recipients_are_split_with_a_log_each(runtime: Runtime) -> None:
    to = [f"client{i}@example.com" for i in range(40)]
    cc = [f"cc{i}@example.com" for i in range(20)]
    result = _send(runtime, to=to, cc=cc)
    assert result.ok
    assert len(result.outcomes) == 2
    first, second = (_log(runtime, o.log_id) for o in result.outcomes)
    assert len(first.all_recipients) == 50 and len(second.all_recipients) == 10
    assert first.to == to and first.cc == cc[:10]
    assert second.to == [] and second.cc == cc[10:]
    assert first.messageId != second.messageId
    assert first.customData and second.customData
    assert first.customData["splitGroup"] == second.customData["splitGroup"]
    assert (first.customData["part"], second.customData["part"]) == ("1/2", "2/2")
    assert ses_sent(runtime) == 2


def test_duplicate_recipients_are_sent_once(runtime: Runtime) -> None:
    prepared = mail.prepare(
        runtime, make_request(to=["a@example.com", "A@example.com"], cc=["a@example.com"])
    )
    assert prepared.recipients == ["a@example.com"]


# --- bad input: refused before anything is written ------------------------------


def _nothing_written(runtime: Runtime) -> None:
    assert runtime.store.emaillogs.count_documents({}) == 0
    assert ses_sent(runtime) == 0


@pytest.mark.parametrize(
    "address",
    ["not-an-address", "a@b", "two@@example.com", "a@xn--zz.com", "a@-bad-.example.com"],
)
def test_invalid_or_idn_invalid_addresses_are_refused(runtime: Runtime, address: str) -> None:
    with pytest.raises(ValidationError) as info:
        make_request(to=[address])
    assert "not a valid address" in describe(info.value).text
    assert describe(info.value).exit_code == 2
    _nothing_written(runtime)


def test_idn_domain_is_sent_as_punycode(runtime: Runtime) -> None:
    result = _send(runtime, to=["kunde@bücher.example"])
    assert result.ok
    assert _log(runtime, result.outcomes[0].log_id).to == ["kunde@xn--bcher-kva.example"]


def test_non_ascii_local_part_is_refused(runtime: Runtime) -> None:
    with pytest.raises(InputError, match="non-ASCII local part"):
        mail.prepare(runtime, make_request(to=["jürgen@example.com"]))
    _nothing_written(runtime)


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": "Hello\r\nBcc: victim@example.com"},
        {"subject": "line\nbreak"},
        {"to": ["a@example.com\r\nBcc: x@example.com"]},
        {"replyTo": "r@example.com\nBcc: x@example.com"},
    ],
)
def test_line_breaks_in_header_fields_are_refused(runtime: Runtime, fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        make_request(**fields)
    text = describe(info.value).text
    assert "line break" in text or "not a valid address" in text
    _nothing_written(runtime)


def test_empty_body_and_no_template_is_refused() -> None:
    with pytest.raises(ValidationError, match="give a body"):
        make_request(markdownContent=None)
    with pytest.raises(ValidationError, match="give a body"):
        make_request(markdownContent="")


def test_subject_limits() -> None:
    with pytest.raises(ValidationError):
        make_request(subject="")
    with pytest.raises(ValidationError):
        make_request(subject="x" * 201)


def test_too_many_recipients_is_refused() -> None:
    with pytest.raises(ValidationError, match="101 recipients; at most 100"):
        make_request(to=[f"c{i}@example.com" for i in range(101)])


def test_missing_attachment_is_refused_before_anything(runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Attachment not found"):
        mail.prepare(runtime, make_request(attachments=[{"path": str(tmp_path / "gone.pdf")}]))
    _nothing_written(runtime)


def test_oversize_message_is_refused_with_how_much(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.mail import attachments

    monkeypatch.setattr(attachments, "SES_V2_MAX_MESSAGE_BYTES", 4096)
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"\x01" * 6000)
    with pytest.raises(InputError) as info:
        mail.prepare(runtime, make_request(attachments=[{"path": str(big)}]))
    assert "after base64" in str(info.value) and "over by" in str(info.value)
    _nothing_written(runtime)


def test_template_not_found(runtime: Runtime) -> None:
    with pytest.raises(NotFoundError, match="'nope' not found"):
        mail.prepare(runtime, make_request(templateId="nope", markdownContent=None))
    _nothing_written(runtime)


def test_template_missing_variables(runtime: Runtime) -> None:
    with pytest.raises(InputError, match="needs data for: invoice, due, amount"):
        mail.prepare(
            runtime,
            make_request(
                templateId="invoice-reminder", templateData={"name": "A"}, markdownContent=None
            ),
        )
    _nothing_written(runtime)


def test_bad_tags_are_refused(runtime: Runtime) -> None:
    with pytest.raises(InputError, match="Tag"):
        mail.prepare(runtime, make_request(tags={"bad tag": "x y"}))


# --- suppressions ----------------------------------------------------------------


def test_a_client_id_that_is_not_the_crms_is_refused() -> None:
    with pytest.raises(InputError, match="'Client Y' is not a client id"):
        make_request(clientId="Client Y")
    assert make_request(clientId=" 683D063FE345C182EAD5C042 ").clientId == (
        "683d063fe345c182ead5c042"
    )


def test_complaint_is_refused_and_never_overridden(runtime: Runtime) -> None:
    suppressions.add(runtime.store, "angry@example.com", SuppressionReason.COMPLAINT, by="ses")
    for allow in (False, True):
        with pytest.raises(mail.SuppressedError) as info:
            mail.prepare(
                runtime,
                make_request(to=["ok@example.com", "angry@example.com"]),
                allow_suppressed=allow,
            )
        assert not info.value.overridable
        assert "angry@example.com is suppressed (complaint on " in str(info.value)
        assert "never overridden" in str(info.value)
    _nothing_written(runtime)


def test_bounce_is_refused(runtime: Runtime) -> None:
    suppressions.add(runtime.store, "gone@example.com", SuppressionReason.BOUNCE, by="ses")
    with pytest.raises(mail.SuppressedError, match="bounce on"):
        mail.prepare(runtime, make_request(to=["gone@example.com"]), allow_suppressed=True)


def test_manual_suppression_can_be_overridden(runtime: Runtime) -> None:
    suppressions.add(runtime.store, "paused@example.com", SuppressionReason.MANUAL, by="ops")
    with pytest.raises(mail.SuppressedError) as info:
        mail.prepare(runtime, make_request(to=["paused@example.com"]))
    assert info.value.overridable
    prepared = mail.prepare(runtime, make_request(to=["paused@example.com"]), allow_suppressed=True)
    result = mail.deliver(runtime, prepared)
    assert result.ok
    log = _log(runtime, result.outcomes[0].log_id)
    assert log.customData == {"overrodeSuppression": ["paused@example.com"]}


# --- SES errors --------------------------------------------------------------------


def test_unverified_sender_fails_with_the_reason(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={"aws_ses_from_email": "someone@unverified.example"}
    )
    result = _send(runtime)
    (outcome,) = result.outcomes
    assert outcome.status == "failed" and not result.ok
    log = _log(runtime, outcome.log_id)
    assert log.status == EmailStatus.FAILED
    assert log.error and "MessageRejected" in log.error and "verified" in log.error
    assert [r.status for r in log.recipientStatus] == [EmailStatus.FAILED]
    # where the CRM's web app records (and shows) a failed send: on the send event
    assert [(e.type, e.metadata) for e in log.events] == [("send", {"error": log.error})]
    assert (
        runtime.store.auditlog.count_documents({"action": "send", "details.status": "failed"}) == 1
    )


def test_expired_credentials_fail_with_what_to_do(
    runtime: Runtime, flaky_ses: Callable[..., Any]
) -> None:
    flaky_ses(
        "sesv2",
        "send_email",
        [
            client_error(
                "ExpiredTokenException",
                "The security token included in the request is expired",
                status=403,
            )
        ],
    )
    result = _send(runtime)
    log = _log(runtime, result.outcomes[0].log_id)
    assert log.status == EmailStatus.FAILED
    assert log.error and "aws sso login" in log.error


def test_missing_credentials_fail_with_what_to_do(
    runtime: Runtime, flaky_ses: Callable[..., Any]
) -> None:
    flaky_ses("sesv2", "send_email", [NoCredentialsError()])
    result = _send(runtime)
    assert result.outcomes[0].status == "failed"
    assert "No AWS credentials" in (result.outcomes[0].error or "")


def test_throttling_is_retried_then_sent(runtime: Runtime, flaky_ses: Callable[..., Any]) -> None:
    flaky = flaky_ses(
        "sesv2", "send_email", [client_error("Throttling", "Maximum sending rate exceeded.")] * 2
    )
    result = _send(runtime)
    assert result.ok
    assert flaky.calls == 3
    assert ses_sent(runtime) == 1


def test_throttling_that_does_not_stop_fails_the_log(
    runtime: Runtime, flaky_ses: Callable[..., Any]
) -> None:
    flaky = flaky_ses(
        "sesv2", "send_email", [client_error("Throttling", "Maximum sending rate exceeded.")] * 10
    )
    result = _send(runtime)
    assert flaky.calls == FAST_RETRY.attempts
    assert _log(runtime, result.outcomes[0].log_id).status == EmailStatus.FAILED
    assert ses_sent(runtime) == 0


def test_timeout_after_the_request_went_out_is_unknown_and_not_resent(
    runtime: Runtime, flaky_ses: Callable[..., Any]
) -> None:
    flaky = flaky_ses(
        "sesv2",
        "send_email",
        [ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com")],
    )
    result = _send(runtime)
    (outcome,) = result.outcomes
    assert outcome.status == "unknown"
    assert flaky.calls == 1  # never re-sent blindly
    log = _log(runtime, outcome.log_id)
    assert log.status == EmailStatus.QUEUED  # neither sent nor failed: a person checks
    assert (
        log.error
        and log.error.startswith("outcome unknown")
        and "check SES" in log.error.replace("Check", "check")
    )
    assert log.customData == {"outcome": "unknown"}


def test_a_failed_part_stops_the_later_parts(
    runtime: Runtime, flaky_ses: Callable[..., Any]
) -> None:
    flaky = flaky_ses("sesv2", "send_email", [client_error("MessageRejected", "Rejected")])
    result = _send(runtime, to=[f"c{i}@example.com" for i in range(60)])
    assert [o.status for o in result.outcomes] == ["failed", "failed"]
    assert flaky.calls == 1
    second = _log(runtime, result.outcomes[1].log_id)
    assert second.error and second.error.startswith("not sent: an earlier part failed")


# --- the store ---------------------------------------------------------------------


def test_store_down_before_the_send_refuses_and_sends_nothing(
    runtime: Runtime, break_store: Callable[[str, set[str]], None]
) -> None:
    prepared = mail.prepare(runtime, make_request())
    break_store("emaillogs", {"insert_many", "insert_one"})
    with pytest.raises(StoreUnavailableError, match="nothing was sent"):
        mail.deliver(runtime, prepared)
    assert ses_sent(runtime) == 0


def test_deliver_journals_when_the_store_fails_after_ses(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end through deliver(): the insert works, then MongoDB goes away."""
    from core.db import Store
    from tests.conftest import server_like
    from tests.core.mail.conftest import BrokenCollection

    runtime.store = server_like(runtime.store)
    prop_logs = Store.emaillogs
    prop_audit = Store.auditlog
    state = {"down": False}

    def logs(self: Store) -> Any:
        real = prop_logs.fget(self)  # type: ignore[attr-defined]
        return BrokenCollection(real, {"update_one"}) if state["down"] else real

    def audit(self: Store) -> Any:
        real = prop_audit.fget(self)  # type: ignore[attr-defined]
        return BrokenCollection(real, {"insert_one"}) if state["down"] else real

    monkeypatch.setattr(Store, "emaillogs", property(logs))
    monkeypatch.setattr(Store, "auditlog", property(audit))
    prepared = mail.prepare(runtime, make_request())
    original_insert = mail.insert_queued

    def insert_then_fail(rt: Runtime, logs_: list[EmailLog]) -> None:
        original_insert(rt, logs_)
        state["down"] = True

    monkeypatch.setattr(mail, "insert_queued", insert_then_fail)
    result = mail.deliver(runtime, prepared)
    (outcome,) = result.outcomes
    assert outcome.status == "sent" and outcome.journaled
    assert any("journal" in w for w in result.warnings)
    assert ses_sent(runtime) == 1
    log_before = _log(runtime, outcome.log_id)
    assert log_before.status == EmailStatus.QUEUED
    # MongoDB is back: the replay gives the accepted message its log
    state["down"] = False
    report = Journal().replay(runtime.store)
    assert (report.applied, report.pending, report.stale) == (2, 0, 0)
    log = _log(runtime, outcome.log_id)
    assert log.status == EmailStatus.SENT
    assert log.messageId == outcome.message_id
    assert runtime.store.auditlog.count_documents({"target": outcome.log_id}) == 1
    # replaying twice changes nothing (no second send event)
    Journal().replay(runtime.store)
    assert len(_log(runtime, outcome.log_id).events) == 1


def test_a_failing_sent_hook_does_not_fail_the_send(runtime: Runtime) -> None:
    def boom(_log: EmailLog) -> None:
        raise RuntimeError("simulator down")

    runtime.sent_hooks.append(boom)
    result = _send(runtime)
    assert result.ok
    assert any("simulator down" in w for w in result.warnings)


def test_unverified_sender_for_a_template_send(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={"aws_ses_from_email": "someone@unverified.example"}
    )
    data = {"name": "Ada", "portal_url": "https://p.example"}
    result = _send(runtime, templateId="welcome-client", templateData=data, markdownContent=None)
    log = _log(runtime, result.outcomes[0].log_id)
    assert log.status == EmailStatus.FAILED
    assert log.error and "MessageRejected" in log.error


def test_each_message_takes_its_recipients_from_the_pacer(
    runtime: Runtime, pacer_takes: list[int]
) -> None:
    _send(runtime, to=[f"c{i}@example.com" for i in range(70)])
    assert pacer_takes == [50, 20]


# --- odd input, the operator's CRM user id, what a failure costs (issues 11, 12) -----


@pytest.mark.parametrize(
    ("char", "code"),
    [("\x0b", "U+000B"), ("\x0c", "U+000C"), ("\x85", "U+0085"), ("\u2028", "U+2028"),
     ("\x00", "U+0000"), ("\x1b", "U+001B"), ("\udc80", "valid string")],
)  # fmt: skip
def test_control_characters_in_a_subject_are_a_field_error(
    runtime: Runtime, char: str, code: str
) -> None:
    # Refused, not normalised: the subject that would go out is not the one typed, and
    # Python's email folding and the CRM's list both break lines at these.
    with pytest.raises(ValidationError) as info:
        make_request(subject=f"Invoice{char}Q3")
    text = describe(info.value).text
    assert text.startswith("subject: ") and code in text
    assert describe(info.value).exit_code == 2
    assert make_request(subject="Invoice\tQ3").subject == "Invoice\tQ3"  # a tab is fine
    _nothing_written(runtime)


def test_sent_logs_carry_the_operators_crm_user_id(runtime: Runtime) -> None:
    from dataclasses import replace

    (plain,) = _send(runtime).outcomes
    log = _log(runtime, plain.log_id)
    assert log.userId is None and log.operator == "tester"  # no CRM id: no CRM user
    runtime.identity = replace(runtime.whoami(), crm_user_id="64f0c0ffee")
    (outcome,) = _send(runtime).outcomes
    log = _log(runtime, outcome.log_id)
    assert (log.userId, log.operator) == ("64f0c0ffee", "tester")


def test_an_ses_server_error_is_worded_as_one_not_as_a_timeout(
    runtime: Runtime, flaky_ses: Callable[..., Any]
) -> None:
    flaky_ses("sesv2", "send_email", [client_error("InternalFailure", "boom", status=500)])
    result = _send(runtime)
    (outcome,) = result.outcomes
    assert outcome.status == "unknown"  # SES may have sent it: never re-sent blindly
    assert outcome.error and "SES server error (SendEmail): HTTP 500 InternalFailure" in (
        outcome.error
    )
    assert "timed out" not in outcome.error and "not a timeout" in outcome.error
    assert result.cost == 0  # nothing accepted, nothing charged


def test_a_failed_send_costs_nothing(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={"aws_ses_from_email": "someone@unverified.example"}
    )
    result = _send(runtime)
    assert not result.ok and result.cost == 0 and result.as_json()["cost"] == 0


def test_abandoning_a_send_in_flight_says_unknown_then_not_sent(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12, defect 5 (`send`): the process ends while SES has not answered the
    first of two parts: its outcome is unknown, the second failed (interrupted before
    sending): none is left plain `queued`."""
    import threading

    calling, release = threading.Event(), threading.Event()
    real = mail._call_ses

    def first_hangs(rt: Runtime, prepared: mail.Prepared, part: mail.Part) -> str:
        answer = real(rt, prepared, part)
        calling.set()
        release.wait(10)
        return answer

    monkeypatch.setattr(mail, "_call_ses", first_hangs)
    to = [f"client{i}@example.com" for i in range(100)]
    prepared = mail.prepare(runtime, make_request(to=to))
    assert len(prepared.parts) == 2
    cancel = threading.Event()
    worker = threading.Thread(
        target=mail.deliver, args=(runtime, prepared), kwargs={"cancel": cancel}
    )
    worker.start()
    assert calling.wait(10)
    cancel.set()
    said = mail.abandon_delivery(runtime, prepared)
    first, second = (_log(runtime, str(p.log.id)) for p in prepared.parts)
    assert first.status == EmailStatus.QUEUED and "outcome unknown" in (first.error or "")
    assert second.status == EmailStatus.FAILED and second.error == "interrupted before sending"
    assert len(said) == 2
    release.set()
    worker.join(10)
