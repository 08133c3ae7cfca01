"""`depllc` with no command runs the console; its exit code tells a crash apart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tui.app import DepllcApp
from tui.cli.main import main


class _Crashing(DepllcApp):
    """The console, stopped by an unhandled error once it is up (headless)."""

    def on_mount(self) -> None:
        raise RuntimeError("a bug")

    def run(self, *args: Any, **kwargs: Any) -> int | None:
        return super().run(headless=True)


def test_a_crash_exits_non_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui.app.DepllcApp", _Crashing)
    assert main(["--sandbox"]) == 1


@pytest.mark.parametrize("words", [[], ["--sandbox"]], ids=["connected", "--sandbox"])
def test_a_broken_settings_file_ends_the_console_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    words: list[str],
) -> None:
    # the console reads its settings after the first frame (with --sandbox, after it
    # started moto); a broken file still ends it as it ends a command: one line that
    # names the file, exit 2
    (tmp_path / "config.toml").write_text("aws_region = [broken\n")
    monkeypatch.setenv("DEPLLC_CONFIG_DIR", str(tmp_path))
    assert main(words) == 2
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith("depllc:")]
    assert said == [
        f"depllc: Cannot read settings from {tmp_path / 'config.toml'}: "
        "Invalid value (at line 1, column 15)"
    ]


def test_the_first_screen_is_drawn_before_pydantic_or_the_aws_and_mongo_clients_load() -> None:
    # `depllc` draws the Logs screen (composed and mounted, its query history read)
    # first; the settings (pydantic), boto3 and pymongo load in the startup worker after
    probe = """
import sys
import tui.cli.main, tui.cli.context, tui.launch
from tui.app import DepllcApp

HEAVY = {"pydantic", "pydantic_settings", "boto3", "botocore", "pymongo", "moto"}

class FirstFrame(DepllcApp):
    def open_runtime(self):  # called once the first frame is drawn
        print(sorted({m.split(".")[0] for m in sys.modules} & HEAVY), type(self.screen).__name__)
        self.exit()

FirstFrame(lambda: None).run(headless=True, size=(80, 24))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] LogsScreen"
