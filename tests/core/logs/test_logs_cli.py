"""`depllc logs`, `logs show`, `logs export`, `logs saved` and `stats`."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from core.logs.detail import REDACTED, REDACTED_LINK
from core.models import utcnow
from core.runtime import Runtime
from tests.core.logs.conftest import MakeLog
from tui.cli.context import CommandContext
from tui.cli.main import main

TOKEN = "TOKEN77reset"


@pytest.fixture
def cli(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setattr(CommandContext, "runtime", lambda self, seed=True: runtime)
    monkeypatch.setattr(CommandContext, "close", lambda self: None)
    return runtime


@pytest.fixture
def logs(cli: Runtime, add_log: MakeLog) -> dict[str, dict[str, object]]:
    now = utcnow()
    return {
        "bounced": add_log(
            status="bounced",
            subject="Contract",
            to=["bob@acme.test"],
            createdAt=now - timedelta(hours=1),
            events=[
                {
                    "type": "bounce",
                    "timestamp": now,
                    "metadata": {
                        "bounceType": "Permanent",
                        "bounceSubType": "General",
                        "recipients": [
                            {"emailAddress": "bob@acme.test", "diagnosticCode": "550 no such"}
                        ],
                    },
                }
            ],
        ),
        "auth": add_log(
            category="auth",
            content={"text": "code SECRET9"},
            createdAt=now - timedelta(hours=2),
            events=[  # SES reports the clicked password-reset link, token and all
                {
                    "type": "click",
                    "timestamp": now,
                    "metadata": {"link": f"https://app.depllc.example/reset?t={TOKEN}"},
                }
            ],
        ),
        "old": add_log(status="sent", createdAt=now - timedelta(days=10)),
    }


def test_list_filters_and_json(
    logs: dict[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", "--status", "bounced", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["nextCursor"] is None
    rows = answer["items"]
    assert [r["_id"] for r in rows] == [str(logs["bounced"]["_id"])]
    assert "content" not in rows[0]
    assert rows[0]["createdAt"].endswith("Z")
    assert main(["logs", "--since", "3d", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["items"]) == 2
    assert main(["logs", "-s", "ACME", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["items"]) == 1


def test_the_query_line_as_the_first_argument(
    logs: dict[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    def ids(*argv: str) -> list[str]:
        assert main(["logs", *argv, "--json"]) == 0
        return [row["_id"] for row in json.loads(capsys.readouterr().out)["items"]]

    bounced, old = str(logs["bounced"]["_id"]), str(logs["old"]["_id"])
    assert ids("status:bounced since:7d") == [bounced]
    assert ids("to:bob@acme.test") == [bounced]
    assert ids("contract status:bou") == [bounced]  # free text and a prefix
    assert ids("since:30d until:5d") == [old]
    assert ids("status:bounced", "--status", "sent") == [old]  # the flag wins
    assert main(["logs", "--json", "status:sent"]) == 0  # flags before it too
    assert [r["_id"] for r in json.loads(capsys.readouterr().out)["items"]] == [old]
    # the subcommands are still subcommands
    assert main(["logs", "show", bounced, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["_id"] == bounced


def test_the_table_shows_outside_text_visibly(
    cli: Runtime, add_log: MakeLog, capsys: pytest.CaptureFixture[str]
) -> None:
    """A subject or address from the CRM cannot move the cursor or recolour the
    terminal: control characters are shown, not sent."""
    add_log(subject="Invoice\x1b[2J due\nnow", to=["a\u202eb@acme.test"])
    assert main(["logs"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert len(out.splitlines()) == 2  # the header and one row: the newline is shown


def test_a_script_pages_with_the_cursor(
    logs: dict[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    """--json gives nextCursor; --cursor starts after it: every log once, in order."""
    seen: list[str] = []
    cursor: str | None = None
    for _page in range(5):
        assert (
            main(["logs", "--limit", "1", "--json", *(["--cursor", cursor] if cursor else [])]) == 0
        )
        answer = json.loads(capsys.readouterr().out)
        seen += [r["_id"] for r in answer["items"]]
        cursor = answer["nextCursor"]
        if cursor is None:
            break
    assert main(["logs", "--json"]) == 0
    assert seen == [r["_id"] for r in json.loads(capsys.readouterr().out)["items"]]
    assert len(seen) == 3
    assert main(["logs", "--cursor", "not-a-cursor"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_log_the_console_cannot_read_is_listed_marked_and_reported_once(
    cli: Runtime, logs: dict[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    odd = cli.store.emaillogs.find_one({"_id": logs["old"]["_id"]})
    assert odd is not None
    cli.store.emaillogs.update_one(
        {"_id": odd["_id"]}, {"$set": {"category": "newsletter", "status": None}}
    )
    assert main(["logs"]) == 0
    captured = capsys.readouterr()
    (line,) = [row for row in captured.out.splitlines() if str(odd["_id"]) in row]
    assert line.endswith("!")
    assert captured.err.count("could not be read in full") == 1
    assert "category" in captured.err
    assert main(["logs", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)["items"]
    assert [i["_id"] for i in items if "problem" in i] == [str(odd["_id"])]
    assert main(["logs", "show", str(odd["_id"])]) == 0
    assert "Unreadable" in capsys.readouterr().out


def test_two_queries_are_refused_in_one_line(
    cli: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["logs", "status:sent", "cat:auth"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "give one query (quote it): 'cat:auth' follows 'status:sent'" in err
    assert err.count("\n") == 1


def test_list_table_and_csv(
    logs: dict[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", "--limit", "2"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("TIME")
    assert len(lines) == 3
    assert "2 of ~3 logs" in captured.err  # unfiltered: the estimated count
    assert main(["logs", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 3
    assert "body" not in rows[0]


@pytest.mark.parametrize("width", [80, 120, 200])
def test_on_a_terminal_the_list_fits_its_width(
    cli: Runtime,
    add_log: MakeLog,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    width: int,
) -> None:
    """No row wraps at 80 columns; the id (what `logs show` takes) stays whole and last;
    Category and Priority give way before To and Subject get too narrow to read."""
    log = add_log(
        subject="Your contract C-1285 is ready to sign, with the annexes " * 2,
        to=["theo.miller.old30@hooli.example", "ann@acme.test"],
        category="client-portal",
        priority="urgent",
    )
    monkeypatch.setattr("tui.cli.logs_cmd.terminal_width", lambda: width)
    assert main(["logs"]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert len(header) < width and len(row) < width
    assert row.endswith(f"  {log['_id']}") and header.endswith("  ID")
    assert "theo.mille" in row and "+1" in row and "Your contrac" in row
    assert ("client-portal" in row) == (width >= 120)
    assert ("urgent" in row) == (width >= 160)
    monkeypatch.setattr("tui.cli.logs_cmd.terminal_width", lambda: None)  # a pipe: as before
    assert main(["logs"]) == 0
    piped = capsys.readouterr().out.splitlines()[1]
    assert "client-portal  urgent  theo.miller.old30@hooli.ex… +1" in piped


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["logs", "--status", "lost"], "Unknown status 'lost'"),
        (["logs", "--category", "spam"], "Unknown category"),
        (["logs", "--dates", "2026-11-20..2026-11-01"], "ends before it starts"),
        (["logs", "--dates", "next tuesday"], "is not a date"),
        (["logs", "--limit", "0"], "out of range"),
        (["logs", "--search", "x" * 300], "at most 200"),
        (["logs", "export", "/no/such/folder/x.csv"], "does not exist"),
        (["stats", "--since", "soon"], "is not a date"),
        (["logs", "colour:red"], "Unknown key colour: (the logs keys are status: cat: prio:"),
        (["logs", "status:lost"], "status:lost is not a delivery status. Use one of: queued"),
        (["logs", "since:"], "since: needs a value, e.g. since:today."),
    ],
)
def test_bad_input_exits_2_with_one_line(
    cli: Runtime, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_show_by_message_id_and_unknown(
    logs: dict[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", "show", str(logs["bounced"]["messageId"])]) == 0
    out = capsys.readouterr().out
    assert "550 no such" in out
    assert "Permanent/General" in out
    assert main(["logs", "show", str(logs["bounced"]["_id"]), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["timeline"][0]["details"]["diagnostic bob@acme.test"] == "550 no such"
    assert main(["logs", "show", "nope-not-an-id"]) == 1
    assert "No email log" in capsys.readouterr().err


def test_show_redacts_auth(
    logs: dict[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    for extra in ([], ["--json"]):
        assert main(["logs", "show", str(logs["auth"]["_id"]), *extra]) == 0
        out = capsys.readouterr().out
        assert "SECRET9" not in out and TOKEN not in out
        assert REDACTED in out
        assert f"https://app.depllc.example/{REDACTED_LINK}" in out  # the site stays


def test_auth_click_links_are_redacted_everywhere(
    logs: dict[str, dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", "--category", "auth", "--json"]) == 0
    listed = capsys.readouterr().out
    assert TOKEN not in listed and REDACTED_LINK in listed
    for name in ("auth.jsonl", "auth.csv"):
        target = tmp_path / name
        assert main(["logs", "export", str(target), "--category", "auth"]) == 0
        assert TOKEN not in target.read_text()


def test_export_with_filters_before_and_after(
    logs: dict[str, dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "b.jsonl"
    assert main(["logs", "--status", "bounced", "export", str(target)]) == 0
    assert len(target.read_text().splitlines()) == 1
    assert main(["logs", "export", str(target)]) == 2  # exists
    assert main(["logs", "export", str(target), "--force", "--category", "auth"]) == 0
    text = target.read_text()
    assert len(text.splitlines()) == 1 and "SECRET9" not in text
    assert "1 logs" in capsys.readouterr().out


def test_saved_searches(
    logs: dict[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", "--status", "bounced", "--save-as", "bounces", "--json"]) == 0
    capsys.readouterr()
    assert main(["logs", "saved"]) == 0
    assert "bounces: status=bounced" in capsys.readouterr().out
    assert main(["logs", "--saved", "bounces", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["items"]) == 1
    assert main(["logs", "--saved", "nope"]) == 1
    assert main(["logs", "saved", "--delete", "bounces"]) == 0


def test_stats(logs: dict[str, dict[str, object]], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["total"] == 3
    assert figures["byStatus"]["bounced"] == 1
    assert figures["quota"]["max24HourSend"] > 0
    assert main(["stats", "--since", "2d"]) == 0
    out = capsys.readouterr().out
    assert "2 emails" in out
    assert "bounce" in out and "SES quota" in out


def test_stats_take_the_filters_of_logs(
    logs: dict[str, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    def total(*argv: str) -> int:
        assert main(["stats", *argv, "--json"]) == 0
        return int(json.loads(capsys.readouterr().out)["total"])

    assert total() == 3  # --since 30d by default
    assert total("--status", "bounced") == 1
    assert total("--to", "bob@acme.test") == 1
    assert total("--category", "auth") == 1
    assert total("-s", "Contract", "--since", "2d") == 1
    assert total("--dates", "2d") == 2
    main(["logs", "--status", "sent", "--save-as", "sent"])
    capsys.readouterr()
    assert total("--saved", "sent") == 1
    assert main(["stats", "--status", "lost"]) == 2


def test_export_json_says_what_was_written(
    logs: dict[str, dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "all.csv"
    assert main(["logs", "export", str(target), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer == {
        "path": str(target),
        "rows": 3,
        "bytes": target.stat().st_size,
        "format": "csv",
    }
