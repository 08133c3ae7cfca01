"""Startup, measured as a person sees it: the time from launching `depllc` in a real
terminal (tmux, 160x48) until the screen shows, polling `capture-pane` every 10 ms.

Cases (each run several times; the median is reported, with the min):

- `depllc --help` (and `--version`): plain wall time of the process, hyperfine-style.
- connected start: a moto server is already running (its own process, on a free
  port, with the bucket made), `MONGODB_URI=mongomock://`, fake credentials.
  * first screen: the header and the footer are drawn;
  * first page of logs: the log table's summary line shows a count. The store is
    `mongomock://`, which lives inside the console's own process, so it starts empty:
    this is the time to run the first query and draw the table with its empty state,
    not to draw rows. (A real MongoDB would add its round trips.)
- `depllc --sandbox`: first screen, then the seeded log rows (the sandbox starts a
  moto server, provisions it and seeds 520 logs and 53 files first).
- a bare Textual app (Header, a 1,000-row DataTable, Footer; written to a temporary
  file), run interleaved with ours: the calibration. The issue measured it at 0.30 s
  on this machine when idle; on a busy machine every figure grows, the ratios less.
- posting (a well-known Textual app), when it is installed: first screen, the same
  way. `--posting PATH` names its executable (e.g. one pip-installed into a
  separate venv); otherwise `posting` on PATH or beside this Python is used.

    .venv/bin/python benchmarks/startup.py [--runs 5] [--posting /tmp/posting-venv/bin/posting]

Targets (issue #14): --help < 0.1 s; the connected first screen within 1.15x the bare
Textual app of the same run (issue #2's absolute targets, first screen < 0.6 s and first
page of logs < 1.0 s, are still printed).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
DEPLLC = BIN / "depllc"
POLL = 0.010
TARGETS = {"--help": 0.1, "connected: first screen": 0.6, "connected: first page of logs": 1.0}
RATIO_TARGET = 1.15  # the connected first screen / the bare Textual app
LOGS_SHOWN = re.compile(r"\b\d[\d,]*( of [~\d,]+)? logs\b")


class Tmux:
    """A private tmux server (its own socket, no user config), started before any
    timing so its own start is never measured."""

    def __init__(self) -> None:
        self.socket = f"depllc-bench-{uuid.uuid4().hex[:8]}"
        self.run("new-session", "-d", "-s", "idle", "-x", "160", "-y", "48", "sleep 600")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=10,
        )

    def time_until(
        self,
        command: list[str],
        env: dict[str, str],
        cwd: Path,
        checks: dict[str, Callable[[str], bool]],
        timeout: float = 30.0,
    ) -> dict[str, float]:
        """Start `command` in a fresh 160x48 session; return, for each check, the
        seconds until the screen first passed it."""
        name = f"run-{uuid.uuid4().hex[:6]}"
        line = " ".join(
            ["env", "-i", *(f"{k}={shlex.quote(v)}" for k, v in env.items())]
            + [shlex.quote(c) for c in command]
        )
        found: dict[str, float] = {}
        start = time.perf_counter()
        self.run("new-session", "-d", "-s", name, "-x", "160", "-y", "48", "-c", str(cwd), line)
        try:
            while len(found) < len(checks):
                elapsed = time.perf_counter() - start
                if elapsed > timeout:
                    screen = self.run("capture-pane", "-p", "-t", name).stdout
                    raise TimeoutError(f"{command}: no {set(checks) - set(found)}:\n{screen}")
                screen = self.run("capture-pane", "-p", "-t", name).stdout
                now = time.perf_counter() - start
                for label, check in checks.items():
                    if label not in found and check(screen):
                        found[label] = now
                time.sleep(POLL)
        finally:
            self.run("kill-session", "-t", name)
        return found

    def close(self) -> None:
        self.run("kill-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _base_env(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "LANG": "C.UTF-8",
        "DEPLLC_CONFIG_DIR": str(home / "config"),
        "DEPLLC_STATE_DIR": str(home / "state"),
    }


def _first_screen(screen: str) -> bool:
    """The header (first line) and the footer (the palette hint, last line) are drawn."""
    lines = [line for line in screen.splitlines() if line.strip()]
    return bool(lines) and lines[0].lstrip().startswith("depllc") and "palette" in lines[-1]


def _logs_page(screen: str) -> bool:
    return _first_screen(screen) and bool(LOGS_SHOWN.search(screen))


def _seeded_rows(screen: str) -> bool:
    return _logs_page(screen) and "delivered" in screen and "@" in screen


BARE_APP = """
from textual.app import App
from textual.widgets import DataTable, Footer, Header


class Bare(App):
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("n", "text", "more")
        for i in range(1000):
            table.add_row(str(i), "bare textual row", "x" * 20)


