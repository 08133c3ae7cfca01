"""`depllc send`, `send-bulk` and `templates` over the test runtime: exit codes 0/1/2,
one readable line for bad input, --json with log ids and SES MessageIds."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from core.models import FileRecord
from core.runtime import Runtime
from tui.cli import main as cli
from tui.cli.context import CommandContext


@pytest.fixture(autouse=True)
def _use_runtime(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CommandContext, "runtime", lambda self, seed=True: runtime)
    monkeypatch.setattr(CommandContext, "close", lambda self: None)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_send_markdown_with_attachment_json(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "body.md"
    body.write_text("# Hello\n\nYour **contract** is attached.")
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(b"%PDF-1.4 c")
    code, out, err = _run(
        capsys,
        "send",
        "--to",
        "a@example.com,b@example.com",
        "--subject",
        "Contract",
        "--markdown",
        str(body),
        "--attach",
        str(pdf),
        "--tag",
        "campaign=renewals",
        "--category",
        "client-portal",
        "--priority",
        "high",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    (message,) = data["messages"]
    assert message["status"] == "sent" and message["messageId"]
    from bson import ObjectId

    log = runtime.store.emaillogs.find_one({"_id": ObjectId(message["logId"])})
    assert log and log["messageId"] == message["messageId"]
    assert log["tags"] == {"campaign": "renewals"} and log["priority"] == "high"


def test_send_template(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(
        capsys,
        "send",
        "--to",
        "a@example.com",
        "--template",
        "welcome-client",
        "--data",
        '{"name": "Ada", "portal_url": "https://p.example"}',
    )
    assert code == 0, err
    assert out.startswith("sent     log ")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--to", "nope", "--subject", "s", "--text", "BODY"], "not a valid address"),
        (["--to", "a@example.com", "--subject", "s", "--text", "MISSING"], "Body file not found"),
        (["--to", "a@example.com", "--subject", "s", "--text", "EMPTY"], "is empty"),
        (["--to", "a@example.com", "--text", "BODY"], "--subject is required"),
        (
            ["--to", "a@example.com", "--subject", "s", "--text", "BODY", "--attach", "MISSING"],
            "Attachment not found",
        ),
        (["--to", "a@example.com", "--template", "nope"], None),
        (
            ["--to", "a@example.com", "--template", "welcome-client", "--data", '{"name": "A"}'],
            "needs data for: portal_url",
        ),
        (
            ["--to", "a@example.com", "--template", "welcome-client", "--data", "{oops"],
            "not valid JSON",
        ),
        (
            ["--to", "a@example.com", "--subject", "s", "--text", "BODY", "--tag", "novalue"],
            "not KEY=VALUE",
        ),
        (["--to", "a@example.com", "--subject", "a\x0bb", "--text", "BODY"], "U+000B"),
        (["--to", "a@example.com", "--subject", "a\u2028b", "--text", "BODY"], "U+2028"),
        (["--to", "a@example.com", "--subject", "a\x00b", "--text", "BODY"], "U+0000"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str | None
) -> None:
    body = tmp_path / "body.txt"
    body.write_text("hello")
    (tmp_path / "empty.txt").write_text("  \n")
    subst = {
        "BODY": str(body),
        "MISSING": str(tmp_path / "missing"),
        "EMPTY": str(tmp_path / "empty.txt"),
    }
    code, out, err = _run(capsys, "send", *[subst.get(a, a) for a in argv])
    if message is None:  # template not found: exit 1 (it is not malformed input)
        assert code == 1 and "not found" in err
    else:
        assert code == 2, err
        assert message in err
    assert err.startswith("depllc: ") and err.count("\n") == 1
    assert "Traceback" not in err and out == ""


def test_send_failure_exits_1(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.settings = runtime.settings.model_copy(
        update={"aws_ses_from_email": "x@unverified.example"}
    )
    body = tmp_path / "b.txt"
    body.write_text("hi")
    code, out, _err = _run(
        capsys, "send", "--to", "a@example.com", "--subject", "s", "--text", str(body)
    )
    assert code == 1
    assert out.startswith("failed   log ") and "MessageRejected" in out
    assert "cost" not in out  # nothing was accepted, nothing is charged


def test_dry_run_sends_nothing(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "b.txt"
    body.write_text("hi")
    code, out, _ = _run(
        capsys, "send", "--to", "a@example.com", "--subject", "s", "--text", str(body), "--dry-run"
    )
    assert code == 0 and out.startswith("would send 1 message(s) to 1 recipient(s)")
    assert runtime.store.emaillogs.count_documents({}) == 0


def test_send_bulk(runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "c.csv"
    csv.write_text("email,name,portal_url\na@example.com,A,https://a\nb@example.com,B,https://b\n")
    code, out, err = _run(
        capsys, "send-bulk", "--template", "welcome-client", "--csv", str(csv), "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["sent"] == 2
    assert len({m["messageId"] for m in data["messages"]}) == 2
    assert runtime.store.emaillogs.count_documents({"status": "sent"}) == 2


def test_send_bulk_bad_rows(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "c.csv"
    csv.write_text("email,name,portal_url\nbad,A,https://a\nb@example.com,B,https://b\n")
    code, _out, err = _run(capsys, "send-bulk", "--template", "welcome-client", "--csv", str(csv))
    assert code == 2 and "row 2:" in err and "nothing sent" in err
    code, out, err = _run(
        capsys, "send-bulk", "--template", "welcome-client", "--csv", str(csv), "--skip-bad-rows"
    )
    assert code == 3 and "skipped row 2:" in err and out.startswith("sent 1,")


def test_send_bulk_dry_run(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "c.csv"
    csv.write_text("email,name,portal_url\na@example.com,A,https://a\n")
    code, out, _ = _run(
        capsys, "send-bulk", "--template", "welcome-client", "--csv", str(csv), "--dry-run"
    )
    assert code == 0 and out.startswith("would send 'welcome-client' to 1 recipient(s)")
    assert runtime.store.emaillogs.count_documents({}) == 0


def test_templates_list_show_render(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "templates")
    assert code == 0 and "invoice-reminder" in out and "portal_url" in out
    code, out, _ = _run(capsys, "templates", "show", "welcome-client")
    assert code == 0 and "variables: name, portal_url" in out
    code, out, _ = _run(
        capsys,
        "templates",
        "render",
        "welcome-client",
        "--data",
        '{"name": "Ada", "portal_url": "u"}',
    )
    assert code == 0 and out.startswith("subject: Welcome to DepLLC, Ada")
    code, _out, err = _run(capsys, "templates", "show", "nope")
    assert code == 1 and "not found" in err


def test_attach_stored_follows_the_files_access_rule(
    runtime: Runtime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    stored_file: Callable[..., FileRecord],
) -> None:
    # an operator refused the download of another user's private file cannot mail it
    record = stored_file()
    runtime.store.files.update_one({"_id": record.id}, {"$set": {"userId": "bob"}})
    body = tmp_path / "body.txt"
    body.write_text("hello")
    argv = ["send", "--to", "x@example.com", "--subject", "s", "--text", str(body)]
    code, out, err = _run(capsys, *argv, "--attach-stored", str(record.id))
    assert code == 1 and out == ""
    assert err.strip() == (
        f"depllc: No file {record.id} (or it is not yours and not public). "
        "List files with `depllc files list`."
    )
    assert runtime.store.emaillogs.count_documents({}) == 0
    runtime.identity = replace(runtime.whoami(), role="support")
    code, out, err = _run(capsys, *argv, "--attach-stored", str(record.id))
    assert code == 0, err
    (log,) = runtime.store.emaillogs.find()
    assert [a["fileId"] for a in log["attachments"]] == [str(record.id)]


def test_attach_refuses_a_symlink_unless_followed(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "body.txt"
    body.write_text("hello")
    target = tmp_path / "statement.pdf"
    target.write_bytes(b"%PDF-1.4 statement")
    link = tmp_path / "link.pdf"
    link.symlink_to(target)
    argv = ["send", "--to", "x@example.com", "--subject", "s", "--text", str(body)]
    code, out, err = _run(capsys, *argv, "--attach", str(link))
    assert code == 2 and out == ""
    assert err.strip() == (
        f"depllc: Attachment {link} is a symbolic link (to {target}); links are not "
        "followed. Give the file itself, or pass --follow-symlinks."
    )
    code, out, err = _run(capsys, *argv, "--attach", str(link), "--follow-symlinks")
    assert code == 0, err
    (log,) = runtime.store.emaillogs.find()
    assert [a["filename"] for a in log["attachments"]] == ["link.pdf"]
