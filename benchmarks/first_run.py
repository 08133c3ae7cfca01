"""A newcomer's first run: `git clone` then `make run`, timed until the console in tmux
(80x24) shows the first seeded logs. The clone is fresh (no .venv, no .tools), so this
includes bootstrapping uv and installing from the lock; the package caches (uv's, pip's)
are the machine's, warm after any earlier install, as a newcomer's second project
would find them. `--cold` points uv at an empty cache instead (downloads everything).

    .venv/bin/python benchmarks/first_run.py [--runs 2] [--cold]

Target (issue #14): under 30 s on this machine with warm caches.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 30.0
SHOWN = re.compile(r"\b\d[\d,]* of ~?[\d,]+ logs\b")  # the Logs summary line, rows drawn


def one_run(cold: bool) -> float:
    work = Path(tempfile.mkdtemp(prefix="depllc-first-run-"))
    session = f"first-run-{uuid.uuid4().hex[:6]}"
    try:
        subprocess.run(["git", "clone", "-q", str(ROOT), str(work / "repo")], check=True)
        env = {
            "DEPLLC_CONFIG_DIR": str(work / "config"),
            "DEPLLC_STATE_DIR": str(work / "state"),
            **({"UV_CACHE_DIR": str(work / "uv-cache")} if cold else {}),
        }
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        start = time.perf_counter()
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
             f"cd {work / 'repo'} && env {exports} make run"],
            check=True,
        )  # fmt: skip
        while time.perf_counter() - start < 600:
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
            if SHOWN.search(screen):
                return time.perf_counter() - start
            time.sleep(0.1)
        raise SystemExit("the console did not show logs within 10 minutes")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--cold", action="store_true", help="an empty uv cache")
    args = parser.parse_args()
    times = [one_run(args.cold) for _ in range(args.runs)]
    median = statistics.median(times)
    print("fresh clone -> first seeded logs in tmux 80x24 (make run)")
    print("  runs: " + " ".join(f"{t:.1f}s" for t in times))
    verdict = "met" if median < TARGET_S else "MISSED"
    print(f"  median {median:.1f}s, target < {TARGET_S:.0f}s: {verdict}")
    print(f"  load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
