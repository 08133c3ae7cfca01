"""`depllc` builds only the command it runs: the table in tui/cli/main.py says which
module registers each command and its line in `--help`; it must say what the modules do."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from tui.cli.main import COMMANDS, build_parser, command_word


def top_level(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sub


def test_the_table_is_what_the_modules_register() -> None:
    registered = {a.dest: a.help for a in top_level(build_parser())._choices_actions}
    assert registered == {name: line for name, (_, line) in COMMANDS.items()}


def test_the_help_lists_every_command_with_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        build_parser(None, whole=False).parse_args(["--help"])
    assert ended.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    for name, (_, line) in COMMANDS.items():
        assert name in shown and " ".join(line.split()) in shown


@pytest.mark.parametrize(
    ("words", "command"),
    [
        (["logs", "--status", "bounced"], "logs"),
        (["--sandbox", "--profile", "ops", "files", "list"], "files"),
        (["--region=eu-west-1", "send-bulk", "x.csv"], "send-bulk"),
        (["--config", "logs", "doctor"], "doctor"),  # a file named "logs"
        (["--sandbox"], None),
        (["--", "case", "ann@x.example"], "case"),
    ],
)
def test_the_command_word(words: list[str], command: str | None) -> None:
    assert command_word(words) == command


def test_a_command_imports_only_its_own_module() -> None:
    probe = (
        "import sys; from tui.cli.main import main\n"
        "try:\n    main(['logs', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules\n"
        "    if m.startswith('tui.cli.') and m.endswith(('_cmd', 'completion'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "['tui.cli.logs_cmd']"


def test_the_lean_parser_runs_a_command_like_the_whole_one() -> None:
    words = ["logs", "--status", "bounced", "-n", "5"]
    lean = vars(build_parser(command_word(words), whole=False).parse_args(words))
    whole = vars(build_parser().parse_args(words))
    assert lean == whole
