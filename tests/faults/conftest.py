"""Signal tests run the command line in a child process (tests/faults/driver.py, or the
installed `depllc --sandbox`) and send it a signal mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bson import json_util

WORKTREE = Path(__file__).resolve().parents[2]
# Seconds from the signal to the end. The issue asks 2 s, measured on a quiet machine by
# benchmarks/interrupts.py; the suite allows 4 s so a loaded CI box does not fail it, and
# still fails a console that waits for SES's slow answer (5 s) or a stalled transfer.
BOUND = 4.0
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGHUP": signal.SIGHUP}


@dataclass
class Run:
    code: int
    seconds: float  # from the signal to the end of the process (0 without a signal)
    stdout: str
    stderr: str
    state: dict[str, Any]  # what the driver dumped: records, SES count, S3 state

    def logs(self) -> list[dict[str, Any]]:
        return list(self.state.get("emaillogs", []))


def _env(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MONGODB_"))}
    env.update(
        {
            "DEPLLC_STATE_DIR": str(state / "state"),
            "DEPLLC_CONFIG_DIR": str(state / "config"),
            "PYTHONPATH": str(WORKTREE),
        }
    )
    return env


def wait_for_mark(state: Path, mark: str, process: subprocess.Popen[str], timeout: float) -> None:
    marks = state / "marks"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marks.exists() and mark in marks.read_text().split():
            return
        if process.poll() is not None:
            said = process.stderr.read() if process.stderr else "(in its terminal)"
            raise AssertionError(f"ended before {mark!r}: {said}")
        time.sleep(0.02)
    process.kill()
    raise AssertionError(f"no {mark!r} within {timeout} s")


def run_driver(
    state: Path,
    faults: dict[str, Any],
    argv: list[str],
    signum: int | None = None,
    after: str = "ready",
    delay: float = 0.0,
) -> Run:
    """Run `depllc ARGV` through the driver; send `signum` `delay` s after the mark."""
    state.mkdir(parents=True, exist_ok=True)
    marks = state / "marks"
    if marks.exists():
        marks.unlink()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.driver", str(state), json.dumps(faults), "--", *argv],
        cwd=WORKTREE,
        env=_env(state),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seconds = 0.0
    if signum is not None:
        wait_for_mark(state, after, process, timeout=90)
        time.sleep(delay)
        sent = time.monotonic()
        process.send_signal(signum)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        seconds = time.monotonic() - sent
    stdout, stderr = process.communicate(timeout=120)
    saved = state / "store.json"
    dumped = json_util.loads(saved.read_text()) if saved.exists() else {}
    return Run(process.returncode, seconds, stdout, stderr, dumped)


# a completed file record with its bytes in S3 (the mail tests' fixture)
from tests.core.mail.conftest import stored_file as stored_file  # noqa: E402
