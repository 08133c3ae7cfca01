"""The S3 bucket: exists (and is ours), versioning, default encryption, public access
blocked, the guide's deny-insecure-transport policy (merged into any existing policy),
and a housekeeping lifecycle rule (merged with the bucket's other rules)."""

from __future__ import annotations

import json
from typing import Any

from core.errors import ConfigError, InputError, ServiceError
from core.setup.awserr import error_code, has_code
from core.setup.context import SetupContext
from core.setup.plan import Action, Step
from core.setup.targets import (
    ABORT_MULTIPART_DAYS,
    LIFECYCLE_RULE_ID,
    TLS_POLICY_SID,
    Arns,
    Targets,
)

NEW = "(new bucket)"
PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def taken_error(bucket: str) -> ServiceError:
    return ServiceError(
        f"The bucket name {bucket!r} is taken by another AWS account "
        "(bucket names are global across all accounts).",
        "Choose another AWS_S3_BUCKET (e.g. add your company or account id) and rerun.",
    )


def bucket_exists(ctx: SetupContext) -> bool:
    """True when the bucket exists in this account; raise a clear error when the name
    belongs to someone else or lives in another region."""
    bucket = ctx.targets.bucket
    try:
        ctx.aws.s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=ctx.account.account_id)
        return True
    except Exception as exc:
        code = error_code(exc)
        if code in {"404", "NoSuchBucket", "NotFound"}:
            return False
        if code in {"301", "PermanentRedirect"}:
            response: Any = getattr(exc, "response", {})
            headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            region = headers.get("x-amz-bucket-region", "another region")
            raise ConfigError(
                f"The bucket {bucket!r} exists in {region}, not in {ctx.targets.s3_region}.",
                f"Set AWS_S3_REGION={region} and rerun.",
            ) from exc
        if code in {"403", "Forbidden", "AccessDenied"}:
            raise ServiceError(
                f"The bucket {bucket!r} exists but not in account {ctx.account.account_id}: "
                "its name is taken by another AWS account, or this account lacks "
                "s3:ListBucket on it.",
                "Choose another AWS_S3_BUCKET, or attach the policy from `depllc iam-policy`.",
            ) from exc
        raise


def create_bucket(ctx: SetupContext) -> str | None:
    t = ctx.targets
    kwargs: dict[str, Any] = {"Bucket": t.bucket}
    if t.s3_region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": t.s3_region}
    try:
        ctx.aws.s3.create_bucket(**kwargs)
    except Exception as exc:
        if has_code(exc, "BucketAlreadyOwnedByYou"):
            return None
        if has_code(exc, "BucketAlreadyExists"):
            raise taken_error(t.bucket) from exc
        if has_code(exc, "InvalidBucketName"):
            raise InputError(f"S3 refused the bucket name {t.bucket!r}.") from exc
        raise
    return None


# --- desired configuration ---------------------------------------------------


def encryption_rule(t: Targets) -> dict[str, Any]:
    default: dict[str, Any] = {"SSEAlgorithm": t.sse}
    if t.kms_key_id:
        default["KMSMasterKeyID"] = t.kms_key_id
    rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
    if t.sse == "aws:kms":
        rule["BucketKeyEnabled"] = True  # fewer KMS calls, lower cost
    return rule


def plain_http(endpoint_url: str | None) -> bool:
    """An S3-compatible endpoint without TLS (the sandbox, a local test server)."""
    return (endpoint_url or "").startswith("http://")


def tls_statement(arns: Arns) -> dict[str, Any]:
    """The guide's DenyInsecureConnections statement, for this bucket."""
    return {
        "Sid": TLS_POLICY_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arns.bucket, arns.objects],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def lifecycle_rule(t: Targets) -> dict[str, Any]:
    return {
        "ID": LIFECYCLE_RULE_ID,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_MULTIPART_DAYS},
        "NoncurrentVersionExpiration": {"NoncurrentDays": t.noncurrent_days},
    }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def denies_insecure_transport(statement: dict[str, Any], arns: Arns) -> bool:
    """Does this statement deny every non-TLS request to the bucket and its objects?"""
    if statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    if principal not in ("*", {"AWS": "*"}):
        return False
    if not {"s3:*", "*"} & set(_as_list(statement.get("Action", []))):
        return False
    resources = set(_as_list(statement.get("Resource", [])))
    if not {arns.bucket, arns.objects} <= resources:
        return False
    cond = statement.get("Condition", {}).get("Bool", {})
    value = cond.get("aws:SecureTransport")
    return str(value).lower() == "false"


