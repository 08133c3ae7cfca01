"""`depllc events pull|ingest|unmatched|rates` and `depllc suppressions ...` over the
moto-provisioned runtime (handlers called with a context holding that runtime)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.errors import ConfigError, InputError, NotFoundError
from core.models import utcnow
from core.runtime import Runtime
from tests.core.events import bodies as b
from tui.cli.context import CommandContext
from tui.cli.main import build_parser

ANA = "ana@client.example"


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
    assert run(runtime, "events", "ingest", "--json", str(bad)) == 2
    assert json.loads(capsys.readouterr().out)[0]["outcome"] == "setAside"
    with pytest.raises(InputError, match="No such file"):
        run(runtime, "events", "ingest", str(tmp_path / "missing.json"))


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
    with pytest.raises(NotFoundError):
        run(runtime, "suppressions", "remove", ANA)
    with pytest.raises(InputError):
        run(runtime, "suppressions", "add", "not-an-address")
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
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == ["hard@client.example", "new@client.example"]
    assert run(runtime, "suppressions", "list", "reason:manual") == 0
    assert capsys.readouterr().out == "no suppressed addresses match\n"
    with pytest.raises(InputError, match=r"Unknown key status: \(the suppressions keys"):
        run(runtime, "suppressions", "list", "status:bounced")
