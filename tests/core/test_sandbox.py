"""The sandbox: a real moto server, provisioned like an account, seeded with a month
of realistic email logs, suppressions and files whose bytes are in S3."""

from __future__ import annotations

import base64
import hashlib
import random
import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import filetype
import pytest

from core.config import Settings
from core.models import EmailLog, FileRecord, utcnow
from core.runtime import Runtime, open_runtime
from core.seed import people as seed_people
from core.seed.logs import make_logs
from core.vocabulary import (
    LOG_EVENT_TYPES,
    SES_EVENT_NAMES,
    EmailCategory,
    EmailPriority,
    EmailStatus,
    FileStatus,
    worst_status,
)

# The metadata keys of each kind of event (besides sesEventType, which names SES's type
# on every event from SES), exactly as documented on core.models.EmailEvent.
EVENT_KEYS: dict[str, set[str]] = {
    "send": {"sesMessageId"},
    "failed send": {"error"},
    "delivery": {"recipients", "smtpResponse", "processingTimeMillis", "reportingMTA"},
    "bounce": {"bounceType", "bounceSubType", "feedbackId", "recipients"},
    "complaint": {"complaintFeedbackType", "feedbackId", "userAgent", "recipients"},
    "open": {"ipAddress", "userAgent"},
    "click": {"ipAddress", "userAgent", "link"},
    "reject": {"reason"},
    "renderingFailure": {"templateName", "errorMessage"},
    "deliveryDelay": {"delayType", "expirationTime", "recipients"},
}
# one worker runs this module (its module-scoped fixtures are built once: make test
# distributes the other tests one by one, --dist loadgroup)
pytestmark = pytest.mark.xdist_group("sandbox")


KEY_LAYOUT = re.compile(
    r"^(?P<cat>[a-z]+)/(?P<user>[0-9a-f]{24}|tester)/(?P<ms>\d{13})-[0-9a-f]{16}-[\w.\-]+$"
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Runtime]:
    runtime = open_runtime(Settings.model_validate({"sandbox": True, "depllc_user": "tester"}))
    yield runtime
    runtime.close()


@pytest.fixture(scope="module")
def logs(sandbox: Runtime) -> list[EmailLog]:
    return [EmailLog.model_validate(d) for d in sandbox.store.emaillogs.find()]


@pytest.fixture(scope="module")
def files(sandbox: Runtime) -> list[FileRecord]:
    return [FileRecord.model_validate(d) for d in sandbox.store.files.find()]


