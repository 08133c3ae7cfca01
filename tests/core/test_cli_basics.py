"""The `depllc` command line, run as a person would (the installed script in a
subprocess): version, help, bad input as one line with exit code 2, `config show`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import __version__

DEPLLC = Path(sys.executable).with_name("depllc")


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    if not DEPLLC.exists():
        pytest.skip(f"{DEPLLC} is not installed (run `make test`, which installs it)")
    return subprocess.run(
        [str(DEPLLC), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_version(tmp_path: Path) -> None:
    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"depllc {__version__}"


def test_help_names_the_global_flags_and_commands(tmp_path: Path) -> None:
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for word in ("--sandbox", "--profile", "--region", "--config", "config"):
        assert word in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    "args",
    [("frobnicate",), ("--frobnicate",), ("config", "show", "--bogus"), ("--region",)],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("depllc: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_missing_config_file_is_bad_input(tmp_path: Path) -> None:
    result = run("--config", str(tmp_path / "nope.toml"), "config", "show", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.strip() == f"depllc: Config file not found: {tmp_path / 'nope.toml'} "
        "Check the --config path."
    )


def test_config_show_json(tmp_path: Path) -> None:
    env = {"MONGODB_URI": "mongodb://crm:topsecret@db.example/crm", "AWS_S3_BUCKET": "crm-files"}
    result = run("--region", "eu-west-1", "config", "show", "--json", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert "topsecret" not in result.stdout
    assert shown["aws_region"] == {"value": "eu-west-1", "source": "flag"}
    assert shown["aws_s3_bucket"] == {"value": "crm-files", "source": "env"}
    assert shown["mongodb_uri"]["value"] == "mongodb://crm:****@db.example/crm"
    assert shown["sandbox"] == {"value": "False", "source": "default"}


def test_sandbox_flag_reaches_every_command(tmp_path: Path) -> None:
    env = {"MONGODB_URI": "mongodb://db.example/crm", "AWS_S3_BUCKET": "crm-files"}
    result = run("--sandbox", "config", "show", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "mode: sandbox" in result.stdout
    assert [line.split()[1:] for line in result.stdout.splitlines() if line.startswith("SANDBOX ")]
    sandbox_row = next(line for line in result.stdout.splitlines() if line.startswith("SANDBOX "))
    assert sandbox_row.split()[1:] == ["True", "flag"]
