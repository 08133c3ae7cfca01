"""Export speed and memory: `logs export` writes N logs (100,000 by default) as CSV and
as JSON lines from a stream built one row at a time (as a server cursor yields them),
and prints rows per second, the file's size and the peak of Python allocations while
writing (tracemalloc; the unit test checks 20,000 rows stay under 2 MB). No peer: no
other tool exports the CRM's logs.

    .venv/bin/python benchmarks/export.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from core.logs.export import export_rows
from tests.core.logs.test_export import log_stream as rows  # the memory test's logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    n = parser.parse_args().rows
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        for fmt in ("csv", "jsonl"):
            path = Path(folder) / f"logs.{fmt}"
            start = time.perf_counter()
            export_rows(rows(n), path)
            seconds = time.perf_counter() - start
            tracemalloc.start()
            try:
                export_rows(rows(n), path, overwrite=True)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            size = path.stat().st_size
            print(
                f"{fmt:5} {n:,} rows in {seconds:.2f} s ({n / seconds:,.0f} rows/s), "
                f"{size / 1e6:.1f} MB, peak Python allocations {peak / 1e6:.2f} MB"
            )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
