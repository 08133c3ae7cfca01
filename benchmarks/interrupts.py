"""How long the command line takes to end after a signal, against the 2 s the safety
issue asks for: a bulk send whose SES call is in flight (SIGINT, SIGTERM, SIGHUP), a
download stalled on S3 (SIGINT) and an upload stalled on a part (SIGTERM). Each runs
the real `depllc` through the fault driver (tests/faults/driver.py: the sandbox with
a slow SES or S3 injected) in a child process, `--runs` times; printed: the seconds from
the signal to the process's end (median and worst) and the exit code.

The suite (tests/faults, tests/tui/test_interrupts.py) asserts a looser bound, so a
busy CI machine does not fail it; this is where the 2 s is measured, on a quiet one.

    .venv/bin/python benchmarks/interrupts.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.conftest import run_driver

TARGET = 2.0
FILE_ID = "65a000000000000000000001"
SIZE = 20 * 1024 * 1024


def scenarios(tmp: Path) -> list[tuple[str, dict[str, object], list[str], int, str, float]]:
    csv = tmp / "clients.csv"
    csv.write_text(
        "email,name,invoice,amount,due\n"
        + "".join(f"client{i}@example.com,Client {i},INV-{i},${i}.00,1 Dec\n" for i in range(120))
    )
    scan = tmp / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n" + b"\0" * SIZE)
    folder = tmp / "downloads"
    folder.mkdir()
    bulk = ["send-bulk", "--template", "invoice-reminder", "--csv", str(csv)]
    slow_ses: dict[str, object] = {"ses_seconds": 0.5}
    return [
        ("bulk send, SIGINT", slow_ses, bulk, signal.SIGINT, "ses-call", 0.05),
        ("bulk send, SIGTERM", slow_ses, bulk, signal.SIGTERM, "ses-call", 0.05),
        ("bulk send, SIGHUP", slow_ses, bulk, signal.SIGHUP, "ses-call", 0.05),
        (
            "download stalled, SIGINT",
            {"file": {"id": FILE_ID, "size": SIZE}, "get_seconds": 30},
            ["files", "download", FILE_ID, "--to", str(folder), "--keep-both"],
            signal.SIGINT,
            "part",
            0.3,
        ),
        (
            "upload stalled, SIGTERM",
            {"part_seconds": 30},
            ["files", "upload", str(scan), "--category", "document"],
            signal.SIGTERM,
            "part",
            0.3,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    worst_of_all = 0.0
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for label, faults, argv, signum, mark, delay in scenarios(tmp):
            seconds, codes = [], set()
            for n in range(args.runs):
                run = run_driver(
                    tmp / f"{label}-{n}".replace(" ", "_"), faults, argv, signum, mark, delay
                )
                seconds.append(run.seconds)
                codes.add(run.code)
            worst = max(seconds)
            worst_of_all = max(worst_of_all, worst)
            print(
                f"{label:<26} median {statistics.median(seconds):.2f} s  worst {worst:.2f} s  "
                f"exit {sorted(codes)}  (target {TARGET:.0f} s: "
                f"{'met' if worst < TARGET else 'MISSED'})"
            )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0 if worst_of_all < TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
