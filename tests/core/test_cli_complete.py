"""The command line is complete: `--json` on every command, `resend`, `audit`."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from pathlib import Path

import pytest

from core import audit
from core.models import utcnow
from core.runtime import Runtime
from tests.core.mail.conftest import make_request
from tui.cli.context import CommandContext
from tui.cli.main import build_parser, main

# Commands whose output is not a report: a JSON document already, or a shell script.
NOT_REPORTS = {"iam-policy", "completion"}


def leaf_commands() -> list[tuple[str, argparse.ArgumentParser]]:
    found: list[tuple[str, argparse.ArgumentParser]] = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs and path:
            found.append((" ".join(path), parser))
        for action in subs:
            for name, child in action._name_parser_map.items():
                walk(child, [*path, name])

    walk(build_parser(), [])
    return found


def group_commands() -> list[tuple[str, argparse.ArgumentParser]]:
    """Groups that run a subcommand when given none (`depllc journal` lists)."""
    parser = build_parser()
    (top,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return [
        (name, child)
        for name, child in top._name_parser_map.items()
        if any(isinstance(a, argparse._SubParsersAction) for a in child._actions)
        and getattr(child.get_default("func"), "__name__", "show") != "show"  # not help
    ]


def test_every_command_takes_json() -> None:
    missing = [
        name
        for name, parser in leaf_commands()
        if name.split()[0] not in NOT_REPORTS
        and "--json" not in {o for a in parser._actions for o in a.option_strings}
    ]
    assert missing == []
    groups = {
        name
        for name, parser in group_commands()
        if "--json" not in {o for a in parser._actions for o in a.option_strings}
    }
    assert groups == set()
    assert {"resend", "audit", "journal replay", "config path"} <= {n for n, _ in leaf_commands()}


@pytest.fixture
def cli(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setattr(CommandContext, "runtime", lambda self, seed=True: runtime)
    monkeypatch.setattr(CommandContext, "close", lambda self: None)
    return runtime


def test_a_group_run_alone_takes_json(cli: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    """`depllc suppressions --json` is `depllc suppressions list --json`."""
    assert main(["suppressions", "add", "a@example.com"]) == 0
    capsys.readouterr()
    assert main(["suppressions", "--json"]) == 0
    assert [s["email"] for s in json.loads(capsys.readouterr().out)] == ["a@example.com"]
    assert main(["config", "--json"]) == 0
    assert "aws_region" in json.loads(capsys.readouterr().out)


def test_config_path_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "path", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["path"].endswith("config.toml") and answer["exists"] is False


def test_resend_command(cli: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    from core.mail.send import send

    first = send(cli, make_request(to=["a@example.com"]))
    log_id = first.log_ids[0]
    # no terminal to ask, no --yes: refused as bad input, nothing sent
    assert main(["resend", log_id]) == 2
    assert "Pass --yes" in capsys.readouterr().err
    assert cli.store.emaillogs.count_documents({}) == 1
    assert main(["resend", log_id, "--add", "b@example.com", "--yes", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    (outcome,) = answer["messages"]
    assert outcome["status"] == "sent"
    assert outcome["recipients"] == ["a@example.com", "b@example.com"]
    by_mid = first.outcomes[0].message_id
    assert by_mid
    assert main(["resend", by_mid, "--to", "c@example.com", "--yes"]) == 0  # by SES id
    assert capsys.readouterr().out.startswith("sent     log ")
    original = cli.store.emaillogs.find_one({"messageId": by_mid})
    assert original is not None and len(original["customData"]["resends"]) == 2
    assert main(["resend", "0123456789abcdef01234567", "--yes"]) == 1
    assert main(["resend", log_id, "--to", "not-an-address", "--yes"]) == 2


def test_audit_command(
    cli: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = cli.store
    audit.record(store, "ana", "send", "log-1", subject="Invoice")
    audit.record(store, "ben", "purge", "file-9")
    old = {"operator": "ana", "host": "h", "action": "send", "target": "log-0", "details": {}}
    store.auditlog.insert_one({**old, "at": utcnow() - timedelta(days=20)})

    def targets(*argv: str) -> list[str]:
        assert main(["audit", *argv, "--json"]) == 0
        return [e["target"] for e in json.loads(capsys.readouterr().out)]

    assert targets() == ["file-9", "log-1", "log-0"]  # newest first
    assert targets("--action", "send") == ["log-1", "log-0"]
    assert targets("--since", "7d") == ["file-9", "log-1"]
    assert targets("--target", "log-0") == ["log-0"]
    assert targets("--operator", "ben") == ["file-9"]
    assert targets("--limit", "1") == ["file-9"]
    assert main(["audit", "--action", "send"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "ana" in out[0] and '{"subject":"Invoice"}' in out[0]
    assert main(["audit", "--since", "someday"]) == 2
    audit.record(store, "ana", "upload", "f" * 24, name="Quarterly summary " * 6)
    monkeypatch.setattr("tui.cli.audit_cmd.terminal_width", lambda: 80)
    assert main(["audit", "--action", "upload"]) == 0  # on a terminal: cut to its width
    (row,) = capsys.readouterr().out.splitlines()
    assert len(row) < 80 and row.endswith("…") and "upload" in row


def test_audit_takes_the_query_line(cli: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    store = cli.store
    audit.record(store, "ana", "send", "5ded1c6c92ab669604e58a14")
    audit.record(store, "ben", "purge", "invoice/u1/INV-1.pdf", fileId="f1")
    audit.record(store, "ana", "delete", "invoice/u1/INV-2.pdf")
    old = {"operator": "ben", "host": "h", "action": "purge", "target": "x.pdf", "details": {}}
    store.auditlog.insert_one({**old, "at": utcnow() - timedelta(days=20)})

    def targets(*argv: str) -> list[str]:
        assert main(["audit", *argv, "--json"]) == 0
        return [e["target"] for e in json.loads(capsys.readouterr().out)]

    assert targets("actor:ben action:purge since:7d") == ["invoice/u1/INV-1.pdf"]
    assert targets("INV since:7d") == ["invoice/u1/INV-2.pdf", "invoice/u1/INV-1.pdf"]
    assert targets("who:ana inv") == ["invoice/u1/INV-2.pdf"]  # text: any case, in the target
    assert targets("action:purge", "--operator", "ben", "--since", "30d") == [
        "invoice/u1/INV-1.pdf",
        "x.pdf",
    ]
    assert targets("actor:ana", "--operator", "ben") == ["invoice/u1/INV-1.pdf", "x.pdf"]
    assert targets(".*") == []  # literal text, not a pattern
    assert main(["audit", "status:sent"]) == 2  # a key of another screen: bad input
    assert "Unknown key status: (the audit keys are actor: action: target:" in (
        capsys.readouterr().err
    )