Bare().run()
"""


def _bare_screen(screen: str) -> bool:
    lines = [line for line in screen.splitlines() if line.strip()]
    return len(lines) > 5 and "bare textual row" in screen and "palette" in lines[-1]


def _wall(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, timeout=30)
        times.append(time.perf_counter() - start)
    return times


class MotoServer:
    """A moto server in its own process, with the bucket a connected start names."""

    def __init__(self, bucket: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import boto3

        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        session.client("s3", endpoint_url=self.url).create_bucket(Bucket=bucket)
        session.client("ses", endpoint_url=self.url).verify_email_identity(
            EmailAddress="noreply@depllc.example"
        )

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _find_posting(given: str | None) -> str | None:
    if given:
        return given if Path(given).exists() else None
    for candidate in (shutil.which("posting"), BIN / "posting"):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


def _report(label: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    target = TARGETS.get(label)
    verdict = ""
    if target is not None:
        verdict = f"  target < {target:.1f} s: {'ok' if median < target else 'MISSED'}"
    print(f"  {label:<34} median {median:6.3f} s   min {min(samples):6.3f} s{verdict}")
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--posting", help="the posting executable to compare with")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is not installed (apt install tmux): cannot measure in a real terminal")
        return 1
    if not DEPLLC.exists():
        print(f"{DEPLLC} is missing: run `make run` or `make test` first")
        return 1

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"depllc startup, {args.runs} runs each (tmux 160x48, capture-pane every 10 ms)")
    print(f"load average {load} on {os.cpu_count()} CPUs (figures grow with load)\n")
    print("command line")
    results: dict[str, float] = {}
    ratio_missed: list[str] = []
    results["--help"] = _report("--help", _wall([str(DEPLLC), "--help"], args.runs * 2))
    _report("--version", _wall([str(DEPLLC), "--version"], args.runs * 2))

    tmux = Tmux()
    bucket = "depllc-bench-files"
    moto = MotoServer(bucket)
    try:
        with tempfile.TemporaryDirectory(prefix="depllc-bench-") as home_dir:
            home = Path(home_dir)
            connected_env = {
                **_base_env(home),
                "AWS_ENDPOINT_URL": moto.url,
                "AWS_S3_BUCKET": bucket,
                "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SES_FROM_EMAIL": "noreply@depllc.example",
                "MONGODB_URI": "mongomock://",
            }
            bare_app = home / "bare_app.py"
            bare_app.write_text(BARE_APP)
            print("\nconnected start (moto server running, mongomock:// store: empty),")
            print("interleaved with the bare Textual app")
            connected, bare = [], []
            for _ in range(args.runs):
                connected.append(
                    tmux.time_until(
                        [str(DEPLLC)],
                        connected_env,
                        home,
                        {"first screen": _first_screen, "first page of logs": _logs_page},
                    )
                )
                bare.append(
                    tmux.time_until(
                        [sys.executable, str(bare_app)],
                        _base_env(home),
                        home,
                        {"first screen": _bare_screen},
                    )["first screen"]
                )
            bare_median = _report("bare Textual app (calibration)", bare)
            for key in ("first screen", "first page of logs"):
                label = f"connected: {key}"
                results[label] = _report(label, [r[key] for r in connected])
                ratio = results[label] / bare_median
                verdict = ""
                if key == "first screen":
                    ok = ratio <= RATIO_TARGET
                    verdict = f"  target <= {RATIO_TARGET}x: {'ok' if ok else 'MISSED'}"
                    if not ok:
                        ratio_missed.append(f"{label} {ratio:.2f}x the bare app")
                print(f"  {'':<34} = {ratio:.2f}x the bare app{verdict}")

            print("\nsandbox start (moto server started, provisioned and seeded by depllc)")
            sandbox = [
                tmux.time_until(
                    [str(DEPLLC), "--sandbox"],
                    _base_env(home),
                    home,
                    {"first screen": _first_screen, "seeded log rows": _seeded_rows},
                )
                for _ in range(args.runs)
            ]
            for key in ("first screen", "seeded log rows"):
                _report(f"sandbox: {key}", [r[key] for r in sandbox])

            posting = _find_posting(args.posting)
            print("\npeer: posting")
            if posting is None:
                print("  not installed (pip install posting into a separate venv, pass --posting)")
            else:
                collection = home / "collection"
                collection.mkdir(exist_ok=True)
                peer = [
                    tmux.time_until(
                        [posting, "--collection", str(collection)],
                        _base_env(home),
                        home,
                        {"first screen": _posting_screen},
                    )["first screen"]
                    for _ in range(args.runs)
                ]
                peer_median = _report("posting: first screen", peer)
                print(f"  {'':<34} = {peer_median / bare_median:.2f}x the bare app")
                ours = results["connected: first screen"]
                print(f"  depllc connected first screen / posting: {ours / peer_median:.2f}x")
    finally:
        moto.close()
        tmux.close()
    missed = [k for k, target in TARGETS.items() if results[k] >= target] + ratio_missed
    print("\nall targets met" if not missed else f"\nmissed: {', '.join(missed)}")
    return 0


def _posting_screen(screen: str) -> bool:
    lines = [line for line in screen.splitlines() if line.strip()]
    return len(lines) > 10 and "Posting" in screen and ("^p" in lines[-1] or "palette" in lines[-1])


if __name__ == "__main__":
    raise SystemExit(main())
