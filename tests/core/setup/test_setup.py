"""`depllc setup` against moto: from empty it creates everything; a second run changes
nothing (and planning never writes); breaking one piece and rerunning restores only
that piece, keeping what others put in the bucket and queue policies."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.aws import AwsClients
from core.db import Store
from core.errors import ConfigError, InputError, ServiceError, StoreUnavailableError
from core.setup.apply import ApplyResult, apply_plan, build_plan
from core.setup.context import SetupContext
from core.setup.plan import Action, Plan
from core.setup.ses import ALL_EVENT_TYPES
from core.setup.targets import (
    DEFAULT_EVENTS_NAME,
    EVENT_DESTINATION,
    LIFECYCLE_RULE_ID,
    QUEUE_POLICY_SID,
    TLS_POLICY_SID,
)
from tests.core.setup.conftest import BUCKET, Faults, changed

TOPIC_ARN = f"arn:aws:sns:us-east-1:123456789012:{DEFAULT_EVENTS_NAME}"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:123456789012:{DEFAULT_EVENTS_NAME}"
DLQ_ARN = f"{QUEUE_ARN}-dlq"

Run = Callable[[], tuple[Plan, ApplyResult]]


def queue_url(aws: AwsClients, name: str = DEFAULT_EVENTS_NAME) -> str:
    return str(aws.sqs.get_queue_url(QueueName=name)["QueueUrl"])


def queue_attrs(aws: AwsClients) -> dict[str, str]:
    return dict(
        aws.sqs.get_queue_attributes(QueueUrl=queue_url(aws), AttributeNames=["All"])["Attributes"]
    )


def test_setup_from_empty_creates_everything(
    run_setup: Run, aws: AwsClients, empty_store: Store, config_path: Path
) -> None:
    plan, result = run_setup()
    assert plan.steps and all(s.action is Action.CREATE for s in plan.steps), plan.render()
    assert len(result.applied) == len(plan.steps)

    s3 = aws.s3
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    (tls,) = [s for s in policy["Statement"] if s["Sid"] == TLS_POLICY_SID]
    assert tls["Effect"] == "Deny" and tls["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    assert set(tls["Resource"]) == {f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"}
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert rule["ID"] == LIFECYCLE_RULE_ID
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90

    identities = aws.ses.list_identities()["Identities"]
    assert "noreply@depllc.example" in identities
    conf = aws.ses.describe_configuration_set(
        ConfigurationSetName="depllc-crm-emails",
        ConfigurationSetAttributeNames=["eventDestinations"],
    )
    (dest,) = conf["EventDestinations"]
    assert dest["Name"] == EVENT_DESTINATION and dest["Enabled"]
    assert set(dest["MatchingEventTypes"]) == set(ALL_EVENT_TYPES)
    assert dest["SNSDestination"]["TopicARN"] == TOPIC_ARN

    attrs = queue_attrs(aws)
    assert json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"] == DLQ_ARN
    (allow,) = json.loads(attrs["Policy"])["Statement"]
    assert allow["Sid"] == QUEUE_POLICY_SID
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": TOPIC_ARN}}
    subs = aws.sns.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("sqs", QUEUE_ARN)]

    assert empty_store.missing_indexes() == []
    assert {"suppressions", "auditlog"} <= set(empty_store.db.list_collection_names())

    written = tomllib.loads(config_path.read_text())
    assert written["aws_s3_bucket"] == BUCKET
    assert written["ses_events_queue_url"] == queue_url(aws)
    assert written["ses_configuration_set"] == "depllc-crm-emails"
    assert config_path.stat().st_mode & 0o777 == 0o600
    assert any("verification link" in note for note in result.notes)


def test_second_run_changes_nothing_and_planning_never_writes(
    run_setup: Run, new_context: Callable[..., SetupContext], aws: AwsClients
) -> None:
    run_setup()
    calls: list[str] = []

    def record(model: Any, **_kwargs: Any) -> None:
        calls.append(model.name)

    for client in (aws.s3, aws.ses, aws.sqs, aws.sns):
        client.meta.events.register("before-call", record)
    plan = build_plan(new_context())
    assert plan.changes == [], plan.render()
    assert "No changes" in plan.render()
    readers = ("Get", "Head", "List", "Describe")
    assert calls and all(name.startswith(readers) for name in calls), calls
    assert apply_plan(plan).applied == []


def test_dry_run_plan_of_an_empty_account_changes_nothing(
    new_context: Callable[..., SetupContext], aws: AwsClients, empty_store: Store
) -> None:
    plan = build_plan(new_context())
    assert len(plan.changes) == len(plan.steps)
    assert aws.s3.list_buckets()["Buckets"] == []
    assert aws.sqs.list_queues().get("QueueUrls", []) == []
    assert empty_store.db.list_collection_names() == []


def _delete_configuration_set(aws: AwsClients) -> None:
    """Delete the set as SES does (with its event destinations). moto keeps the
    destinations of a deleted set (and checks their names account-wide), so drop them
    from moto's backend too."""
    from moto.ses.models import ses_backends

    aws.ses.delete_configuration_set(ConfigurationSetName="depllc-crm-emails")
    backend = ses_backends["123456789012"]["us-east-1"]
    gone = backend.config_set_event_destination.pop("depllc-crm-emails", None)
    if gone:
        backend.event_destinations.pop(gone["Name"], None)


