"""The AWS operations the console calls (against a real account), and the IAM actions
and resources each one needs. `depllc iam-policy` is built from this; a test scans
core/ (core/setup/callscan.py) and fails when the code calls an operation that is not
listed here, or this lists one the code no longer calls.

The sandbox's own calls (core/sandbox*.py, core/seed/, the mailbox simulator) go to the
local moto server only and are not listed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    """Which resources of the settings an action is scoped to."""

    BUCKET = "bucket"  # arn:aws:s3:::bucket
    OBJECTS = "objects"  # arn:aws:s3:::bucket/*
    QUEUES = "queues"  # the events queue and its dead-letter queue
    TOPIC = "topic"  # the events topic
    SEND = "send"  # the sender identities, the configuration set, templates
    ACCOUNT = "account"  # actions without resource-level permissions: "*"
    NONE = "none"  # needs no permission (sts:GetCallerIdentity)


@dataclass(frozen=True)
class Op:
    actions: tuple[str, ...]
    scope: Scope


def _op(scope: Scope, *actions: str) -> Op:
    return Op(tuple(actions), scope)


# Every operation the console might call, with what IAM wants for it. S3 names differ
# from the API's (HeadBucket is s3:ListBucket, a versioned GET is s3:GetObjectVersion).
KNOWN: dict[str, dict[str, Op]] = {
    "s3": {
        "abort_multipart_upload": _op(Scope.OBJECTS, "s3:AbortMultipartUpload"),
        "complete_multipart_upload": _op(Scope.OBJECTS, "s3:PutObject"),
        "copy_object": _op(Scope.OBJECTS, "s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"),
        "create_bucket": _op(Scope.BUCKET, "s3:CreateBucket"),
        "create_multipart_upload": _op(Scope.OBJECTS, "s3:PutObject"),
        "delete_object": _op(Scope.OBJECTS, "s3:DeleteObject", "s3:DeleteObjectVersion"),
        "delete_objects": _op(Scope.OBJECTS, "s3:DeleteObject", "s3:DeleteObjectVersion"),
        "get_bucket_encryption": _op(Scope.BUCKET, "s3:GetEncryptionConfiguration"),
        "get_bucket_lifecycle_configuration": _op(Scope.BUCKET, "s3:GetLifecycleConfiguration"),
        "get_bucket_location": _op(Scope.BUCKET, "s3:GetBucketLocation"),
        "get_bucket_policy": _op(Scope.BUCKET, "s3:GetBucketPolicy"),
        "get_bucket_versioning": _op(Scope.BUCKET, "s3:GetBucketVersioning"),
        "get_object": _op(Scope.OBJECTS, "s3:GetObject", "s3:GetObjectVersion"),
        "get_object_attributes": _op(
            Scope.OBJECTS, "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"
        ),
        "get_object_tagging": _op(
            Scope.OBJECTS, "s3:GetObjectTagging", "s3:GetObjectVersionTagging"
        ),
        "get_public_access_block": _op(Scope.BUCKET, "s3:GetBucketPublicAccessBlock"),
        "head_bucket": _op(Scope.BUCKET, "s3:ListBucket"),
        "head_object": _op(Scope.OBJECTS, "s3:GetObject", "s3:GetObjectVersion"),
        "list_multipart_uploads": _op(Scope.BUCKET, "s3:ListBucketMultipartUploads"),
        "list_object_versions": _op(Scope.BUCKET, "s3:ListBucketVersions"),
        "list_objects_v2": _op(Scope.BUCKET, "s3:ListBucket"),
        "list_parts": _op(Scope.OBJECTS, "s3:ListMultipartUploadParts"),
        "put_bucket_encryption": _op(Scope.BUCKET, "s3:PutEncryptionConfiguration"),
        "put_bucket_lifecycle_configuration": _op(Scope.BUCKET, "s3:PutLifecycleConfiguration"),
        "put_bucket_policy": _op(Scope.BUCKET, "s3:PutBucketPolicy"),
        "put_bucket_versioning": _op(Scope.BUCKET, "s3:PutBucketVersioning"),
        "put_object": _op(Scope.OBJECTS, "s3:PutObject"),
        "put_object_tagging": _op(Scope.OBJECTS, "s3:PutObjectTagging"),
        "put_public_access_block": _op(Scope.BUCKET, "s3:PutBucketPublicAccessBlock"),
        "upload_part": _op(Scope.OBJECTS, "s3:PutObject"),
        "upload_part_copy": _op(Scope.OBJECTS, "s3:PutObject", "s3:GetObject"),
    },
    "ses": {
        "create_configuration_set": _op(Scope.ACCOUNT, "ses:CreateConfigurationSet"),
        "create_configuration_set_event_destination": _op(
            Scope.ACCOUNT, "ses:CreateConfigurationSetEventDestination"
        ),
        "describe_configuration_set": _op(Scope.ACCOUNT, "ses:DescribeConfigurationSet"),
        "get_identity_dkim_attributes": _op(Scope.ACCOUNT, "ses:GetIdentityDkimAttributes"),
        "get_identity_verification_attributes": _op(
            Scope.ACCOUNT, "ses:GetIdentityVerificationAttributes"
        ),
        "get_send_quota": _op(Scope.ACCOUNT, "ses:GetSendQuota"),
        "get_send_statistics": _op(Scope.ACCOUNT, "ses:GetSendStatistics"),
        "get_template": _op(Scope.ACCOUNT, "ses:GetTemplate"),
        "list_identities": _op(Scope.ACCOUNT, "ses:ListIdentities"),
        "list_templates": _op(Scope.ACCOUNT, "ses:ListTemplates"),
        "send_bulk_templated_email": _op(Scope.SEND, "ses:SendBulkTemplatedEmail"),
        "send_email": _op(Scope.SEND, "ses:SendEmail"),
        "send_raw_email": _op(Scope.SEND, "ses:SendRawEmail"),
        "send_templated_email": _op(Scope.SEND, "ses:SendTemplatedEmail"),
        "set_identity_dkim_enabled": _op(Scope.ACCOUNT, "ses:SetIdentityDkimEnabled"),
        "test_render_template": _op(Scope.ACCOUNT, "ses:TestRenderTemplate"),
        "update_configuration_set_event_destination": _op(
            Scope.ACCOUNT, "ses:UpdateConfigurationSetEventDestination"
        ),
        "verify_domain_dkim": _op(Scope.ACCOUNT, "ses:VerifyDomainDkim"),
        "verify_domain_identity": _op(Scope.ACCOUNT, "ses:VerifyDomainIdentity"),
        "verify_email_identity": _op(Scope.ACCOUNT, "ses:VerifyEmailIdentity"),
    },
    "sesv2": {
        "get_account": _op(Scope.ACCOUNT, "ses:GetAccount"),
        "get_email_identity": _op(Scope.SEND, "ses:GetEmailIdentity"),
        # SendEmail with Raw content is authorised as SendRawEmail by some accounts'
        # policies; both are scoped to the sender identities.
        "send_email": _op(Scope.SEND, "ses:SendEmail", "ses:SendRawEmail"),
    },
    "sns": {
        "create_topic": _op(Scope.TOPIC, "sns:CreateTopic"),
        "get_topic_attributes": _op(Scope.TOPIC, "sns:GetTopicAttributes"),
        "list_subscriptions_by_topic": _op(Scope.TOPIC, "sns:ListSubscriptionsByTopic"),
        "publish": _op(Scope.TOPIC, "sns:Publish"),
        "subscribe": _op(Scope.TOPIC, "sns:Subscribe"),
    },
    "sqs": {
        "change_message_visibility": _op(Scope.QUEUES, "sqs:ChangeMessageVisibility"),
        "change_message_visibility_batch": _op(Scope.QUEUES, "sqs:ChangeMessageVisibility"),
        "create_queue": _op(Scope.QUEUES, "sqs:CreateQueue"),
        "delete_message": _op(Scope.QUEUES, "sqs:DeleteMessage"),
        "delete_message_batch": _op(Scope.QUEUES, "sqs:DeleteMessage"),
        "get_queue_attributes": _op(Scope.QUEUES, "sqs:GetQueueAttributes"),
        "get_queue_url": _op(Scope.QUEUES, "sqs:GetQueueUrl"),
        "receive_message": _op(Scope.QUEUES, "sqs:ReceiveMessage"),
        "send_message": _op(Scope.QUEUES, "sqs:SendMessage"),
        "send_message_batch": _op(Scope.QUEUES, "sqs:SendMessage"),
        "set_queue_attributes": _op(Scope.QUEUES, "sqs:SetQueueAttributes"),
    },
    "sts": {
        "get_caller_identity": _op(Scope.NONE),
    },
}

# What the console calls today (kept equal to the code by tests/core/setup/test_iam.py:
# rerun it after adding an AWS call, and add the operation here).
USED: dict[str, frozenset[str]] = {
    "s3": frozenset(
        {
            "abort_multipart_upload",
            "complete_multipart_upload",
            "copy_object",
            "create_bucket",
            "create_multipart_upload",
            "delete_object",
            "delete_objects",
            "get_bucket_encryption",
            "get_bucket_lifecycle_configuration",
            "get_bucket_policy",
            "get_bucket_versioning",
            "get_object",
            "get_public_access_block",
            "head_bucket",
            "head_object",
            "list_multipart_uploads",
            "list_object_versions",
            "list_objects_v2",
            "put_bucket_encryption",
            "put_bucket_lifecycle_configuration",
            "put_bucket_policy",
            "put_bucket_versioning",
            "put_object",
            "put_public_access_block",
            "upload_part",
        }
    ),
    "ses": frozenset(
        {
            "create_configuration_set",
            "create_configuration_set_event_destination",
            "describe_configuration_set",
            "get_identity_dkim_attributes",
            "get_identity_verification_attributes",
            "get_send_quota",
            "get_send_statistics",
            "get_template",
            "list_templates",
            "send_bulk_templated_email",
            "send_templated_email",
            "set_identity_dkim_enabled",
            "test_render_template",
            "update_configuration_set_event_destination",
            "verify_domain_dkim",
            "verify_domain_identity",
            "verify_email_identity",
        }
    ),
    "sesv2": frozenset({"get_account", "send_email"}),
    "sns": frozenset(
        {"create_topic", "get_topic_attributes", "list_subscriptions_by_topic", "subscribe"}
    ),
    "sqs": frozenset(
        {
            "create_queue",
            "delete_message_batch",
            "get_queue_attributes",
            "get_queue_url",
            "receive_message",
            "set_queue_attributes",
        }
    ),
    "sts": frozenset({"get_caller_identity"}),
}

# The writes only `depllc setup` makes (every call site is in core/setup/; the doctor
# only reads): `depllc iam-policy --no-setup` leaves them out for day-to-day operators.
SETUP_ONLY: dict[str, frozenset[str]] = {
    "s3": frozenset(
        {
            "create_bucket",
            "put_bucket_encryption",
            "put_bucket_lifecycle_configuration",
            "put_bucket_policy",
            "put_bucket_versioning",
            "put_public_access_block",
        }
    ),
    "ses": frozenset(
        {
            "create_configuration_set",
            "create_configuration_set_event_destination",
            "set_identity_dkim_enabled",
            "update_configuration_set_event_destination",
            "verify_domain_dkim",
            "verify_domain_identity",
            "verify_email_identity",
        }
    ),
    "sns": frozenset({"create_topic", "subscribe"}),
    "sqs": frozenset({"create_queue", "set_queue_attributes"}),
}


def used_operations(include_setup: bool = True) -> list[tuple[str, str, Op]]:
    """(service, operation, Op) for every operation the console calls."""
    rows = []
    for service, operations in sorted(USED.items()):
        skip = SETUP_ONLY.get(service, frozenset()) if not include_setup else frozenset()
        for operation in sorted(operations - skip):
            rows.append((service, operation, KNOWN[service][operation]))
    return rows


def iam_actions_for_operation(operation_name: str) -> list[str]:
    """IAM actions for an API operation name as botocore reports it (`HeadBucket`)."""
    from botocore import xform_name

    snake = xform_name(operation_name)
    actions: list[str] = []
    for operations in KNOWN.values():
        op = operations.get(snake)
        if op is not None:
            actions += [a for a in op.actions if a not in actions]
    return actions
