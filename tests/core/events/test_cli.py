"""`depllc events pull|ingest|unmatched|rates` and `depllc suppressions ...` over the
moto-provisioned runtime (handlers called with a context holding that runtime)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.errors import ConfigError, InputError, NotFoundError
from core.events.parse import MAX_BODY_BYTES
from core.models import utcnow
from core.runtime import Runtime
from tests.core.events import bodies as b
from tui.cli.context import CommandContext
from tui.cli.main import build_parser

ANA = "ana@client.example"
BEN = "ben@client.example"


def run(runtime: Runtime, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    ctx = CommandContext(args, _settings=runtime.settings, _runtime=runtime)
    return int(args.func(ctx) or 0)


def test_pull_once_json(
    runtime: Runtime, publish: Callable[[dict[str, Any]], None], capsys: pytest.CaptureFixture[str]
) -> None:
    mid = b.ses_message_id()
    runtime.store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    publish(b.delivery(mid, [ANA], [ANA], b.T0 + timedelta(seconds=2)))
    publish(b.bounce(b.ses_message_id(), [ANA], [ANA], b.T0))
    assert run(runtime, "events", "pull", "--once", "--json", "--wait", "0") == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    stats = out["stats"]
    assert (stats["applied"], stats["unmatched"], stats["suppressed"]) == (1, 1, 1)
    assert runtime.store.emaillogs.find_one({"messageId": mid})["status"] == "delivered"


def test_pull_human_output(
    runtime: Runtime, publish: Callable[[dict[str, Any]], None], capsys: pytest.CaptureFixture[str]
) -> None:
    publish({"eventType": "Teleport", "mail": {"messageId": "x"}})
    assert run(runtime, "events", "pull", "--once", "--wait", "0") == 0
    out = capsys.readouterr().out
    assert "1 received · 1 setAside" in out
    assert "set aside: unknown eventType 'Teleport'" in out
    assert out.strip().splitlines()[-1].endswith("0 applied · 1 set aside")


def test_pull_without_a_queue_says_what_to_do(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(update={"ses_events_queue_url": None})
    with pytest.raises(ConfigError, match="SES_EVENTS_QUEUE_URL is not set"):
        run(runtime, "events", "pull", "--once")


def test_ingest_files(runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mid = b.ses_message_id()
    runtime.store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    good = tmp_path / "ticket-4411.json"
    good.write_text(b.envelope(b.complaint(mid, [ANA], [ANA], b.T0), "sns-77"))
    raw = tmp_path / "dlq-0001.json"
    raw.write_text(json.dumps(b.delivery(mid, [ANA], [ANA], b.T0), indent=2))
    assert run(runtime, "events", "ingest", str(good), str(raw)) == 0
    out = capsys.readouterr().out
    assert f"ticket-4411.json: complaint applied to {mid} (now complaint); suppressed {ANA}" in out
    assert runtime.store.emaillogs.find_one({"messageId": mid})["status"] == "complaint"
    # the same files again: nothing changes
    assert run(runtime, "events", "ingest", str(good), str(raw)) == 0
    assert "already applied" in capsys.readouterr().out

    bad = tmp_path / "notes.txt"
    bad.write_text("the client says the mail never came")
    assert run(runtime, "events", "ingest", "--json", str(bad)) == 1  # none applied
    assert json.loads(capsys.readouterr().out)[0]["outcome"] == "setAside"


def test_ingest_reports_each_failing_file_and_runs_the_others(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mids = [b.ses_message_id() for _ in range(2)]
    for mid in mids:
        runtime.store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    first, last = tmp_path / "first.json", tmp_path / "last.json"
    first.write_text(b.envelope(b.delivery(mids[0], [ANA], [ANA], b.T0)))
    last.write_text(b.envelope(b.delivery(mids[1], [ANA], [ANA], b.T0)))
    deep = tmp_path / "deep.json"
    deep.write_text('{"a":' * 50_000 + "1" + "}" * 50_000)
    odd = tmp_path / "odd\x1b[2Jname.json"
    odd.write_text("not json")
    argv = [str(first), str(tmp_path / "missing.json"), str(tmp_path), str(deep), str(odd)]
    assert run(runtime, "events", "ingest", *argv, str(last)) == 3  # done in part
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{first}: delivery applied to {mids[0]} (now delivered)",
        f"{tmp_path / 'missing.json'}: failed: no such file",
        f"{tmp_path}: failed: is not a regular file",
        f"{deep}: set aside: JSON is nested more than 32 levels deep: not an SES event",
        f"{tmp_path}/odd␛[2Jname.json: set aside: body is not JSON "
        "(Expecting value: line 1 column 1 (char 0))",
        f"{last}: delivery applied to {mids[1]} (now delivered)",
    ]
    assert runtime.store.emaillogs.count_documents({"status": "delivered"}) == 2
    assert run(runtime, "events", "ingest", "--json", str(tmp_path / "missing.json")) == 1
    row = json.loads(capsys.readouterr().out)[0]
    assert (row["outcome"], row["reason"]) == ("failed", "no such file")


def test_ingest_refuses_a_symbolic_link_unless_told(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\n")
    link = tmp_path / "ticket-4411.json"
    link.symlink_to(secret)
    assert run(runtime, "events", "ingest", str(link)) == 1
    assert capsys.readouterr().out == (
        f"{link}: failed: is a symbolic link: not read (--follow-symlinks reads what it "
        "points to)\n"
    )
    assert runtime.store.unmatched_events.count_documents({}) == 0  # nothing of it stored
    assert run(runtime, "events", "ingest", "--follow-symlinks", str(link)) == 1
    assert "set aside: body is not JSON" in capsys.readouterr().out


def test_ingest_never_reads_more_than_the_body_limit(
    runtime: Runtime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    big = tmp_path / "dump.json"
    big.write_bytes(b" " * (3 * MAX_BODY_BYTES))
    read: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        read.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting_read)
    assert run(runtime, "events", "ingest", str(big)) == 1
    limit_line = f"{big}: failed: is over the 1 MiB limit for an SES event body: not read\n"
    assert capsys.readouterr().out == limit_line
    assert sum(read) == 0  # its size said enough
    # a file that grows after its size was taken: read stops one byte past the limit
    real_fstat = os.fstat
    monkeypatch.setattr(os, "fstat", lambda fd: _with_size(real_fstat(fd), 10))
    assert run(runtime, "events", "ingest", str(big)) == 1
    assert capsys.readouterr().out == limit_line
    assert sum(read) == MAX_BODY_BYTES + 1
    assert runtime.store.unmatched_events.count_documents({}) == 0


def _with_size(info: os.stat_result, size: int) -> os.stat_result:
    fields = list(info[:10])
    fields[stat.ST_SIZE] = size
    return os.stat_result(fields)


def test_ingest_help_gives_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["events", "ingest", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--follow-symlinks" in text
    assert "3 some were, and some body was set aside or some file failed; 1 none was" in text


def test_unmatched_list_and_rematch(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mid = b.ses_message_id()
    body = tmp_path / "early.json"
    body.write_text(b.envelope(b.delivery(mid, [ANA], [ANA], b.T0), "early-1"))
    run(runtime, "events", "ingest", str(body))
    capsys.readouterr()
    assert run(runtime, "events", "unmatched") == 0
    assert f"unmatched  delivery         {mid}" in capsys.readouterr().out
    runtime.store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    assert run(runtime, "events", "unmatched", "--rematch") == 0
    captured = capsys.readouterr()
    assert "re-matched: 1 applied" in captured.err
    assert "nothing kept" in captured.out


def test_rates(runtime: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(runtime, "events", "rates", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["days"] for r in rows] == [7, 30]
    assert rows[0]["level"] == "ok"


def test_suppressions_commands(runtime: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(runtime, "suppressions", "add", "Ana@Client.example", "--note", "asked") == 0
    assert "ana@client.example suppressed" in capsys.readouterr().out
    assert run(runtime, "suppressions", "add", ANA) == 0
    assert "already suppressed" in capsys.readouterr().out
    assert run(runtime, "suppressions", "list") == 0
    assert f"{ANA}  manual" in capsys.readouterr().out
    assert run(runtime, "suppressions", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["email"] == ANA
    assert run(runtime, "suppressions", "remove", ANA) == 0
    assert "removed from the suppression list (was manual)" in capsys.readouterr().out
    assert run(runtime, "suppressions", "add", BEN, "--reason", "bounce", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "email": BEN,
        "reason": "bounce",
        "created": True,
    }
    assert run(runtime, "suppressions", "remove", BEN, "--json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "email": BEN,
        "removed": True,
        "reason": "bounce",
    }
    with pytest.raises(NotFoundError):
        run(runtime, "suppressions", "remove", ANA)
    with pytest.raises(InputError):
        run(runtime, "suppressions", "add", "not-an-address")
    assert run(runtime, "suppressions", "add", ANA, "--reason", "complaint") == 0
    with pytest.raises(InputError, match="needs a reason"):
        run(runtime, "suppressions", "remove", ANA)
    assert run(runtime, "suppressions", "remove", ANA, "--note", "asked by phone") == 0
    assert "(was complaint)" in capsys.readouterr().out
    audit = [(a["action"], a["operator"]) for a in runtime.store.auditlog.find()]
    assert ("suppress", "tester") in audit and ("unsuppress", "tester") in audit


def test_suppressions_list_takes_a_query(
    runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    now = utcnow()
    for email, reason, days in (
        ("old@client.example", "complaint", 20),
        ("new@client.example", "complaint", 2),
        ("hard@client.example", "bounce", 1),
    ):
        runtime.store.suppressions.insert_one(
            {"email": email, "reason": reason, "at": now - timedelta(days=days), "by": "x"}
        )
    assert run(runtime, "suppressions", "list", "reason:complaint since:7d", "--json") == 0
    assert [e["email"] for e in json.loads(capsys.readouterr().out)] == ["new@client.example"]
    assert run(runtime, "suppressions", "list", "client since:7d") == 0
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()] == [
        "hard@client.example",
        "new@client.example",
    ]
    assert err == "2 suppressed: 1 bounce · 1 complaint · 0 manual\n"  # by reason, on stderr
    assert run(runtime, "suppressions", "list", "client", "--limit", "2") == 0
    assert capsys.readouterr().err == (
        "3 suppressed: 1 bounce · 2 complaint · 0 manual (the newest 2 listed)\n"
    )
    assert run(runtime, "suppressions", "list", "reason:manual") == 0
    assert capsys.readouterr().out == "no suppressed addresses match\n"
    with pytest.raises(InputError, match=r"Unknown key status: \(the suppressions keys"):
        run(runtime, "suppressions", "list", "status:bounced")


def test_pull_reports_a_report_about_a_stranger(
    runtime: Runtime, publish: Callable[[dict[str, Any]], None], capsys: pytest.CaptureFixture[str]
) -> None:
    mid = b.ses_message_id()
    runtime.store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    publish(b.complaint(mid, [ANA], ["eve@elsewhere.example"], b.T0))
    assert run(runtime, "events", "pull", "--once", "--wait", "0") == 0
    assert (
        f"  complaint applied to {mid} (now sent); not a recipient, not suppressed: "
        "eve@elsewhere.example\n" in capsys.readouterr().out
    )
    assert runtime.store.suppressions.count_documents({}) == 0


@pytest.mark.parametrize("width", [80, 160, None], ids=["80 columns", "160 columns", "a pipe"])
def test_the_suppressions_list_fits_a_terminal(
    runtime: Runtime,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    width: int | None,
) -> None:
    reason = (
        "smtp; 550 5.1.1 <theo.miller.old30@hooli.example>: Recipient address rejected: "
        "User unknown in virtual alias table"
    )
    address = "theo.miller.old30@hooli.example"
    runtime.store.suppressions.insert_one(
        {
            "email": address,
            "reason": "bounce",
            "at": utcnow(),
            "by": "ses-events",
            "diagnostic": reason,
        }
    )
    monkeypatch.setattr("tui.cli.events_cmd.terminal_width", lambda: width)
    assert run(runtime, "suppressions", "list") == 0
    (row,) = capsys.readouterr().out.splitlines()
    # the address first: whole from 100 columns, at 80 cut (at 20 or more) for the reason
    assert row.startswith(address if width != 80 else address[:20]) and "  bounce  " in row
    if width is None:  # every column whole: the operator and the raw reason
        assert "ses-events" in row and row.endswith(reason)
    else:  # a person reads it: in plain words, cut to the width; --raw: the server's words
        assert len(row) < width and "The address does not exist"[: width - 70] in row
        assert ("ses-events" in row) == (width >= 100)
        assert run(runtime, "suppressions", "list", "--raw") == 0
        (raw,) = capsys.readouterr().out.splitlines()
        assert len(raw) < width and "smtp; 550 5.1.1" in raw and raw.endswith("…")
