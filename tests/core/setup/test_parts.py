"""The small parts: name validation, the TOML writer, policy merging, the plan table,
the event types list, and the journal replay at startup."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from core.config import Settings
from core.db import Store, database_id
from core.errors import InputError
from core.setup.bucket import denies_insecure_transport, merged_policy, tls_statement
from core.setup.config_file import dumps_toml, read_toml, update_toml
from core.setup.events import allows_only_topic, queue_statement
from core.setup.plan import Action, Plan, Step
from core.setup.ses import ALL_EVENT_TYPES
from core.setup.targets import Account, Arns, Targets, check_bucket_name

ARNS = Arns(
    Targets.from_settings(
        Settings.model_validate(
            {"aws_s3_bucket": "depllc-crm-files", "aws_ses_from_email": "noreply@depllc.example"}
        )
    ),
    Account("123456789012", "arn:aws:iam::123456789012:user/admin"),
)


@pytest.mark.parametrize("name", ["depllc-crm-files", "a.b-c", "abc", "x" * 63, "my.bucket.2024"])
def test_valid_bucket_names(name: str) -> None:
    check_bucket_name(name)


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab", "3-63"),
        ("x" * 64, "3-63"),
        ("Upper", "lower-case"),
        ("-start", "starting"),
        ("a..b", "two dots"),
        ("a.-b", "dot next to a hyphen"),
        ("10.0.0.1", "IP address"),
        ("xn--bucket", "reserved"),
        ("thing-s3alias", "reserved"),
    ],
)
def test_invalid_bucket_names_say_which_rule(name: str, rule: str) -> None:
    with pytest.raises(InputError, match=rule):
        check_bucket_name(name)


def test_event_types_are_every_type_of_the_ses_api() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("ses")
    assert list(ALL_EVENT_TYPES) == model.shape_for("EventType").enum


def test_partition_comes_from_the_caller_arn() -> None:
    china = Account("123456789012", "arn:aws-cn:iam::123456789012:user/x")
    assert Arns(ARNS.targets, china).bucket == "arn:aws-cn:s3:::depllc-crm-files"


# --- TOML -------------------------------------------------------------------------


def test_toml_writer_round_trips_what_tomllib_reads() -> None:
    data: dict[str, Any] = {
        "aws_region": "eu-west-1",
        "quote": 'he said "hi" \\ tab\t',
        "unicode": "Zoë ✓",
        "n": 3,
        "ratio": 0.5,
        "flag": True,
        "when": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "list": [1, 2, 3],
        "inline": [{"a": 1}],
        "keys": {"compose": "ctrl+s", "dotted.key": "x", "nested": {"deep": "yes"}},
        "empty": {},
    }
    assert tomllib.loads(dumps_toml(data)) == data


def test_update_keeps_other_keys_and_only_writes_on_change(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('depllc_role = "admin"\n\n[keys]\nlogs = "1"\n')
    path.chmod(0o640)
    changed = update_toml(path, {"aws_s3_bucket": "b1-bucket", "depllc_role": "admin"})
    assert changed == {"aws_s3_bucket": "b1-bucket"}
    assert read_toml(path) == {
        "depllc_role": "admin",
        "aws_s3_bucket": "b1-bucket",
        "keys": {"logs": "1"},
    }
    assert path.stat().st_mode & 0o777 == 0o640  # an existing file keeps its mode
    before = path.stat().st_mtime_ns
    assert update_toml(path, {"aws_s3_bucket": "b1-bucket"}) == {}
    assert path.stat().st_mtime_ns == before
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temp file left


def test_a_broken_config_file_is_a_clear_error(tmp_path: Path) -> None:
    from core.errors import ConfigError

    path = tmp_path / "config.toml"
    path.write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        update_toml(path, {"a": "b"})
    assert path.read_text() == "this is = = not toml"


# --- policies ---------------------------------------------------------------------


def test_merged_bucket_policy_replaces_only_our_statement() -> None:
    other = {"Sid": "Other", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
    stale = {**tls_statement(ARNS), "Resource": "arn:aws:s3:::old"}
    merged = merged_policy({"Version": "2012-10-17", "Statement": [other, stale]}, ARNS)
    assert merged["Statement"] == [other, tls_statement(ARNS)]
    assert merged_policy(None, ARNS)["Statement"] == [tls_statement(ARNS)]


@pytest.mark.parametrize(
    ("change", "ok"),
    [
        ({}, True),
        ({"Principal": {"AWS": "*"}}, True),
        ({"Action": ["s3:*"]}, True),
        ({"Effect": "Allow"}, False),
        ({"Action": "s3:GetObject"}, False),
        ({"Resource": ["arn:aws:s3:::depllc-crm-files"]}, False),
        ({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}, False),
        ({"Condition": {"Bool": {"aws:SecureTransport": False}}}, True),
    ],
)
def test_tls_statement_recognition(change: dict[str, Any], ok: bool) -> None:
    assert denies_insecure_transport({**tls_statement(ARNS), **change}, ARNS) is ok


def test_queue_policy_must_tie_every_allow_to_the_topic() -> None:
    ours = {"Statement": [queue_statement(ARNS)]}
    assert allows_only_topic(ours, ARNS)
    extra = {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage"}
    assert not allows_only_topic({"Statement": [queue_statement(ARNS), extra]}, ARNS)
    assert not allows_only_topic(None, ARNS)
    other_topic = queue_statement(ARNS)
    other_topic["Condition"] = {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:x:1:other"}}
    assert not allows_only_topic({"Statement": [other_topic]}, ARNS)


# --- plan -------------------------------------------------------------------------


def test_plan_table_and_summary() -> None:
    plan = Plan(
        [
            Step("s3 bucket b", "versioning", "Suspended", Action.UPDATE, "enable"),
            Step("s3 bucket b", "encryption", "AES256", Action.NONE),
            Step("sqs queue q", "queue", "missing", Action.CREATE),
            Step("ses sender a@b.c", "verification", "pending", Action.NONE, warning="click"),
        ]
    )
    text = plan.render()
    assert "~ update  s3 bucket b" in text and "Suspended -> enable" in text
    assert "+ create  sqs queue q" in text
    assert "! click" in text
    assert text.endswith("1 to create, 1 to update, 2 already right.")
    assert [s["action"] for s in plan.to_dict()["steps"]] == ["update", "none", "create", "none"]
    assert Plan([Step("x", "y", "ok", Action.NONE)]).summary().startswith("No changes")


# --- journal replay at startup ------------------------------------------------------


def test_connected_startup_replays_the_journal(
    settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bson import ObjectId

    import core.runtime
    from core.journal import Journal
    from core.runtime import open_runtime
    from tests.conftest import server_like

    server = server_like(store)
    monkeypatch.setattr(core.runtime, "connect", lambda _uri, _db: server)
    log_id = ObjectId()
    server.emaillogs.insert_one({"_id": log_id, "status": "queued"})
    Journal().append(server.database, "emaillogs", {"_id": log_id}, {"$set": {"status": "sent"}})
    progress: list[str] = []
    runtime = open_runtime(settings, progress=progress.append)
    try:
        assert runtime.store.emaillogs.find_one({"_id": log_id})["status"] == "sent"
        assert Journal().count() == 0
        assert any("replaying 1 journalled" in p for p in progress)
    finally:
        runtime.close()


def test_sandbox_startup_leaves_the_journal_alone(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.runtime
    from core.journal import Journal

    Journal().append(
        database_id("mongodb://db.test", "depllc"), "emaillogs", {"_id": 1}, {"$set": {}}
    )

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the sandbox must not replay the user's journal")

    monkeypatch.setattr(core.runtime, "replay_journal", refuse)
    runtime = core.runtime.open_runtime(settings.model_copy(update={"sandbox": True}), seed=False)
    try:
        assert runtime.is_sandbox
        assert runtime.store.emaillogs.find_one({"_id": 1}) is None
        assert Journal().count() == 1
    finally:
        runtime.close()
