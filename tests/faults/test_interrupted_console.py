"""Issue 12: the full-screen console in a terminal (a pty that is its controlling terminal,
as sshd gives it) is sent SIGTERM or SIGINT, or loses its terminal (the pty closed: the
kernel's SIGHUP, a dropped SSH session), while a bulk send waits for SES or a download
for S3. It ends at once (2 s, benchmarks/interrupts.py) with 128 + the signal, the
screen restored and a summary printed (when there is a terminal left), and the store and
the disk hold what the command line would leave: the batch SES accepted `sent` with its
ids, the rows not reached not sent and audited, no `.part` file."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest
from bson import json_util

from tests.faults.conftest import BOUND, WORKTREE, _env, wait_for_mark

FILE_ID = "65a000000000000000000001"
DROP = 0  # no signal: the terminal goes away


def _own_terminal() -> None:  # in the child, after setsid: the pty becomes its terminal
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


# The terminal's session leader when the console is not one (`make run`, `ssh host -t
# make run`): it takes the hang-up itself, so the kernel signals nobody else.
LEADER = (
    "import signal, subprocess, sys; signal.signal(signal.SIGHUP, signal.SIG_IGN); "
    "sys.exit(subprocess.call(sys.argv[1:]))"
)


def run_console(
    state: Path,
    faults: dict[str, object],
    how: int,
    after: str,
    delay: float,
    under_a_leader: bool = False,
) -> tuple[int, float, str, dict[str, object]]:
    """(exit code, seconds from the signal to the end, what the terminal showed, the
    store and S3 the driver dumped)."""
    state.mkdir(parents=True, exist_ok=True)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    leader = [sys.executable, "-c", LEADER] if under_a_leader else []
    process = subprocess.Popen(
        [
            *leader,
            sys.executable,
            "-m",
            "tests.faults.driver",
            str(state),
            json.dumps(faults),
            "--",
        ],
        cwd=WORKTREE,
        env={**_env(state), "TERM": "xterm-256color"},
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=_own_terminal,
    )
    # the slave stays open here until the end: on Linux a read of the master fails
    # (EIO) once no process holds the slave, and the last lines written can be lost
    shown = bytearray()
    done = threading.Event()

    def read_terminal() -> None:  # a terminal that is read: the console never blocks
        while not done.is_set():
            try:
                if select.select([master], [], [], 0.1)[0]:
                    shown.extend(os.read(master, 65536))
            except OSError:
                return

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    try:
        wait_for_mark(state, after, process, timeout=120)
        time.sleep(delay)
        sent = time.monotonic()
        if how == DROP:
            os.close(master)
        else:
            process.send_signal(how)
        code = process.wait(timeout=30)
        seconds = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
        done.set()
        reader.join(5)
        if how != DROP:  # what it wrote last, read to the end (a busy machine is slow)
            while select.select([master], [], [], 0.5)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                shown.extend(chunk)
        os.close(slave)
        if how != DROP:
            os.close(master)
    dumped = json_util.loads((state / "store.json").read_text())
    return code, seconds, shown.decode(errors="replace"), dumped


@pytest.mark.parametrize("how", [signal.SIGTERM, DROP], ids=["SIGTERM", "dropped terminal"])
def test_a_bulk_send_in_the_console(tmp_path: Path, how: int) -> None:
    csv = tmp_path / "clients.csv"
    csv.write_text(
        "email,name,invoice,amount,due\n"
        + "".join(f"client{i}@example.com,Client {i},INV-{i},${i}.00,1 Dec\n" for i in range(120))
    )
    faults = {"ses_seconds": 0.5, "tui": {"bulk": str(csv), "template": "invoice-reminder"}}
    code, seconds, shown, state = run_console(tmp_path / "run", faults, how, "ses-call", 0.05)
    assert code == 128 + (how or signal.SIGHUP), shown[-2000:]
    assert seconds < BOUND, seconds
    logs = state["emaillogs"]
    assert isinstance(logs, list) and len(logs) == 50
    assert {log["status"] for log in logs} == {"sent"}
    assert all(not log["messageId"].startswith("queued-") for log in logs)
    (audit,) = [a for a in state["auditlog"] if a["action"] == "send-bulk"]  # type: ignore[attr-defined]
    assert audit["details"]["notAttempted"] == 70
    if how != DROP:  # the screen restored, then what was recorded
        after = shown[shown.rindex("\x1b[?1049l") :]
        assert "depllc: stopped by SIGTERM" in after
        assert "depllc: bulk send: not sent 70 (rows 52-121)" in after


@pytest.mark.parametrize(
    "how",
    [signal.SIGINT, signal.SIGHUP, DROP],
    ids=["SIGINT", "SIGHUP, the terminal still there", "dropped terminal"],
)
def test_a_download_in_the_console(tmp_path: Path, how: int) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    faults = {
        "file": {"id": FILE_ID, "size": 20 * 1024 * 1024},
        "get_seconds": 30,  # a stalled connection
        "tui": {"download": FILE_ID, "to": str(folder)},
    }
    code, seconds, shown, _ = run_console(tmp_path / "run", faults, how, "part", 0.3)
    assert code == 128 + (how or signal.SIGHUP), shown[-2000:]
    assert seconds < BOUND, seconds
    assert list(folder.iterdir()) == []
    if how != DROP:  # a terminal is left (`kill -HUP` too): its screen is restored
        after = shown[shown.rindex("\x1b[?1049l") :]
        assert f"depllc: stopped by {signal.Signals(how).name}" in after


def test_a_dropped_terminal_ends_the_console_when_another_process_leads_its_session(
    tmp_path: Path,
) -> None:
    """`make run` over SSH: make leads the session and alone gets the kernel's SIGHUP
    when the connection drops. The console notices its terminal is gone and ends as on
    a hang-up (it span at 90% CPU, forever, before)."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    faults = {
        "file": {"id": FILE_ID, "size": 20 * 1024 * 1024},
        "get_seconds": 30,
        "tui": {"download": FILE_ID, "to": str(folder)},
    }
    code, seconds, shown, _ = run_console(
        tmp_path / "run", faults, DROP, "part", 0.3, under_a_leader=True
    )
    assert code == 128 + signal.SIGHUP, shown[-2000:]
    assert seconds < BOUND, seconds
    assert list(folder.iterdir()) == []
