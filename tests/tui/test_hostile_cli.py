"""The command line with hostile text from outside (tests/hostile.py): every command's
text output shows it with control and bidi characters made visible and Rich markup
literal; `--json` keeps the data exactly, with what JSON leaves raw escaped; `--csv`
keeps the data for a pipe and makes it visible on a terminal; errors that quote a name
are one readable line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core.runtime import Runtime
from tests.core.events import bodies as b
from tests.hostile import CORPUS, MARKUP, SHOWN, STORABLE, Hostile, forbidden, seed_hostile
from tui.cli.context import CommandContext
from tui.cli.main import main

SHORT = [name for name in STORABLE if len(SHOWN[name]) <= 26 and name != "long"]


@pytest.fixture
def hostile(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Hostile:
    monkeypatch.setattr(CommandContext, "runtime", lambda self, seed=True: runtime)
    monkeypatch.setattr(CommandContext, "close", lambda self: None)
    return seed_hostile(runtime)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check(output: str, expected: Iterable[str] = ()) -> None:
    """Nothing in `output` steers a terminal; every expected text is there."""
    assert not forbidden(output), forbidden(output)
    for text in expected:
        assert text in output, f"{text!r} is not in:\n{output}"


def table_shows(hostile: Hostile) -> list[str]:
    return [SHOWN[name] for name in SHORT + list(MARKUP)]


def test_logs_table_show_and_saved(hostile: Hostile, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "logs", "--limit", "100")
    assert code == 0
    check(out + err, table_shows(hostile))
    code, out, err = run(capsys, "logs", "show", hostile.everything_log)
    assert code == 0
    check(out + err, ["Re: [/docs] contract update"])
    for name in ("osc52", "clear", "c1", "bidi", "nul", "nel", "lsep", *MARKUP):
        assert f"{name}: {SHOWN[name]}" in out  # a line of the body
    for log_id in hostile.logs.values():
        code, out, err = run(capsys, "logs", "show", log_id)
        assert code == 0
        check(out + err)
    name, search = CORPUS["markup_tags"], CORPUS["osc52"]
    code, out, err = run(capsys, "logs", "--search", search, "--save-as", name)
    assert code == 0
    check(out + err, ["[urgent] Q3 [draft] report", SHOWN["osc52"]])
    code, out, err = run(capsys, "logs", "saved")
    check(out + err, [f"[urgent] Q3 [draft] report: search={SHOWN['osc52']}"])


def test_logs_csv_keeps_the_data_for_a_pipe_and_shows_it_on_a_terminal(
    hostile: Hostile, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "logs", "--csv", "--limit", "100")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    subjects = {row["subject"] for row in rows}
    assert set(STORABLE.values()) <= subjects  # as stored
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    code, out, _ = run(capsys, "logs", "--csv", "--limit", "100")
    assert code == 0
    check(out, [SHOWN[name] for name in STORABLE if name != "long"])


def test_json_keeps_the_data_and_escapes_what_would_steer_a_terminal(
    hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs: dict[str, Any] = {}
    for argv in (
        ("logs", "--json", "--limit", "100"),
        ("logs", "show", hostile.everything_log, "--json"),
        ("suppressions", "list", "--json"),
        ("events", "unmatched", "--json", "--limit", "100"),
        ("files", "list", "--json", "--limit", "100"),
    ):
        code, out, _ = run(capsys, *argv)
        assert code == 0
        check(out)
        outputs[argv[0] + " " + argv[1]] = json.loads(out)
    subjects = {row["subject"] for row in outputs["logs --json"]["items"]}
    assert set(STORABLE.values()) <= subjects  # exactly as stored
    assert outputs["logs show"]["subject"] == CORPUS["markup_close"]
    assert {e["diagnostic"] for e in outputs["suppressions list"]} == set(STORABLE.values())
    names = {item["originalName"] for item in outputs["files list"]["items"]}
    assert {f"{value}.txt" for value in STORABLE.values()} <= names


def test_files_commands(hostile: Hostile, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "files", "list", "--limit", "100")
    assert code == 0
    check(out + err, [f"{SHOWN[name]}.txt" for name in SHORT + list(MARKUP)])
    for name, file_id in hostile.files.items():
        code, out, err = run(capsys, "files", "versions", file_id)
        assert code == 0, err
        check(out + err)
        code, out, err = run(capsys, "files", "tag", file_id, "--add", "checked")
        assert code in (0, 2)  # a tag with control characters is refused, quoted readably
        check(out + err)
        code, out, err = run(capsys, "files", "tag", file_id, "--set", "checked")
        assert code == 0, err
        check(out + err, [f"{SHOWN[name][:40]}", f"client: {SHOWN[name][:40]}"])


def test_orphan_keys_and_reconcile(
    hostile: Hostile, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.identity = replace(runtime.whoami(), role="admin")  # the whole bucket
    bucket = runtime.settings.aws_s3_bucket
    assert bucket
    for name in ("osc52", "bidi", "markup_close"):  # uploaded through a presigned POST
        runtime.aws.s3.put_object(Bucket=bucket, Key=f"files/x/{CORPUS[name]}", Body=b"x")
    code, out, err = run(capsys, "files", "reconcile", "--orphans")
    assert code == 0, err
    check(out + err, [SHOWN[name] for name in ("osc52", "bidi", "markup_close")])


def test_suppressions_and_events(
    hostile: Hostile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "suppressions", "list")
    assert code == 0
    check(out + err, table_shows(hostile))
    code, out, err = run(capsys, "events", "unmatched", "--limit", "100")
    assert code == 0
    check(out + err, table_shows(hostile))
    # a saved body for a message id from outside, in a file whose name is hostile too
    body = tmp_path / f"{CORPUS['osc52']}.json"
    body.write_text(b.envelope(b.delivery(CORPUS["clear"], ["a@x.example"], ["a@x.example"], b.T0)))
    code, out, err = run(capsys, "events", "ingest", str(body))
    assert code == 0
    check(out + err, [SHOWN["osc52"], SHOWN["clear"]])


def test_templates_show_what_ses_holds(
    hostile: Hostile, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    # (SES answers in XML, which cannot carry C0 controls: the rest of the corpus)
    runtime.aws.ses.create_template(
        Template={
            "TemplateName": "hostile",
            "SubjectPart": CORPUS["markup_close"] + " " + CORPUS["c1"],
            "TextPart": CORPUS["markup_link"] + "\n" + CORPUS["bidi"] + "\n" + CORPUS["lsep"],
            "HtmlPart": "<p>" + CORPUS["nel"] + "</p>",
        }
    )
    code, out, err = run(capsys, "templates", "show", "hostile")
    assert code == 0, err
    check(out + err, [SHOWN[name] for name in ("markup_close", "c1", "markup_link", "bidi")])
    check(out + err, [SHOWN["lsep"], SHOWN["nel"]])


def test_send_dry_run_quotes_the_subject(
    hostile: Hostile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "body.txt"
    body.write_text("hello")
    subject = CORPUS["markup_tags"] + " " + CORPUS["bidi"]
    code, out, err = run(
        capsys,
        "send",
        "--to",
        "a@x.example",
        "--subject",
        subject,
        "--text",
        str(body),
        "--dry-run",
    )
    assert code == 0
    check(out + err, ["[urgent] Q3 [draft] report Invoice_2026_\\u202efdp.bat"])  # repr


def test_errors_quoting_outside_text_are_one_readable_line(
    hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ("logs", "show", CORPUS["osc52"]),
        ("logs", "show", CORPUS["surrogate"]),
        ("files", "versions", CORPUS["markup_close"]),
        ("files", "download", CORPUS["clear"], CORPUS["surrogate"]),
        ("suppressions", "remove", CORPUS["bidi"] + "@x.example"),
    ):
        code, out, err = run(capsys, *argv)
        assert code != 0
        check(out + err)
        assert err.startswith("depllc: ") and err.count("\n") == len(err.splitlines())
        assert "Traceback" not in err
