"""End to end: the installed `depllc --sandbox` in a real terminal (tmux), read off
the screen as a person sees it: the SANDBOX header and seeded log rows, the Files
screen on `3`, and ctrl+q ending the program."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

DEPLLC = Path(sys.executable).with_name("depllc")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("tmux") is None, reason="tmux is not installed (apt install tmux)"
    ),
]


class Terminal:
    """One tmux session on a private server socket (never the user's tmux)."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.socket = f"depllc-e2e-{uuid.uuid4().hex[:8]}"
        self.session = "depllc"
        line = " ".join(
            [
                "env",
                "-i",
                *(f"{k}={shlex.quote(v)}" for k, v in env.items()),
                *map(shlex.quote, command),
            ]
        )
        self._tmux(
            "new-session", "-d", "-s", self.session, "-x", "160", "-y", "48", "-c", str(cwd), line
        )
        # a fixed size, whatever clients attach (none do)
        self._tmux("set-option", "-t", self.session, "window-size", "manual")
        self._tmux("resize-window", "-t", self.session, "-x", "160", "-y", "48")

    def _tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=10,
        )

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.session).stdout

    def press(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.session, *keys)

    def alive(self) -> bool:
        return self._tmux("has-session", "-t", self.session).returncode == 0

    def wait_for(self, what: str, check: Callable[[str], bool], timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = self.screen()
            if check(shown):
                return shown
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; the screen shows:\n{shown}")

    def close(self) -> None:
        self._tmux("kill-server")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    if not DEPLLC.exists():
        pytest.skip(f"{DEPLLC} is not installed (run `make test`, which installs it)")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "COLORTERM": "truecolor",
        "DEPLLC_CONFIG_DIR": str(tmp_path / "config"),
        "DEPLLC_STATE_DIR": str(tmp_path / "state"),
        "DEPLLC_USER": "e2e",
    }
    term = Terminal([str(DEPLLC), "--sandbox"], env, tmp_path)
    yield term
    term.close()


def test_sandbox_console_in_a_real_terminal(terminal: Terminal) -> None:
    first = terminal.wait_for("the header", lambda s: "depllc" in s and "SANDBOX" in s)
    assert "Traceback" not in first
    logs = terminal.wait_for(
        "seeded log rows",
        lambda s: "Logs" in s and sum(w in s for w in ("delivered", "bounced", "@")) == 3,
    )
    header = logs.splitlines()[0]
    assert header.count("SANDBOX") == 1 and "127.0.0.1" in header
    terminal.press("3")
    files = terminal.wait_for(
        "the Files screen with seeded files",
        lambda s: (
            " Files " in s.splitlines()[0]
            and re.search(r"\b\d+ files\b", s) is not None
            and "completed" in s
        ),
    )
    assert "SANDBOX" in files.splitlines()[0]
    terminal.press("C-q")
    deadline = time.monotonic() + 10
    while terminal.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not terminal.alive(), "ctrl+q did not end the program:\n" + terminal.screen()
