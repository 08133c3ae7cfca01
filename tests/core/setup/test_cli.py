"""The commands: `depllc setup [--dry-run] [--yes]`, `depllc doctor [--json]`,
`depllc iam-policy`, `depllc journal list|replay`, run in-process against moto."""

from __future__ import annotations

import io
import json
import tomllib
import uuid
from collections.abc import Iterator

import pytest

from core.journal import Journal
from core.paths import default_config_file
from tests.core.setup.conftest import BUCKET
from tui.cli.main import main


@pytest.fixture
def account_env(monkeypatch: pytest.MonkeyPatch, mocked_aws: None) -> Iterator[str]:
    uri = f"mongomock://cli-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("AWS_S3_BUCKET", BUCKET)
    monkeypatch.setenv("AWS_SES_FROM_EMAIL", "noreply@depllc.example")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("MONGODB_URI", uri)
    monkeypatch.setenv("MONGODB_DB", "depllc")
    yield uri


def test_dry_run_prints_the_plan_and_changes_nothing(
    account_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["setup", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"+ create  s3 bucket {BUCKET}" in out
    assert "Dry run: nothing was changed" in out
    assert not default_config_file().exists()
    assert main(["doctor"]) == 1  # still nothing there


def test_piped_setup_without_yes_is_refused(
    account_env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["setup"]) == 2
    err = capsys.readouterr().err
    assert "Pass --yes" in err and "Traceback" not in err


def test_setup_asks_on_a_terminal(
    account_env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda _prompt: "n")
    assert main(["setup"]) == 1
    assert "Nothing was changed" in capsys.readouterr().out
    monkeypatch.setattr("builtins.input", lambda _prompt: "y")
    assert main(["setup"]) == 0
    assert "Applied 19 changes" in capsys.readouterr().out


def test_setup_yes_then_again_then_doctor(
    account_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["setup", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Applied" in out and "depllc doctor" in out
    config = tomllib.loads(default_config_file().read_text())
    assert config["aws_s3_bucket"] == BUCKET and config["ses_events_queue_url"]

    assert main(["setup", "--yes"]) == 0
    assert "No changes" in capsys.readouterr().out

    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert {c["status"] for c in report["checks"]} <= {"pass", "warn"}

    assert main(["doctor"]) == 0
    assert "All checks pass" in capsys.readouterr().out


def test_setup_json(account_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["setup", "--yes", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["applied"]) == len(data["plan"]["steps"]) == 19
    assert data["notes"]


def test_doctor_exits_1_naming_the_failing_check(
    account_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["setup", "--yes"]) == 0
    capsys.readouterr()
    import boto3

    boto3.client("s3", region_name="us-east-1").put_bucket_versioning(
        Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"}
    )
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    failing = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(failing) == 1 and "S3 bucket versioning" in failing[0]


def test_iam_policy_prints_json(account_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["iam-policy"]) == 0
    policy = json.loads(capsys.readouterr().out)
    resources = json.dumps(policy)
    assert f"arn:aws:s3:::{BUCKET}" in resources and "123456789012" in resources
    assert main(["iam-policy", "--no-setup", "--account", "999999999999"]) == 0
    narrow = json.loads(capsys.readouterr().out)
    assert "999999999999" in json.dumps(narrow) and "s3:CreateBucket" not in json.dumps(narrow)


def test_iam_policy_without_a_bucket_is_bad_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SES_FROM_EMAIL", "noreply@depllc.example")
    assert main(["iam-policy"]) == 2
    assert "AWS_S3_BUCKET is not set" in capsys.readouterr().err


def test_journal_list_and_replay(
    account_env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.db
    from core.db import Store, connect, database_id
    from tests.conftest import SERVER_LIKE_URI

    assert main(["journal", "list"]) == 0
    assert "empty" in capsys.readouterr().out
    # MONGODB_URI names a server (its database stood in for by mongomock)
    monkeypatch.setenv("MONGODB_URI", SERVER_LIKE_URI)
    server = Store(db=connect(account_env, "depllc").db, uri_label=SERVER_LIKE_URI)
    monkeypatch.setattr(core.db, "connect", lambda _uri, _db, **_k: server)
    here = database_id(SERVER_LIKE_URI, "depllc")
    Journal().append(here, "emaillogs", {"_id": "log-1"}, {"$set": {"status": "sent"}}, True)
    assert main(["journal", "list", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["collection"] == "emaillogs" and entry["attempts"] == 0
    assert entry["database"] == "db.test:27017/depllc" and entry["stale"] is False
    assert main(["journal", "replay"]) == 0
    assert "Replayed 1 writes; 0 still pending" in capsys.readouterr().out
    assert server.emaillogs.find_one({"_id": "log-1"})["status"] == "sent"
    assert Journal().count() == 0
    assert main(["journal", "replay", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["applied"] == 0
    Journal().append(here, "emaillogs", {"_id": "log-2"}, {"$set": {"status": "sent"}}, True)
    assert main(["journal", "replay", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer == {"applied": 1, "pending": 0, "stale": 0, "waiting": None}


def test_journal_replay_refuses_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sandbox", "journal", "replay"]) == 2
    assert "not the sandbox" in capsys.readouterr().err


def test_sandbox_iam_policy_names_the_sandbox_resources(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--sandbox", "iam-policy"]) == 0
    policy = json.loads(capsys.readouterr().out)
    resources = json.dumps([s["Resource"] for s in policy["Statement"]])
    assert "arn:aws:s3:::depllc-crm-files" in resources
    assert "arn:aws:sqs:us-east-1:123456789012:depllc-ses-events" in resources