def _delete_queue(aws: AwsClients, name: str) -> None:
    aws.sqs.delete_queue(QueueUrl=queue_url(aws, name))


BREAKERS: dict[str, tuple[Callable[[AwsClients, Store, Path], None], set[tuple[str, str]]]] = {
    "versioning suspended": (
        lambda aws, _s, _p: aws.s3.put_bucket_versioning(
            Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"}
        ),
        {("s3 bucket", "versioning")},
    ),
    "encryption removed": (
        lambda aws, _s, _p: aws.s3.delete_bucket_encryption(Bucket=BUCKET),
        {("s3 bucket", "encryption")},
    ),
    "public access block removed": (
        lambda aws, _s, _p: aws.s3.delete_public_access_block(Bucket=BUCKET),
        {("s3 bucket", "public access")},
    ),
    "bucket policy removed": (
        lambda aws, _s, _p: aws.s3.delete_bucket_policy(Bucket=BUCKET),
        {("s3 bucket", "TLS-only policy")},
    ),
    "lifecycle removed": (
        lambda aws, _s, _p: aws.s3.delete_bucket_lifecycle(Bucket=BUCKET),
        {("s3 bucket", "lifecycle")},
    ),
    "sender identity removed": (
        lambda aws, _s, _p: aws.ses.delete_identity(Identity="noreply@depllc.example"),
        {("ses sender", "verification")},
    ),
    "configuration set removed": (
        lambda aws, _s, _p: _delete_configuration_set(aws),
        {("ses configuration", "configuration set"), ("ses configuration", "event destination")},
    ),
    "subscription removed": (
        lambda aws, _s, _p: aws.sns.unsubscribe(
            SubscriptionArn=aws.sns.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)[
                "Subscriptions"
            ][0]["SubscriptionArn"]
        ),
        {("sns topic", "subscription")},
    ),
    "topic removed": (
        lambda aws, _s, _p: aws.sns.delete_topic(TopicArn=TOPIC_ARN),
        {("sns topic", "topic"), ("sns topic", "subscription")},
    ),
    "dead-letter queue removed": (
        lambda aws, _s, _p: _delete_queue(aws, f"{DEFAULT_EVENTS_NAME}-dlq"),
        {("sqs queue", "dead-letter queue")},
    ),
    "queue removed": (
        lambda aws, _s, _p: _delete_queue(aws, DEFAULT_EVENTS_NAME),
        {("sqs queue", "queue"), ("sqs queue", "redrive"), ("sqs queue", "policy")},
    ),
    "index dropped": (
        lambda _a, store, _p: store.emaillogs.drop_index("messageId_1"),
        {("mongodb " + "x", "indexes")},
    ),
    "config file key removed": (
        lambda _a, _s, path: path.write_text(
            "\n".join(
                line
                for line in path.read_text().splitlines()
                if not line.startswith("ses_events_queue_url")
            )
        ),
        {("config file", "settings")},
    ),
}