def test_the_sandbox_is_provisioned_and_labelled(sandbox: Runtime) -> None:
    settings = sandbox.settings
    assert sandbox.is_sandbox and settings.sandbox
    assert sandbox.sandbox is not None
    assert sandbox.sandbox.endpoint_url.startswith("http://127.0.0.1:")
    label = sandbox.target_label()
    assert "SANDBOX" not in label  # the header shows its own badge
    assert sandbox.sandbox.endpoint_url.removeprefix("http://") in label
    assert "nothing leaves this machine" in label
    s3 = sandbox.aws.s3
    assert s3.get_bucket_versioning(Bucket=settings.aws_s3_bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=settings.aws_s3_bucket)[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    identities = sandbox.aws.ses.list_identities()["Identities"]
    assert settings.from_email in identities
    assert len(sandbox.aws.ses.list_templates()["TemplatesMetadata"]) >= 2
    assert settings.ses_events_queue_url
    assert sandbox.store.missing_indexes() == []


def test_logs_cover_every_status_category_and_priority(logs: list[EmailLog]) -> None:
    assert len(logs) >= 500
    assert {log.status for log in logs} == set(EmailStatus)
    assert {log.category for log in logs} == set(EmailCategory)
    assert {log.priority for log in logs} == set(EmailPriority)
    by_status = Counter(log.status for log in logs)
    assert by_status[EmailStatus.DELIVERED] > len(logs) / 2  # a healthy account


def test_logs_span_the_last_30_days(logs: list[EmailLog]) -> None:
    now = utcnow()
    oldest = min(log.createdAt for log in logs)
    newest = max(log.createdAt for log in logs)
    assert now - timedelta(days=30, minutes=5) <= oldest < now - timedelta(days=25)
    assert now - timedelta(days=1) < newest <= now
    assert all(log.createdAt <= log.updatedAt <= now + timedelta(seconds=5) for log in logs)


def test_each_recipient_has_a_row_and_the_worst_wins(logs: list[EmailLog]) -> None:
    for log in logs:
        assert sorted(r.email for r in log.recipientStatus) == sorted(log.all_recipients)
        assert log.status == worst_status([r.status for r in log.recipientStatus])


def test_events_are_ses_shaped_with_unique_ids(logs: list[EmailLog]) -> None:
    seen: set[str] = set()
    kinds: Counter[str] = Counter()
    for log in logs:
        stamps = [e.timestamp for e in log.events]
        assert stamps == sorted(stamps), log.messageId
        for event in log.events:
            assert event.metadata is not None
            kind = "failed send" if "error" in event.metadata else event.kind.value
            kinds[kind] += 1
            assert event.type in LOG_EVENT_TYPES  # the CRM's schema allows these six
            if kind != "failed send":  # the console's failed send, as core.mail.send
                assert event.eventId and event.eventId not in seen
                seen.add(event.eventId)
            keys = set(event.metadata) - {"sesEventType"}
            assert keys == EVENT_KEYS[kind], event
            if kind not in ("send", "failed send"):
                assert event.metadata["sesEventType"] == SES_EVENT_NAMES[event.kind]
    for kind in ("send", "failed send", "delivery", "bounce", "complaint", "open", "click"):
        assert kinds[kind] > 0, kind
    assert kinds["reject"] > 0 and kinds["deliveryDelay"] > 0


def test_bounces_complaints_and_failures_carry_their_diagnostics(logs: list[EmailLog]) -> None:
    bounce_types: set[str] = set()
    for log in logs:
        for event in log.events:
            meta: dict[str, Any] = event.metadata or {}
            if event.type == "bounce":
                bounce_types.add(meta["bounceType"])
                (recipient,) = meta["recipients"]
                assert re.search(r"\b[45]\.\d\.\d+\b", recipient["diagnosticCode"]) or (
                    "suppressed" in recipient["diagnosticCode"]
                )
                assert recipient["emailAddress"] in log.all_recipients
            if event.type == "complaint":
                assert meta["complaintFeedbackType"] == "abuse"
            if event.type == "delivery":
                assert meta["smtpResponse"].startswith("250")
        if log.status == EmailStatus.FAILED:
            assert log.error
            assert log.cost == 0 or any(e.kind == "reject" for e in log.events)
        if log.status == EmailStatus.FAILED and log.cost == 0:
            # the reason is on the send event, where the CRM shows a failed send
            assert [e.metadata for e in log.events] == [{"error": log.error}]
        elif log.status == EmailStatus.QUEUED:
            assert log.cost == 0 and not log.events
        elif log.events:
            assert log.events[0].type == "send"
            assert log.events[0].metadata == {"sesMessageId": log.messageId}
            assert log.cost > 0
    assert bounce_types == {"Permanent", "Transient"}
    assert any("550 5.1.1 user unknown" in str(log.events) for log in logs)


def test_transient_bounces_and_delays_keep_the_recipient_sent(logs: list[EmailLog]) -> None:
    """As the events consumer does (and the README says): only a permanent bounce
    makes a recipient `bounced`."""
    seen = 0
    for log in logs:
        for event in log.events:
            meta: dict[str, Any] = event.metadata or {}
            transient = event.type == "bounce" and meta["bounceType"] == "Transient"
            if transient or event.type == "deliveryDelay":
                (who,) = meta["recipients"]
                row = next(r for r in log.recipientStatus if r.email == who["emailAddress"])
                assert row.status == EmailStatus.SENT, (log.subject, row)
                # labelled as the events worker stores it (core/events/apply.py)
                label = (
                    f"Transient/{meta['bounceSubType']}"
                    if transient
                    else f"Delayed ({meta['delayType']})"
                )
                assert row.diagnostic == f"{label}: {who['diagnosticCode']}"
                seen += 1
    assert seen >= 5


def test_auth_mail_includes_password_resets(logs: list[EmailLog]) -> None:
    resets = [log for log in logs if log.category == "auth" and "password" in log.subject.lower()]
    assert len(resets) >= 10
    assert all(
        "reset-password?token=" in (log.content.text or "") + (log.content.html or "")
        or "reset" in log.subject.lower()
        for log in resets
    )


def test_suppressions_match_permanent_bounces_and_complaints(
    sandbox: Runtime, logs: list[EmailLog]
) -> None:
    expected: dict[str, str] = {}
    for log in logs:
        for event in log.events:
            meta: dict[str, Any] = event.metadata or {}
            if event.type == "bounce" and meta["bounceType"] == "Permanent":
                expected[meta["recipients"][0]["emailAddress"]] = "bounce"
            elif event.type == "complaint":
                expected.setdefault(meta["recipients"][0], "complaint")
    stored = {d["email"]: d for d in sandbox.store.suppressions.find()}
    for email, reason in expected.items():
        assert stored[email]["reason"] == reason
    assert {d["reason"] for d in stored.values()} == {"bounce", "complaint", "manual"}
    # a suppressed address is never mailed after it was suppressed
    for log in logs:
        for email in log.all_recipients:
            entry = stored.get(email)
            if entry and entry.get("messageId") != log.messageId:
                assert log.createdAt < entry["at"], (email, log.messageId)


def test_attachments_point_at_seeded_files(logs: list[EmailLog], files: list[FileRecord]) -> None:
    by_id = {str(f.id): f for f in files}
    attached = [a for log in logs for a in log.attachments or []]
    assert len(attached) >= 10
    for item in attached:
        record = by_id[item["fileId"]]
        assert (item["filename"], item["size"]) == (record.originalName, record.size)


def test_files_follow_the_key_layout_and_states(files: list[FileRecord]) -> None:
    assert len(files) >= 40
    statuses = Counter(f.status for f in files)
    assert statuses[FileStatus.COMPLETED] >= 40
    assert statuses[FileStatus.DELETED] >= 1
    assert statuses[FileStatus.FAILED] >= 1
    assert statuses[FileStatus.UPLOADING] >= 1
    for record in files:
        match = KEY_LAYOUT.match(record.key)
        assert match, record.key
        assert match["cat"] == record.category and match["user"] == record.userId
        assert int(match["ms"]) == int(record.createdAt.timestamp() * 1000)
        assert record.key.endswith(record.fileName)
        assert record.metadata.uploadedBy == record.userId
    deleted = [f for f in files if f.status == FileStatus.DELETED]
    assert all(f.deletedAt and f.deletedBy for f in deleted)
    types = {f.contentType for f in files}
    for kind in (
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "text/csv",
    ):
        assert kind in types


def test_the_operator_owns_some_files_and_logs(
    files: list[FileRecord], logs: list[EmailLog]
) -> None:
    """The console records its operator's login as the user id: the sandbox's
    operator (here `tester`) finds files and sends of their own."""
    own = [f for f in files if f.userId == "tester"]
    assert 5 <= len(own) < len(files) / 2
    assert all(f.metadata.uploadedBy == "tester" for f in own)
    assert any(log.userId == "tester" for log in logs)


def test_file_bytes_in_s3_match_the_records(sandbox: Runtime, files: list[FileRecord]) -> None:
    s3 = sandbox.aws.s3
    stored = [f for f in files if f.status in (FileStatus.COMPLETED, FileStatus.DELETED)]
    for record in stored:
        got = s3.get_object(Bucket=record.s3Info.bucket, Key=record.key)
        body = got["Body"].read()
        assert len(body) == record.size
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        assert digest == record.metadata.checksum, record.key
        assert got["ETag"] == record.s3Info.etag
        assert got["VersionId"] == record.s3Info.versionId
        assert got["ServerSideEncryption"] == "AES256" == record.sse
        assert got["ContentType"] == record.contentType
        sniffed = filetype.guess_mime(body)
        if sniffed is not None:
            assert sniffed == record.contentType, record.key
        else:
            assert record.contentType in ("text/plain", "text/csv")
            body.decode("utf-8")
    for record in files:
        if record.status in (FileStatus.FAILED, FileStatus.UPLOADING):
            assert not s3.list_objects_v2(Bucket=record.s3Info.bucket, Prefix=record.key).get(
                "Contents"
            )


def test_some_objects_have_several_versions(sandbox: Runtime, files: list[FileRecord]) -> None:
    bucket = sandbox.settings.aws_s3_bucket
    versions = sandbox.aws.s3.list_object_versions(Bucket=bucket)["Versions"]
    per_key = Counter(v["Key"] for v in versions)
    multi = [key for key, count in per_key.items() if count > 1]
    assert len(multi) >= 2
    latest = {v["Key"]: v["VersionId"] for v in versions if v["IsLatest"]}
    for record in files:
        if record.key in latest:
            assert latest[record.key] == record.s3Info.versionId


def test_the_seed_is_deterministic_but_dated_from_now(sandbox: Runtime) -> None:
    now = utcnow()

    def build(at: Any) -> list[dict[str, Any]]:
        rng = random.Random(7)
        cast = seed_people.make_people(rng)
        built, _ = make_logs(rng, at, cast, sandbox.settings, [], count=60)
        return [log.to_mongo() for log in built]

    first, second = build(now), build(now)
    assert first == second
    # a week later (same weekdays and hours, which shape the send times): same
    # messages, every date moved by the week
    later = build(now + timedelta(days=7))
    for a, b in zip(first, later, strict=True):
        assert (a["to"], a["status"], a["category"]) == (b["to"], b["status"], b["category"])
    assert all(
        b["createdAt"] - a["createdAt"] == timedelta(days=7)
        for a, b in zip(first, later, strict=True)
    )


def test_a_second_sandbox_in_one_process_starts_clean(sandbox: Runtime) -> None:
    """Last in this module: starting a sandbox resets moto's (per-process) accounts."""
    other = open_runtime(Settings.model_validate({"sandbox": True, "depllc_user": "tester"}))
    try:
        assert other.sandbox is not None and sandbox.sandbox is not None
        assert other.sandbox.endpoint_url != sandbox.sandbox.endpoint_url
        assert other.store.emaillogs.count_documents({}) == sandbox.store.emaillogs.count_documents(
            {}
        )
        bucket = other.settings.aws_s3_bucket
        objects = other.aws.s3.list_object_versions(Bucket=bucket)["Versions"]
        assert other.sandbox.seeded is not None
        assert len(objects) == other.sandbox.seeded.versions
    finally:
        other.close()


def test_doctor_passes_and_presigned_links_work_over_plain_http(
    sandbox: Runtime, files: list[FileRecord]
) -> None:
    """Provisioned like a real account (setup's queue policy, public access block and
    lifecycle rule), but without the TLS-only bucket policy, which would refuse every
    request to the sandbox's plain-HTTP endpoint, presigned links included."""
    import urllib.request

    from core.setup.doctor import run_doctor

    report = run_doctor(sandbox.settings, sandbox.aws, sandbox.store)
    assert [c.title for c in report.failed] == []
    record = next(f for f in files if f.status.value == "completed")
    url = sandbox.aws.s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": record.s3Info.bucket, "Key": record.key},
        ExpiresIn=60,
    )
    with urllib.request.urlopen(url, timeout=10) as response:
        assert len(response.read()) == record.size
