"""The IAM policy covers every AWS operation the code calls, and nothing more.

The operations come from a scan of core/ (core/setup/callscan.py). When this fails
after you add an AWS call: add the operation to core/setup/operations.py USED (and to
KNOWN with its IAM action if it is new there)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore import xform_name

from core.aws import AwsClients
from core.config import Settings
from core.db import Store
from core.setup.apply import ApplyResult
from core.setup.callscan import scan
from core.setup.doctor import run_doctor
from core.setup.iam import SIDS, build_policy, policy_actions
from core.setup.operations import (
    KNOWN,
    SETUP_ONLY,
    USED,
    Scope,
    iam_actions_for_operation,
    used_operations,
)
from core.setup.plan import Plan
from core.setup.targets import Account, Targets

# one worker runs this module (its module-scoped fixtures are built once: make test
# distributes the other tests one by one, --dist loadgroup)
pytestmark = pytest.mark.xdist_group("iam")


ROOT = Path(__file__).resolve().parents[3]
ACCOUNT = Account(account_id="123456789012", arn="arn:aws:iam::123456789012:user/admin")


@pytest.fixture(scope="module")
def scanned() -> Any:
    return scan(ROOT)


def _targets(**overrides: Any) -> Targets:
    base = {"aws_s3_bucket": "depllc-crm-files", "aws_ses_from_email": "noreply@depllc.example"}
    return Targets.from_settings(Settings.model_validate({**base, **overrides}))


def test_the_operations_list_is_what_the_code_calls(scanned: Any) -> None:
    found = {s: ops for s, ops in scanned.operations().items() if ops}
    listed = {s: set(ops) for s, ops in USED.items() if ops}
    problems = []
    for service in sorted(set(found) | set(listed)):
        for op in sorted(found.get(service, set()) - listed.get(service, set())):
            where = ", ".join(sorted(scanned.calls[service][op])[:3])
            problems.append(f"called but not in operations.USED: {service}.{op} ({where})")
        for op in sorted(listed.get(service, set()) - found.get(service, set())):
            problems.append(f"in operations.USED but never called: {service}.{op}")
    assert not problems, "\n".join(problems)


def test_no_client_call_is_left_unresolved(scanned: Any) -> None:
    assert scanned.unresolved == []


def test_setup_only_operations_are_called_only_by_setup(scanned: Any) -> None:
    """SETUP_ONLY: the writes whose every call site is in core/setup/ (reads stay in
    the day-to-day policy: the doctor makes them through setup's readers)."""
    readers = ("get_", "head_", "list_", "describe_")

    def setup_only(op: str, sites: set[str]) -> bool:
        files = {site.rsplit(":", 1)[0] for site in sites}
        return not op.startswith(readers) and all(f.startswith("core/setup/") for f in files)

    expected = {
        service: {op for op, sites in ops.items() if setup_only(op, sites)}
        for service, ops in scanned.calls.items()
    }
    got = {service: set(ops) for service, ops in SETUP_ONLY.items()}
    assert {s: o for s, o in expected.items() if o} == {s: o for s, o in got.items() if o}


def test_every_used_operation_has_its_iam_action() -> None:
    for service, ops in USED.items():
        assert ops <= set(KNOWN[service]), (service, ops - set(KNOWN[service]))
    for service, ops in KNOWN.items():
        for op, spec in ops.items():
            for action in spec.actions:
                assert re.fullmatch(r"(s3|ses|sqs|sns|kms):[A-Z][A-Za-z0-9]+", action), action
            # every name is a real botocore operation of that service
            from core.setup.callscan import operation_names

            assert op in operation_names(service), f"{service}.{op}"


def test_the_policy_allows_exactly_the_used_actions() -> None:
    policy = build_policy(_targets(), ACCOUNT)
    wanted = {
        action
        for _service, _op, spec in used_operations()
        if spec.scope is not Scope.NONE
        for action in spec.actions
    }
    assert policy_actions(policy) == wanted
    assert "sts:GetCallerIdentity" not in policy_actions(policy)  # needs no permission


def test_the_policy_is_scoped_to_the_settings() -> None:
    policy = build_policy(_targets(), ACCOUNT)
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid[SIDS[Scope.BUCKET]]["Resource"] == "arn:aws:s3:::depllc-crm-files"
    assert by_sid[SIDS[Scope.OBJECTS]]["Resource"] == "arn:aws:s3:::depllc-crm-files/*"
    assert by_sid[SIDS[Scope.QUEUES]]["Resource"] == [
        "arn:aws:sqs:us-east-1:123456789012:depllc-ses-events",
        "arn:aws:sqs:us-east-1:123456789012:depllc-ses-events-dlq",
    ]
    assert by_sid[SIDS[Scope.TOPIC]]["Resource"] == (
        "arn:aws:sns:us-east-1:123456789012:depllc-ses-events"
    )
    send = by_sid[SIDS[Scope.SEND]]["Resource"]
    assert "arn:aws:ses:us-east-1:123456789012:identity/noreply@depllc.example" in send
    assert "arn:aws:ses:us-east-1:123456789012:identity/depllc.example" in send
    assert "arn:aws:ses:us-east-1:123456789012:configuration-set/depllc-crm-emails" in send
    wildcard = [s["Sid"] for s in policy["Statement"] if s["Resource"] == "*"]
    assert wildcard == [SIDS[Scope.ACCOUNT]]  # only actions without resource-level support
    assert all(a.startswith("ses:") for a in by_sid[SIDS[Scope.ACCOUNT]]["Action"])


def test_without_setup_leaves_out_the_provisioning_actions() -> None:
    actions = policy_actions(build_policy(_targets(), ACCOUNT, include_setup=False))
    assert "s3:PutObject" in actions and "ses:SendTemplatedEmail" in actions
    assert not {"s3:PutBucketPolicy", "s3:CreateBucket", "sqs:CreateQueue", "sns:Subscribe"} & (
        actions
    )
    assert "s3:GetBucketVersioning" in actions  # the doctor still reads it


def test_kms_encryption_adds_the_key_statement() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    policy = build_policy(_targets(s3_sse="aws:kms", s3_kms_key_id=key), ACCOUNT)
    (kms,) = [s for s in policy["Statement"] if s["Sid"] == "DepllcKmsForS3"]
    assert kms["Resource"] == key
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    assert "DepllcKmsForS3" not in {s["Sid"] for s in build_policy(_targets())["Statement"]}


def test_unknown_account_uses_a_wildcard_only_there() -> None:
    policy = build_policy(_targets())
    queues = next(s for s in policy["Statement"] if s["Sid"] == SIDS[Scope.QUEUES])
    assert queues["Resource"][0] == "arn:aws:sqs:us-east-1:*:depllc-ses-events"


def test_denied_operation_names_map_to_iam_actions() -> None:
    assert iam_actions_for_operation("HeadBucket") == ["s3:ListBucket"]
    assert iam_actions_for_operation("GetBucketEncryption") == ["s3:GetEncryptionConfiguration"]
    assert iam_actions_for_operation("ReceiveMessage") == ["sqs:ReceiveMessage"]


def test_calls_made_by_setup_and_doctor_are_all_listed(
    run_setup: Callable[[], tuple[Plan, ApplyResult]],
    setup_settings: Settings,
    aws: AwsClients,
    empty_store: Store,
) -> None:
    """The dynamic cross-check of the scan: record what botocore really sends."""
    seen: set[tuple[str, str]] = set()

    def record(model: Any, **_kwargs: Any) -> None:
        seen.add((model.service_model.endpoint_prefix, xform_name(model.name)))

    for service in ("s3", "ses", "sesv2", "sqs", "sns", "sts"):
        aws.client(service).meta.events.register("before-call", record)
    run_setup()
    seen_in_setup = set(seen)
    seen.clear()
    run_doctor(setup_settings, aws, empty_store)
    for prefix, op in seen:  # the doctor works with the day-to-day (--no-setup) policy
        services = ("ses", "sesv2") if prefix == "email" else (prefix,)
        assert not any(op in SETUP_ONLY.get(s, frozenset()) for s in services), op
    seen |= seen_in_setup
    prefix_to_service = {"email": ("ses", "sesv2")}
    for prefix, op in sorted(seen):
        services = prefix_to_service.get(prefix, (prefix,))
        assert any(op in USED.get(s, frozenset()) for s in services), (prefix, op)


def test_scanner_resolves_the_ways_code_reaches_a_client(tmp_path: Path) -> None:
    package = tmp_path / "core"
    package.mkdir()
    (package / "sample.py").write_text(
        textwrap.dedent(
            """
            def a(runtime):
                runtime.aws.s3.head_object(Bucket="b", Key="k")
                ses = runtime.aws.ses
                ses.send_raw_email(RawMessage={})
                client = runtime.aws.client("sqs")
                client.receive_message(QueueUrl="u")
                client = send_client(runtime, "sesv2")
                client.send_email()
                runtime.aws.s3.get_paginator("list_object_versions")
                runtime.aws.s3.generate_presigned_url("get_object", Params={})
                runtime.aws.s3.generate_presigned_post(Bucket="b", Key="k")
                runtime.aws.s3.get_waiter("bucket_exists")
                with make_manager(runtime.aws.s3) as manager:
                    manager.download("b", "k", "f")
                runtime.aws.s3.upload_file("f", "b", "k")

            def b(s3: "S3Client", other):
                s3.delete_objects(Bucket="b", Delete={})
                other.list_templates()
                items = []
                items.append(1)

            def c(client):
                client.publish(TopicArn="t")

            class Consumer:
                def poll(self):
                    return self.transport.receive_message(QueueUrl="u")

                def __init__(self, runtime):
                    self.transport = runtime.aws.client("sqs")
            """
        )
    )
    result = scan(tmp_path)
    ops = result.operations()
    assert ops["s3"] == {
        "head_object",
        "get_object",
        "list_object_versions",
        "put_object",
        "head_bucket",
        "delete_objects",
        "create_multipart_upload",
        "upload_part",
        "complete_multipart_upload",
        "abort_multipart_upload",
    }
    assert ops["ses"] == {"send_raw_email"}
    assert ops["sqs"] == {"receive_message"}
    assert len(result.calls["sqs"]["receive_message"]) == 2  # via a name and via self
    assert ops["sesv2"] == {"send_email"}
    assert "sns" not in ops
    (unresolved,) = result.unresolved
    assert "client.publish" in unresolved