def merged_policy(existing: dict[str, Any] | None, arns: Arns) -> dict[str, Any]:
    """The existing policy with our statement replaced or added; others kept as is."""
    policy = dict(existing or {"Version": "2012-10-17"})
    others = [
        s for s in _as_list(policy.get("Statement", [])) if s and s.get("Sid") != TLS_POLICY_SID
    ]
    policy["Statement"] = [*others, tls_statement(arns)]
    policy.setdefault("Version", "2012-10-17")
    return policy


def lifecycle_ok(rule: dict[str, Any], t: Targets) -> bool:
    abort = rule.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation")
    noncurrent = rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
    return bool(
        rule.get("Status") == "Enabled"
        and abort == ABORT_MULTIPART_DAYS
        and noncurrent == t.noncurrent_days
    )


# --- reading the current state -------------------------------------------------


def read_versioning(s3: Any, bucket: str) -> str:
    response = s3.get_bucket_versioning(Bucket=bucket)
    return str(response.get("Status") or "never enabled")


def read_encryption(s3: Any, bucket: str) -> dict[str, Any] | None:
    try:
        response = s3.get_bucket_encryption(Bucket=bucket)
    except Exception as exc:
        if has_code(exc, "ServerSideEncryptionConfigurationNotFoundError"):
            return None
        raise
    rules = response.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    return dict(rules[0]) if rules else None


def encryption_ok(rule: dict[str, Any] | None, t: Targets) -> bool:
    if not rule:
        return False
    default = rule.get("ApplyServerSideEncryptionByDefault", {})
    if default.get("SSEAlgorithm") != t.sse:
        return False
    if t.kms_key_id:
        key = str(default.get("KMSMasterKeyID", ""))
        return key == t.kms_key_id or key.endswith(f"/{t.kms_key_id}")
    return True


def describe_encryption(rule: dict[str, Any] | None) -> str:
    if not rule:
        return "no default encryption"
    default = rule.get("ApplyServerSideEncryptionByDefault", {})
    key = default.get("KMSMasterKeyID")
    return f"{default.get('SSEAlgorithm', '?')}" + (f" key {key}" if key else "")


def read_public_access_block(s3: Any, bucket: str) -> dict[str, Any] | None:
    try:
        response = s3.get_public_access_block(Bucket=bucket)
    except Exception as exc:
        if has_code(exc, "NoSuchPublicAccessBlockConfiguration"):
            return None
        raise
    return dict(response.get("PublicAccessBlockConfiguration", {}))


def read_policy(s3: Any, bucket: str) -> dict[str, Any] | None:
    try:
        response = s3.get_bucket_policy(Bucket=bucket)
    except Exception as exc:
        if has_code(exc, "NoSuchBucketPolicy"):
            return None
        raise
    policy: dict[str, Any] = json.loads(response["Policy"])
    return policy


def read_lifecycle(s3: Any, bucket: str) -> list[dict[str, Any]]:
    try:
        response = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    except Exception as exc:
        if has_code(exc, "NoSuchLifecycleConfiguration"):
            return []
        raise
    return [dict(r) for r in response.get("Rules", [])]


# --- the plan -------------------------------------------------------------------