@pytest.mark.parametrize("piece", list(BREAKERS))
def test_rerun_restores_only_the_broken_piece(
    piece: str,
    run_setup: Run,
    new_context: Callable[..., SetupContext],
    aws: AwsClients,
    empty_store: Store,
    config_path: Path,
) -> None:
    run_setup()
    breaker, expected = BREAKERS[piece]
    breaker(aws, empty_store, config_path)
    plan = build_plan(new_context())
    got = changed(plan)
    if piece == "index dropped":
        expected = {(f"mongodb {empty_store.db.name}", "indexes")}
    assert got == expected, plan.render()
    apply_plan(plan)
    again = build_plan(new_context())
    assert again.changes == [], again.render()


def test_existing_bucket_policy_statements_are_kept(
    run_setup: Run, new_context: Callable[..., SetupContext], aws: AwsClients
) -> None:
    run_setup()
    other = {
        "Sid": "CrmWebAppReads",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:role/crm-web"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    aws.s3.put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [other]})
    )
    plan = build_plan(new_context())
    assert changed(plan) == {("s3 bucket", "TLS-only policy")}
    assert "keeping 1 other" in plan.render()
    apply_plan(plan)
    sids = [
        s["Sid"] for s in json.loads(aws.s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    ]
    assert sids == ["CrmWebAppReads", TLS_POLICY_SID]


def test_existing_lifecycle_rules_are_kept_and_ours_updated(
    run_setup: Run, new_context: Callable[..., SetupContext], aws: AwsClients
) -> None:
    run_setup()
    archive = {
        "ID": "archive-exports",
        "Status": "Enabled",
        "Filter": {"Prefix": "exports/"},
        "Expiration": {"Days": 365},
    }
    aws.s3.put_bucket_lifecycle_configuration(
        Bucket=BUCKET, LifecycleConfiguration={"Rules": [archive]}
    )
    plan = build_plan(new_context(s3_noncurrent_days=30))
    assert changed(plan) == {("s3 bucket", "lifecycle")}
    apply_plan(plan)
    rules = {r["ID"]: r for r in aws.s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]}
    assert set(rules) == {"archive-exports", LIFECYCLE_RULE_ID}
    assert rules[LIFECYCLE_RULE_ID]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert build_plan(new_context(s3_noncurrent_days=30)).changes == []


def test_queue_policy_allowing_others_is_narrowed_to_the_topic(
    run_setup: Run, new_context: Callable[..., SetupContext], aws: AwsClients
) -> None:
    run_setup()
    wide = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sqs:SendMessage",
                "Resource": QUEUE_ARN,
            },
            {"Sid": "NoPlainHttp", "Effect": "Deny", "Principal": "*", "Action": "sqs:*"},
        ],
    }
    aws.sqs.set_queue_attributes(QueueUrl=queue_url(aws), Attributes={"Policy": json.dumps(wide)})
    plan = build_plan(new_context())
    assert changed(plan) == {("sqs queue", "policy")}
    apply_plan(plan)
    statements = json.loads(queue_attrs(aws)["Policy"])["Statement"]
    assert [s.get("Sid") for s in statements] == ["NoPlainHttp", QUEUE_POLICY_SID]


def test_kms_encryption_setting_updates_the_bucket(
    run_setup: Run, new_context: Callable[..., SetupContext], aws: AwsClients
) -> None:
    run_setup()
    plan = build_plan(new_context(s3_sse="aws:kms", s3_kms_key_id="alias/depllc"))
    assert changed(plan) == {("s3 bucket", "encryption")}
    apply_plan(plan)
    rule = aws.s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"][
        "Rules"
    ][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": "alias/depllc",
    }
    assert rule["BucketKeyEnabled"] is True


