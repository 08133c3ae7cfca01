"""Shell completion: `depllc completion SHELL` and the `__complete` walk behind it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.logs import saved
from core.logs.query import FilterSet
from tui.cli.completion import complete
from tui.cli.main import build_parser, main

DEPLLC = Path(sys.executable).with_name("depllc")


def _complete(*words: str) -> list[str]:
    return complete(build_parser(), list(words))


def test_subcommands_at_the_top_and_inside_a_group() -> None:
    top = _complete("")
    assert {"logs", "send", "files", "suppressions", "completion"} <= set(top)
    assert "__complete" not in top
    assert _complete("fi") == ["files"]
    assert set(_complete("logs", "")) >= {"show", "export", "saved"}


def test_flags_of_the_command_being_typed() -> None:
    assert "--status" in _complete("logs", "--st")
    assert "--json" in _complete("logs", "show", "--")
    assert "--to" in _complete("send", "--")
    assert "--status" not in _complete("send", "--st")


def test_enum_values_follow_the_command() -> None:
    assert _complete("logs", "--status", "") == [
        "queued", "sent", "delivered", "bounced", "complaint", "failed"
    ]  # fmt: skip
    assert "deleted" in _complete("files", "list", "--status", "")
    assert "bounced" not in _complete("files", "list", "--status", "")
    assert _complete("send", "--priority", "u") == ["urgent"]
    assert "--category=invoice" in _complete("files", "list", "--category=")
    assert _complete("logs", "--category", "m") == ["marketing"]
    assert set(_complete("suppressions", "add", "x@y.z", "--reason", "")) == {
        "manual", "bounce", "complaint"
    }  # fmt: skip


def test_a_flag_value_is_not_taken_for_a_subcommand() -> None:
    # `--search logs` is the search text, not the group `logs` again
    assert "--status" in _complete("logs", "--search", "show", "--st")


def test_saved_search_names() -> None:
    saved.save("weekly-bounces", FilterSet(status="bounced", dates="7d"))
    saved.save("auth", FilterSet(category="auth"))
    assert _complete("logs", "--saved", "") == ["weekly-bounces", "auth"]
    assert _complete("logs", "saved", "--delete", "we") == ["weekly-bounces"]


def test_complete_command_prints_one_candidate_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["__complete", "--", "logs", "--status", "bo"]) == 0
    assert capsys.readouterr().out == "bounced\n"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_scripts_name_the_command(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert "depllc __complete --" in script


def test_bash_script_completes_in_bash(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    script = subprocess.run(
        [DEPLLC, "completion", "bash"], capture_output=True, text=True, check=True
    ).stdout
    probe = (
        f'PATH="{DEPLLC.parent}:$PATH"\n{script}\n'
        "COMP_WORDS=(depllc logs --status b); COMP_CWORD=3; _depllc\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run([bash, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["bounced"], out.stderr