def plan_bucket(ctx: SetupContext) -> list[Step]:
    t = ctx.targets
    s3 = ctx.aws.s3
    resource = f"s3 bucket {t.bucket}"
    exists = bucket_exists(ctx)
    steps: list[Step] = []
    if exists:
        steps.append(Step(resource, "bucket", f"exists ({t.s3_region})", Action.NONE))
    else:
        steps.append(
            Step(
                resource,
                "bucket",
                "missing",
                Action.CREATE,
                f"create in {t.s3_region}",
                apply=lambda: create_bucket(ctx),
            )
        )

    def enable_versioning() -> None:
        s3.put_bucket_versioning(Bucket=t.bucket, VersioningConfiguration={"Status": "Enabled"})

    versioning = read_versioning(s3, t.bucket) if exists else NEW
    steps.append(
        Step(resource, "versioning", versioning, Action.NONE)
        if versioning == "Enabled"
        else Step(
            resource,
            "versioning",
            versioning,
            Action.CREATE if not exists else Action.UPDATE,
            "enable",
            apply=enable_versioning,
        )
    )

    rule = encryption_rule(t)

    def put_encryption() -> None:
        s3.put_bucket_encryption(
            Bucket=t.bucket, ServerSideEncryptionConfiguration={"Rules": [rule]}
        )

    current_rule = read_encryption(s3, t.bucket) if exists else None
    want = describe_encryption(rule)
    if exists and encryption_ok(current_rule, t):
        steps.append(Step(resource, "encryption", describe_encryption(current_rule), Action.NONE))
    else:
        steps.append(
            Step(
                resource,
                "encryption",
                describe_encryption(current_rule) if exists else NEW,
                Action.UPDATE if current_rule else Action.CREATE,
                f"default {want}",
                apply=put_encryption,
            )
        )

    def put_block() -> None:
        s3.put_public_access_block(
            Bucket=t.bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK
        )

    block = read_public_access_block(s3, t.bucket) if exists else None
    if block is not None and all(block.get(k) for k in PUBLIC_ACCESS_BLOCK):
        steps.append(Step(resource, "public access", "blocked", Action.NONE))
    else:
        open_parts = [k for k in PUBLIC_ACCESS_BLOCK if not (block or {}).get(k)]
        steps.append(
            Step(
                resource,
                "public access",
                NEW if not exists else ("not blocked" if block is None else "partly open"),
                Action.CREATE if block is None else Action.UPDATE,
                "block all public access"
                + (f" ({', '.join(open_parts)})" if block is not None else ""),
                apply=put_block,
            )
        )

    arns = ctx.arns
    policy = read_policy(s3, t.bucket) if exists else None
    statements = _as_list((policy or {}).get("Statement", []))
    if plain_http(ctx.aws.endpoint_url):
        # It would refuse every request to this endpoint, presigned links included.
        steps.append(
            Step(resource, "TLS-only policy", "not applicable: plain-HTTP endpoint", Action.NONE)
        )
    elif any(isinstance(s, dict) and denies_insecure_transport(s, arns) for s in statements):
        steps.append(Step(resource, "TLS-only policy", "denies insecure transport", Action.NONE))
    else:

        def put_policy() -> None:
            # Re-read at apply time: never clobber a statement added since the plan.
            latest = read_policy(s3, t.bucket)
            s3.put_bucket_policy(Bucket=t.bucket, Policy=json.dumps(merged_policy(latest, arns)))

        others = len([s for s in statements if isinstance(s, dict)])
        steps.append(
            Step(
                resource,
                "TLS-only policy",
                NEW if not exists else ("no policy" if policy is None else f"{others} statements"),
                Action.CREATE if policy is None else Action.UPDATE,
                "add the guide's DenyInsecureConnections statement"
                + (f" (keeping {others} other statements)" if policy else ""),
                apply=put_policy,
            )
        )

    rules = read_lifecycle(s3, t.bucket) if exists else []
    ours = next((r for r in rules if r.get("ID") == LIFECYCLE_RULE_ID), None)
    summary = (
        f"abort uploads after {ABORT_MULTIPART_DAYS}d, "
        f"expire old versions after {t.noncurrent_days}d"
    )
    if ours is not None and lifecycle_ok(ours, t):
        steps.append(Step(resource, "lifecycle", summary, Action.NONE))
    else:

        def put_lifecycle() -> None:
            latest = read_lifecycle(s3, t.bucket)
            kept = [r for r in latest if r.get("ID") != LIFECYCLE_RULE_ID]
            s3.put_bucket_lifecycle_configuration(
                Bucket=t.bucket, LifecycleConfiguration={"Rules": [*kept, lifecycle_rule(t)]}
            )

        if not exists:
            current = NEW
        elif ours is None:
            current = f"no {LIFECYCLE_RULE_ID} rule" + (f" ({len(rules)} other)" if rules else "")
        else:
            current = f"{LIFECYCLE_RULE_ID} rule differs"
        steps.append(
            Step(
                resource,
                "lifecycle",
                current,
                Action.CREATE if ours is None else Action.UPDATE,
                summary,
                apply=put_lifecycle,
            )
        )
    return steps