def test_verify_domain_requests_a_dns_record(
    setup_settings: Any, aws: AwsClients, empty_store: Store, config_path: Path
) -> None:
    from core.setup.apply import make_context

    ctx = make_context(setup_settings, aws, empty_store, config_path, verify_domain=True)
    plan = build_plan(ctx)
    (step,) = [s for s in plan.steps if s.resource.startswith("ses sender")]
    assert "domain depllc.example" in step.detail
    result = apply_plan(plan)
    (note,) = [n for n in result.notes if n.startswith("Domain depllc.example")]
    name, kind, token = note.splitlines()[1].split()  # one line to paste: name TYPE value
    assert (name, kind) == ("_amazonses.depllc.example", "TXT") and token
    assert "depllc.example" in aws.ses.list_identities()["Identities"]


def test_pending_verification_is_a_warning_not_a_change(
    run_setup: Run, new_context: Callable[..., SetupContext], aws: AwsClients, faults: Faults
) -> None:
    run_setup()
    faults.answer(
        aws.ses,
        "GetIdentityVerificationAttributes",
        {
            "VerificationAttributes": {"noreply@depllc.example": {"VerificationStatus": "Pending"}},
            "ResponseMetadata": {"HTTPStatusCode": 200},
        },
        200,
    )
    plan = build_plan(new_context())
    assert plan.changes == []
    (warning,) = plan.warnings
    assert "open the link AWS emailed to noreply@depllc.example" in warning.warning


def test_bucket_name_taken_by_another_account_is_a_clear_error(
    new_context: Callable[..., SetupContext], aws: AwsClients, faults: Faults
) -> None:
    plan = build_plan(new_context())
    faults.fail(aws.s3, "CreateBucket", "BucketAlreadyExists", status=409)
    with pytest.raises(ServiceError) as err:
        apply_plan(plan)
    assert "taken by another AWS account" in str(err.value)
    assert "AWS_S3_BUCKET" in str(err.value)


def test_bucket_owned_elsewhere_is_refused_before_any_change(
    new_context: Callable[..., SetupContext], aws: AwsClients, faults: Faults
) -> None:
    faults.fail(aws.s3, "HeadBucket", "403", status=403)
    with pytest.raises(ServiceError, match="not in account 123456789012"):
        build_plan(new_context())
    assert aws.s3.list_buckets()["Buckets"] == []


def test_a_denied_step_stops_setup_naming_the_step_and_action(
    new_context: Callable[..., SetupContext], aws: AwsClients, faults: Faults
) -> None:
    plan = build_plan(new_context())
    faults.fail(aws.s3, "PutBucketPolicy", "AccessDenied")
    with pytest.raises(ServiceError) as err:
        apply_plan(plan)
    text = str(err.value)
    assert "TLS-only policy" in text and "s3:PutBucketPolicy" in text
    assert "rerun `depllc setup`" in text
    faults.undo()
    rest = build_plan(new_context())
    assert changed(rest) >= {("s3 bucket", "TLS-only policy")}
    assert ("s3 bucket", "bucket") not in changed(rest)  # what was done stays done


@pytest.mark.parametrize(
    ("overrides", "error", "text"),
    [
        ({"aws_s3_bucket": "Bad_Bucket"}, InputError, "not a valid bucket name"),
        ({"aws_s3_bucket": "192.168.1.1"}, InputError, "IP address"),
        ({"aws_s3_bucket": None}, ConfigError, "AWS_S3_BUCKET is not set"),
        ({"aws_ses_from_email": "not-an-address"}, InputError, "AWS_SES_FROM_EMAIL"),
        ({"ses_configuration_set": "has spaces"}, InputError, "SES_CONFIGURATION_SET"),
        ({"aws_region": "xx-nowhere-1"}, ConfigError, "SES is not available in xx-nowhere-1"),
    ],
)
def test_invalid_settings_are_refused_before_any_call(
    new_context: Callable[..., SetupContext],
    overrides: dict[str, Any],
    error: type[Exception],
    text: str,
) -> None:
    with pytest.raises(error, match=text):
        new_context(**overrides)


