"""`depllc doctor` against moto: nothing fails after setup; each piece broken on
purpose makes exactly its own check fail (or warn), and the fix line says what to do."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.aws import AwsClients
from core.config import Settings
from core.db import Store, database_id
from core.journal import Journal
from core.setup.apply import ApplyResult
from core.setup.doctor import CHECKS, DoctorReport, Status, run_doctor
from core.setup.plan import Plan
from core.setup.targets import DEFAULT_EVENTS_NAME
from tests.core.setup.conftest import BUCKET, Faults
from tests.core.setup.test_setup import TOPIC_ARN, queue_url

Run = Callable[[], tuple[Plan, ApplyResult]]


def doctor(settings: Settings, aws: AwsClients, store: Store, **kwargs: Any) -> DoctorReport:
    return run_doctor(settings, aws, store, **kwargs)


# What is not a pass on moto after setup with an address sender: moto has no sesv2
# GetAccount, an address identity has no DKIM records of its own, the test database is
# empty and moto's caller is in no operators list.
BASELINE = {
    "ses-access": Status.WARN,
    "dkim": Status.WARN,
    "mongodb": Status.WARN,
    "operator": Status.WARN,
}


def not_passing(report: DoctorReport) -> dict[str, Status]:
    return {c.id: c.status for c in report.checks if c.status not in (Status.PASS, Status.SKIP)}


@pytest.fixture
def provisioned(run_setup: Run, setup_settings: Settings, aws: AwsClients) -> Settings:
    run_setup()
    return setup_settings


def test_every_check_is_reported_in_order(
    provisioned: Settings, aws: AwsClients, empty_store: Store
) -> None:
    report = doctor(provisioned, aws, empty_store)
    assert [c.id for c in report.checks] == [cid for cid, _ in CHECKS]


def test_doctor_passes_after_setup(
    provisioned: Settings, aws: AwsClients, empty_store: Store
) -> None:
    report = doctor(provisioned, aws, empty_store)
    # moto has no sesv2 GetAccount: that one check says so (a warning, not a failure).
    assert not_passing(report) == BASELINE, report.render()
    assert report.ok
    assert "not supported by this endpoint" in report.get("ses-access").detail
    assert report.get("dkim").detail.startswith("not applicable: depllc.example")
    assert report.get("credentials").detail.startswith("account 123456789012")
    assert report.get("clock").status is Status.PASS


def test_doctor_on_an_empty_account_fails_and_says_run_setup(
    setup_settings: Settings, aws: AwsClients, empty_store: Store
) -> None:
    report = doctor(setup_settings, aws, empty_store)
    failing = {c.id for c in report.failed}
    assert failing == {"sender", "configuration-set", "queue", "bucket", "indexes"}
    assert all("depllc setup" in c.fix for c in report.failed)
    assert not report.ok


def _delete_bucket(aws: AwsClients) -> None:
    aws.s3.delete_bucket_policy(Bucket=BUCKET)
    aws.s3.delete_bucket(Bucket=BUCKET)


def _remove_redrive(aws: AwsClients) -> None:
    """Clear the redrive policy. (moto also drops the queue policy on any
    set_queue_attributes without one, so set it again, as SQS would keep it.)"""
    url = queue_url(aws)
    policy = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
    aws.sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": "", **policy})


def _unsubscribe(aws: AwsClients) -> None:
    subs = aws.sns.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)["Subscriptions"]
    aws.sns.unsubscribe(SubscriptionArn=subs[0]["SubscriptionArn"])


BREAKERS: dict[str, tuple[Callable[[AwsClients, Store], None], dict[str, Status]]] = {
    "bucket deleted": (lambda aws, _s: _delete_bucket(aws), {"bucket": Status.FAIL}),
    "versioning suspended": (
        lambda aws, _s: aws.s3.put_bucket_versioning(
            Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"}
        ),
        {"bucket-versioning": Status.FAIL},
    ),
    "encryption removed": (
        lambda aws, _s: aws.s3.delete_bucket_encryption(Bucket=BUCKET),
        {"bucket-encryption": Status.FAIL},
    ),
    "TLS policy removed": (
        lambda aws, _s: aws.s3.delete_bucket_policy(Bucket=BUCKET),
        {"bucket-tls": Status.FAIL},
    ),
    "public access block removed": (
        lambda aws, _s: aws.s3.delete_public_access_block(Bucket=BUCKET),
        {"bucket-public-access": Status.WARN},
    ),
    "lifecycle removed": (
        lambda aws, _s: aws.s3.delete_bucket_lifecycle(Bucket=BUCKET),
        {"bucket-lifecycle": Status.WARN},
    ),
    "sender identity removed": (
        lambda aws, _s: aws.ses.delete_identity(Identity="noreply@depllc.example"),
        {"sender": Status.FAIL},
    ),
    "configuration set removed": (
        lambda aws, _s: aws.ses.delete_configuration_set(ConfigurationSetName="depllc-crm-emails"),
        {"configuration-set": Status.FAIL},
    ),
    "queue removed": (
        lambda aws, _s: aws.sqs.delete_queue(QueueUrl=queue_url(aws)),
        {"queue": Status.FAIL},
    ),
    "redrive removed": (
        lambda aws, _s: _remove_redrive(aws),
        {"queue": Status.WARN},
    ),
    "dead letters waiting": (
        lambda aws, _s: aws.sqs.send_message(
            QueueUrl=queue_url(aws, f"{DEFAULT_EVENTS_NAME}-dlq"), MessageBody="{}"
        ),
        {"queue": Status.WARN},
    ),
    "subscription removed": (lambda aws, _s: _unsubscribe(aws), {"subscription": Status.FAIL}),
    "queue policy removed": (
        lambda aws, _s: aws.sqs.set_queue_attributes(
            QueueUrl=queue_url(aws), Attributes={"Policy": ""}
        ),
        {"subscription": Status.FAIL},
    ),
    "index dropped": (
        lambda _a, store: store.emaillogs.drop_index("messageId_1"),
        {"indexes": Status.FAIL},
    ),
    "journal has pending writes": (
        lambda _a, _s: Journal().append(
            database_id("mongodb://db.test", "depllc"),
            "emaillogs",
            {"_id": 1},
            {"$set": {"status": "sent"}},
        ),
        {"journal": Status.WARN},
    ),
}


@pytest.mark.parametrize("piece", list(BREAKERS))
def test_each_broken_piece_names_its_check(
    piece: str, provisioned: Settings, aws: AwsClients, empty_store: Store
) -> None:
    breaker, expected = BREAKERS[piece]
    breaker(aws, empty_store)
    report = doctor(provisioned, aws, empty_store)
    assert not_passing(report) == {**BASELINE, **expected}, report.render()
    for check_id in expected:
        assert report.get(check_id).fix, check_id


def test_topic_removed_fails_the_event_destination_check_only_where_it_shows(
    provisioned: Settings, aws: AwsClients, empty_store: Store
) -> None:
    aws.sns.delete_topic(TopicArn=TOPIC_ARN)
    report = doctor(provisioned, aws, empty_store)
    assert report.get("subscription").status is Status.FAIL
    assert f"topic {DEFAULT_EVENTS_NAME} does not exist" in report.get("subscription").detail


def test_a_denied_call_names_the_iam_action(
    provisioned: Settings, aws: AwsClients, empty_store: Store, faults: Faults
) -> None:
    faults.fail(aws.s3, "GetBucketVersioning", "AccessDenied")
    faults.fail(aws.sqs, "GetQueueAttributes", "AccessDenied")
    report = doctor(provisioned, aws, empty_store)
    versioning = report.get("bucket-versioning")
    assert versioning.status is Status.FAIL
    assert "s3:GetBucketVersioning" in versioning.detail
    assert "depllc iam-policy" in versioning.fix
    assert "sqs:GetQueueAttributes" in report.get("queue").detail
    assert report.get("subscription").status is Status.SKIP


def test_bad_credentials_fail_one_check_and_skip_the_aws_ones(
    provisioned: Settings, aws: AwsClients, empty_store: Store, faults: Faults
) -> None:
    faults.fail(aws.client("sts"), "GetCallerIdentity", "InvalidClientTokenId")
    report = doctor(provisioned, aws, empty_store)
    assert {c.id for c in report.failed} == {"credentials"}
    assert "AWS_PROFILE" in report.get("credentials").fix
    assert report.get("bucket").status is Status.SKIP
    assert report.get("clock").status is Status.SKIP
    assert report.get("mongodb").status is Status.WARN  # reachable, and empty
    assert report.get("operator").status is Status.SKIP


@pytest.mark.parametrize(
    ("account", "status", "text"),
    [
        ({"ProductionAccessEnabled": True, "SendingEnabled": True}, Status.PASS, "production"),
        ({"ProductionAccessEnabled": False, "SendingEnabled": True}, Status.WARN, "SES sandbox"),
        ({"ProductionAccessEnabled": True, "SendingEnabled": False}, Status.FAIL, "paused"),
    ],
)
def test_ses_production_access(
    provisioned: Settings,
    aws: AwsClients,
    empty_store: Store,
    faults: Faults,
    account: dict[str, Any],
    status: Status,
    text: str,
) -> None:
    body = {**account, "ResponseMetadata": {"HTTPStatusCode": 200}}
    faults.answer(aws.sesv2, "GetAccount", body, 200)
    check = doctor(provisioned, aws, empty_store).get("ses-access")
    assert check.status is status and text in check.detail


@pytest.mark.parametrize(
    ("sent", "status"), [(10.0, Status.PASS), (180.0, Status.WARN), (200.0, Status.FAIL)]
)
def test_quota(
    provisioned: Settings,
    aws: AwsClients,
    empty_store: Store,
    faults: Faults,
    sent: float,
    status: Status,
) -> None:
    quota = {"Max24HourSend": 200.0, "SentLast24Hours": sent, "MaxSendRate": 1.0}
    faults.answer(aws.ses, "GetSendQuota", {**quota, "ResponseMetadata": {}}, 200)
    assert doctor(provisioned, aws, empty_store).get("quota").status is status


@pytest.mark.parametrize(
    ("offset", "status"),
    [(0, Status.PASS), (45, Status.WARN), (-600, Status.FAIL)],
)
def test_clock_skew_against_the_aws_date_header(
    provisioned: Settings, aws: AwsClients, empty_store: Store, offset: int, status: Status
) -> None:
    def clock() -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset)

    check = doctor(provisioned, aws, empty_store, clock=clock).get("clock")
    assert check.status is status, check.detail
    if offset:
        assert ("ahead of" if offset > 0 else "behind") in check.detail


def test_unreachable_mongodb(provisioned: Settings, aws: AwsClients) -> None:
    from core.db import connect

    down = connect("mongodb://127.0.0.1:9", "depllc", timeout_ms=200)
    report = doctor(provisioned, aws, down)
    assert report.get("mongodb").status is Status.FAIL
    assert "MongoDB is unreachable" in report.get("mongodb").detail
    assert report.get("indexes").status is Status.SKIP
    assert report.get("bucket").status is Status.PASS


def test_missing_settings_fail_the_settings_check(aws: AwsClients, empty_store: Store) -> None:
    settings = Settings.model_validate({"mongodb_uri": "mongomock://", "aws_region": "us-east-1"})
    report = doctor(settings, aws, empty_store)
    assert report.get("settings").status is Status.FAIL
    assert "AWS_S3_BUCKET is not set" in report.get("settings").detail
    assert report.get("bucket").status is Status.SKIP


def test_json_report_round_trips(
    provisioned: Settings, aws: AwsClients, empty_store: Store, tmp_path: Path
) -> None:
    data = json.loads(json.dumps(doctor(provisioned, aws, empty_store).to_dict()))
    assert data["ok"] is True
    assert {c["id"] for c in data["checks"]} == {cid for cid, _ in CHECKS}
    assert all(set(c) == {"id", "title", "status", "detail", "fix"} for c in data["checks"])


def test_an_unknown_profile_fails_credentials_without_a_traceback(
    provisioned: Settings, empty_store: Store
) -> None:
    settings = provisioned.model_copy(update={"aws_profile": "no-such-profile"})
    report = doctor(settings, AwsClients(settings), empty_store)
    assert report.get("credentials").status is Status.FAIL
    assert "no-such-profile" in report.get("credentials").detail
    assert report.get("region").status is Status.FAIL
    assert report.get("bucket").status is Status.SKIP
    assert [c.id for c in report.checks] == [cid for cid, _ in CHECKS]


def test_doctor_shows_the_database_in_use_with_its_counts(
    provisioned: Settings, aws: AwsClients, empty_store: Store
) -> None:
    empty = doctor(provisioned, aws, empty_store).get("mongodb")
    name = empty_store.db.name
    assert empty.status is Status.WARN
    assert (
        empty.detail.startswith(f"database {name} on ") and "0 email logs, 0 files" in empty.detail
    )
    empty_store.emaillogs.insert_many([{"messageId": "m1"}, {"messageId": "m2"}])
    empty_store.files.insert_one({"key": "k"})
    used = doctor(provisioned, aws, empty_store).get("mongodb")
    assert used.status is Status.PASS and "2 email logs, 1 file" in used.detail

    differs = provisioned.model_copy(
        update={"mongodb_uri": "mongodb://db.example/depllc-crm", "mongodb_db": "crm"}
    )
    check = doctor(differs, aws, empty_store).get("mongodb")
    assert check.status is Status.WARN
    assert "MONGODB_DB (crm) differs from the database MONGODB_URI names (depllc-crm)" in (
        check.detail
    )


def test_the_operator_check_says_who_the_console_acts_as(
    provisioned: Settings, aws: AwsClients, empty_store: Store
) -> None:
    arn = "arn:aws:sts::123456789012:user/moto"

    def check() -> Any:
        return doctor(provisioned, aws, empty_store).get("operator")

    first = check()
    assert first.status is Status.WARN and "no operators list yet" in first.detail
    assert "depllc operators add" in first.fix
    entry = {"arn": arn, "role": "admin", "addedBy": arn, "addedAt": dt.datetime.now(dt.UTC)}
    empty_store.operators.insert_one(entry)
    listed = check()
    assert listed.status is Status.WARN and "no CRM user id" in listed.detail
    empty_store.operators.update_one({"arn": arn}, {"$set": {"crmUserId": "64f0c0ffee"}})
    assert check().status is Status.PASS and "CRM user 64f0c0ffee" in check().detail
    empty_store.operators.update_one({"arn": arn}, {"$set": {"arn": "arn:aws:iam::1:user/x"}})
    assert "not in the operators list" in check().detail

    overridden = doctor(provisioned.model_copy(update={"depllc_role": "admin"}), aws, empty_store)
    assert overridden.get("operator").status is Status.FAIL
    assert "only in the sandbox" in overridden.get("operator").detail
