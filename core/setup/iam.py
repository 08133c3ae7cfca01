"""The least-privilege IAM policy for the console's own calls: built from the
operations the code uses (core/setup/operations.py), scoped to the bucket, queues,
topic, sender identities and configuration set named by the settings."""

from __future__ import annotations

from typing import Any

from core.setup.operations import Scope, used_operations
from core.setup.targets import Account, Arns, Targets

SIDS = {
    Scope.BUCKET: "DepllcS3Bucket",
    Scope.OBJECTS: "DepllcS3Objects",
    Scope.QUEUES: "DepllcSqsEventsQueues",
    Scope.TOPIC: "DepllcSnsEventsTopic",
    Scope.SEND: "DepllcSesSend",
    Scope.ACCOUNT: "DepllcSesAccountLevel",
}
UNKNOWN_ACCOUNT = Account(account_id="*", arn="arn:aws:iam::*:root")


def scope_resources(scope: Scope, arns: Arns) -> list[str]:
    t = arns.targets
    if scope is Scope.BUCKET:
        return [arns.bucket]
    if scope is Scope.OBJECTS:
        return [arns.objects]
    if scope is Scope.QUEUES:
        return [arns.queue, arns.dlq]
    if scope is Scope.TOPIC:
        return [arns.topic]
    if scope is Scope.SEND:
        identities = dict.fromkeys([t.sender, t.sender_domain])
        return [
            *(arns.identity(i) for i in identities),
            arns.config_set,
            arns.arn("ses", t.region, "template/*"),
        ]
    return ["*"]


def kms_statement(targets: Targets, arns: Arns) -> dict[str, Any]:
    """SSE-KMS uploads and downloads need the key: GenerateDataKey and Decrypt, only
    through S3 in the bucket's region."""
    key = targets.kms_key_id
    if key and key.startswith("arn:"):
        resource = key
    elif key and not key.startswith("alias/"):
        resource = arns.arn("kms", targets.s3_region, f"key/{key}")
    else:
        resource = arns.arn("kms", targets.s3_region, "key/*")
    return {
        "Sid": "DepllcKmsForS3",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": resource,
        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{targets.s3_region}.amazonaws.com"}},
    }


def build_policy(
    targets: Targets, account: Account | None = None, include_setup: bool = True
) -> dict[str, Any]:
    """The policy document. Without an account (no credentials) ARNs use `*` there."""
    arns = Arns(targets, account or UNKNOWN_ACCOUNT)
    actions: dict[Scope, set[str]] = {}
    for _service, _operation, op in used_operations(include_setup):
        if op.scope is Scope.NONE:
            continue
        actions.setdefault(op.scope, set()).update(op.actions)
    statements: list[dict[str, Any]] = []
    for scope, sid in SIDS.items():
        if scope in actions:
            resources = scope_resources(scope, arns)
            statements.append(
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Action": sorted(actions[scope]),
                    "Resource": resources[0] if len(resources) == 1 else resources,
                }
            )
    if targets.sse == "aws:kms" and Scope.OBJECTS in actions:
        statements.append(kms_statement(targets, arns))
    return {"Version": "2012-10-17", "Statement": statements}


def policy_actions(policy: dict[str, Any]) -> set[str]:
    """Every action a policy document allows."""
    found: set[str] = set()
    for statement in policy.get("Statement", []):
        if statement.get("Effect") == "Allow":
            action = statement.get("Action", [])
            found.update([action] if isinstance(action, str) else action)
    return found