def test_unreachable_mongodb_stops_setup_before_aws_changes(
    setup_settings: Any, aws: AwsClients, config_path: Path
) -> None:
    from core.db import connect
    from core.setup.apply import make_context

    down = connect("mongodb://127.0.0.1:9", "depllc", timeout_ms=200)
    ctx = make_context(setup_settings, aws, down, config_path)
    with pytest.raises(StoreUnavailableError, match="MongoDB is unreachable"):
        build_plan(ctx)
    assert aws.s3.list_buckets()["Buckets"] == []


def test_a_denied_read_stops_planning_naming_the_action(
    new_context: Callable[..., SetupContext], aws: AwsClients, faults: Faults
) -> None:
    aws.s3.create_bucket(Bucket=BUCKET)
    faults.fail(aws.s3, "GetBucketVersioning", "AccessDenied")
    with pytest.raises(ServiceError) as err:
        build_plan(new_context())
    text = str(err.value)
    assert "Cannot read the bucket" in text and "s3:GetBucketVersioning" in text
    assert "Nothing was changed" in text


def test_a_config_file_with_comments_says_they_are_not_kept(
    run_setup: Run, new_context: Callable[..., SetupContext], config_path: Path
) -> None:
    run_setup()
    config_path.write_text('# my notes\ndepllc_role = "admin"\n')
    plan = build_plan(new_context())
    (step,) = plan.changes
    assert "comments are not kept" in step.detail
    apply_plan(plan)
    written = tomllib.loads(config_path.read_text())
    assert written["depllc_role"] == "admin" and written["aws_s3_bucket"] == BUCKET


def test_setup_offers_the_migration_of_logs_the_crm_refuses(
    run_setup: Run, empty_store: Store
) -> None:
    """Logs written before the console kept to the guide's six event types (and failed
    sends without a send event) are migrated by setup, once, keeping SES's details."""
    from bson import ObjectId

    from core.events.apply import REV_FIELD

    at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    base = {
        "to": ["ana@client.example"],
        "from": "noreply@depllc.example",
        "subject": "Invoice",
        "category": "notification",
        "size": 100,
        "createdAt": at,
        "updatedAt": at,
    }
    rejected, failed, fine = ObjectId(), ObjectId(), ObjectId()
    empty_store.emaillogs.insert_many(
        [
            {
                **base,
                "_id": rejected,
                "messageId": "m-1",
                "status": "failed",
                REV_FIELD: 3,
                "events": [
                    {"type": "send", "timestamp": at, "metadata": {"sesMessageId": "m-1"}},
                    {"type": "reject", "timestamp": at, "metadata": {"reason": "Bad content"}},
                    {"type": "deliveryDelay", "timestamp": at, "metadata": None},
                ],
            },
            {**base, "_id": failed, "messageId": "q-2", "status": "failed", "error": "Throttled"},
            {**base, "_id": fine, "messageId": "m-3", "status": "sent", "events": []},
        ]
    )
    plan, result = run_setup()
    (step,) = [s for s in plan.steps if s.aspect == "email logs"]
    assert step.action is Action.UPDATE and step.current.startswith("2 ")
    assert step in result.applied
    events = empty_store.emaillogs.find_one({"_id": rejected})["events"]
    assert [(e["type"], e["metadata"]) for e in events] == [
        ("send", {"sesMessageId": "m-1"}),
        ("send", {"sesEventType": "Reject", "reason": "Bad content"}),
        ("send", {"sesEventType": "DeliveryDelay"}),
    ]
    (event,) = empty_store.emaillogs.find_one({"_id": failed})["events"]
    assert (event["type"], event["metadata"]) == ("send", {"error": "Throttled"})
    assert empty_store.emaillogs.find_one({"_id": fine})["events"] == []
    again, _ = run_setup()
    (step,) = [s for s in again.steps if s.aspect == "email logs"]
    assert step.action is Action.NONE
