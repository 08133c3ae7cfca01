"""Odd input anywhere on the command line is one line and exit 2 (issue 12 item 11):
found by running every command with out-of-range numbers and undecodable bytes, which
reached "Unexpected error" (or a traceback while printing it)."""

from __future__ import annotations

import pytest

from core.runtime import Runtime
from tui.cli.context import CommandContext
from tui.cli.main import main

CASES = [
    (["events", "rates", "--days", "0"], "argument --days: 0 is out of range: use 1 to 3650"),
    (["events", "rates", "--days", "99999999999"], "out of range"),  # was an OverflowError
    (["events", "pull", "--once", "--max", "-1"], "argument --max: -1 is out of range"),
    (["events", "unmatched", "--limit", "-3"], "argument --limit: -3 is out of range"),
    (["suppressions", "list", "--limit", "-1"], "argument --limit: -1 is out of range"),
    (["files", "reconcile", "--stale-minutes", "-5"], "argument --stale-minutes: -5 is out"),
    (["files", "upload", "a.pdf", "--parallel", "0"], "argument --parallel: 0 is out of range"),
    (["files", "download", "x", "--parallel", "many"], "'many' is not a whole number"),
    # bytes that are not UTF-8 (a Latin-1 terminal, a file name): Python keeps them as
    # lone surrogates, which no query, store or print takes
    (["logs", "--to", "caf\udce9@example.com"], "'caf\\\\xe9@example.com' is not UTF-8 text"),
    (["templates", "show", "\udcff"], "is not UTF-8 text"),
    (["suppressions", "remove", "\udcff@x.example"], "is not UTF-8 text"),
]


@pytest.mark.parametrize(("argv", "message"), CASES, ids=[" ".join(c[0][:3]) for c in CASES])
def test_odd_input_is_one_line_and_exit_2(
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.setattr(CommandContext, "runtime", lambda self, seed=True: runtime)
    monkeypatch.setattr(CommandContext, "close", lambda self: None)
    try:
        code = main(argv)
    except SystemExit as usage:  # argparse's own errors leave through SystemExit
        code = int(usage.code or 0)
    out, err = capsys.readouterr()
    assert code == 2, err
    assert err.startswith("depllc: ") and err.count("\n") == 1 and message in err
    assert "Unexpected" not in err and out == ""
