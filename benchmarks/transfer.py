"""Upload and download a 1 GiB file through the console's core and through the AWS
CLI (`aws s3 cp`, PyPI's awscli) against the same local S3 server, s3rver (npm,
file-backed; a moto server serves big ranged GETs far too slowly to measure anything).

Checksums are on in both: the console sends SHA-256 per part and verifies the whole
file's SHA-256 on download; the CLI runs with `--checksum-algorithm SHA256` and
`--checksum-mode ENABLED`. Runs alternate (ours, CLI, CLI, ours, ...), each printed
with the ratio ours/CLI per run and the medians; peak memory is the max RSS of the
process doing the transfer (each run is its own child process, measured with
getrusage(RUSAGE_CHILDREN) in a fresh wrapper). Before each timed transfer the dirty
pages of the previous one are flushed (untimed), and between the uploads and the
timed downloads of a run the CLI downloads the object once, untimed (--no-warm-up
skips it): otherwise whichever side downloads first after the uploads runs up to
~1 s slower, whoever it is. The machine's load average is printed at start and end:
on a 2-CPU machine the transfers are CPU-bound, so other work moves the figures.

    .venv/bin/python benchmarks/transfer.py [--size-mib 1024] [--runs 4]

Runs alternate ours-first and CLI-first; an even count gives each side the first slot
as often (the first transfer of a pair ran slower, whoever it was).

Needs Node (for s3rver, installed with npm into a cache folder outside the repo on
first use) and awscli in the venv (`.venv/bin/pip install awscli`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024
BUCKET = "depllc-bench"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "depllc-bench"
CREDS = {
    "AWS_ACCESS_KEY_ID": "S3RVER",
    "AWS_SECRET_ACCESS_KEY": "S3RVER",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


# --- the worker: one transfer through our core, in its own process ----------------


def worker(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    from core.aws import AwsClients
    from core.config import Settings
    from core.db import connect
    from core.files.download import download_file
    from core.files.upload import UploadRequest, upload_file
    from core.identity import Identity
    from core.models import FileMetadata, FileRecord, S3Info
    from core.runtime import Runtime
    from core.vocabulary import FileCategory, FileStatus

    bench = Identity(login="bench", role="operator", crm_user_id=None, source="benchmark")

    settings = Settings.model_validate(
        {
            "aws_endpoint_url": args.endpoint,
            "aws_s3_bucket": BUCKET,
            "mongodb_uri": "mongomock://",
            "file_max_size": 4 * 1024 * MiB,
        }
    )
    store = connect("mongomock://", "bench")
    runtime = Runtime(settings=settings, aws=AwsClients(settings), store=store, identity=bench)
    from core.files.transfer import DEFAULT_TUNING

    tuning = DEFAULT_TUNING
    if args.tuning:  # e.g. part_size=33554432,concurrency=8
        fields: dict[str, Any] = {
            k: int(v) for k, v in (kv.split("=") for kv in args.tuning.split(","))
        }
        tuning = dataclasses.replace(DEFAULT_TUNING, **fields)
    started = time.perf_counter()
    if args.worker == "upload":
        request = UploadRequest(path=Path(args.path), category=FileCategory.BACKUP)
        record = upload_file(runtime, request, tuning=tuning)
        out: dict[str, Any] = {"key": record.key, "checksum": record.metadata.checksum}
    else:
        head = runtime.aws.s3.head_object(Bucket=BUCKET, Key=args.key)
        record = FileRecord(
            key=args.key,
            fileName="bench.pdf",
            originalName="bench.pdf",
            contentType="application/pdf",
            size=int(head["ContentLength"]),
            category=FileCategory.BACKUP,
            status=FileStatus.COMPLETED,
            userId="bench",
            metadata=FileMetadata(uploadedBy="bench", checksum=args.checksum),
            s3Info=S3Info(bucket=BUCKET, region="us-east-1"),
        )
        rid = store.files.insert_one(record.to_mongo()).inserted_id
        started = time.perf_counter()  # the transfer only
        result = download_file(runtime, str(rid), args.folder, conflict="overwrite", tuning=tuning)
        out = {"path": str(result.path), "verified": result.verified}
    out["seconds"] = time.perf_counter() - started
    print(json.dumps(out))
    from tui.cli.main import spare_exit_gc

    spare_exit_gc()  # exits as `depllc` does
    return 0


# --- the harness --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def s3rver_bin() -> Path:
    script = CACHE / "node_modules" / "s3rver" / "bin" / "s3rver.js"
    if not script.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"installing s3rver into {CACHE} (npm)…", flush=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "s3rver@3"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return script


def start_s3rver(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            "node",
            str(s3rver_bin()),
            "-d",
            str(data),
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "--silent",
            "--no-vhost-buckets",
            "--configure-bucket",
            BUCKET,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, endpoint
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(
        "s3rver did not start: " + (proc.stderr.read() if proc.stderr else b"").decode()
    )


MEASURE = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "wall = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(json.dumps({'rc': r.returncode, 'out': r.stdout, 'err': r.stderr[-2000:],"
    " 'wall': wall, 'rss_kib': rss}))\n"
)


def measured(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run `cmd` in a fresh wrapper process and return its wall time and peak RSS.
    Dirty pages left by the previous run (s3rver writes 2 GiB per upload) are
    flushed first, untimed: otherwise whichever side runs next pays for the other's
    writeback (the first download after the uploads ran ~1 s slower, whoever it was)."""
    os.sync()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, env=env, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}… failed:\n{result['err']}")
    return result


def aws_bin() -> str:
    candidate = Path(sys.executable).parent / "aws"
    found = str(candidate) if candidate.exists() else shutil.which("aws")
    if not found:
        raise SystemExit("awscli is missing: .venv/bin/pip install awscli")
    return found


def make_file(path: Path, size: int) -> None:
    block = os.urandom(4 * MiB)
    with path.open("wb") as fh:
        head = b"%PDF-1.7\n% depllc benchmark payload\n"  # sniffed as a PDF
        fh.write(head)
        left = size - len(head)
        while left > 0:
            chunk = block[: min(left, len(block))]
            fh.write(chunk)
            left -= len(chunk)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=4, help="an even number balances the order")
    parser.add_argument("--tuning", help="TransferTuning overrides: part_size=N,concurrency=N")
    parser.add_argument(
        "--no-warm-up",
        dest="warm_up",
        action="store_false",
        help="skip the untimed download between the uploads and the timed downloads",
    )
    parser.add_argument("--worker", choices=["upload", "download"], help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--checksum", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    env = {**os.environ, **CREDS}
    env.pop("AWS_PROFILE", None)
    aws = aws_bin()
    size = args.size_mib * MiB
    with tempfile.TemporaryDirectory(prefix="depllc-bench-") as tmp:
        work = Path(tmp)
        data, down_ours, down_cli = work / "s3rver", work / "ours", work / "cli"
        for d in (data, down_ours, down_cli):
            d.mkdir()
        src = work / "payload.pdf"
        print(f"payload: {args.size_mib} MiB of random bytes in {src}", flush=True)
        make_file(src, size)
        proc, endpoint = start_s3rver(data)
        print(f"s3rver {endpoint} (data in {data})", flush=True)
        print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        rows: dict[str, list[tuple[float, int]]] = {
            "ours upload": [],
            "cli upload": [],
            "ours download": [],
            "cli download": [],
        }
        verified = ""
        try:
            me = [sys.executable, str(Path(__file__).resolve()), "--endpoint", endpoint]
            if args.tuning:
                me += ["--tuning", args.tuning]
            cli = [aws, "--endpoint-url", endpoint, "s3", "cp", "--only-show-errors"]
            for run in range(args.runs):
                order = ["ours", "cli"] if run % 2 == 0 else ["cli", "ours"]
                keys: dict[str, tuple[str, str]] = {}
                for who in order:
                    if who == "ours":
                        r = measured([*me, "--worker", "upload", "--path", str(src)], env)
                        out = json.loads(r["out"])
                        keys["ours"] = (out["key"], out["checksum"])
                    else:
                        key = f"cli/run{run}/payload.pdf"
                        r = measured(
                            [
                                *cli,
                                "--checksum-algorithm",
                                "SHA256",
                                str(src),
                                f"s3://{BUCKET}/{key}",
                            ],
                            env,
                        )
                    rows[f"{who} upload"].append((r["wall"], r["rss_kib"]))
                    report(run, f"{who} upload", r["wall"], r["rss_kib"], size)
                if args.warm_up:
                    # untimed, by the CLI: the first 1 GiB download after the uploads
                    # ran 0.1-1.4 s slower than the second in 9 of 9 pairs, whoever
                    # went first; this one absorbs that so neither side pays it
                    spare = down_cli / "warm-up.pdf"
                    measured([*cli, f"s3://{BUCKET}/{keys['ours'][0]}", str(spare)], env)
                    spare.unlink()
                for who in order:
                    if who == "ours":
                        key, checksum = keys["ours"]
                        r = measured(
                            [
                                *me,
                                "--worker",
                                "download",
                                "--key",
                                key,
                                "--checksum",
                                checksum,
                                "--folder",
                                str(down_ours),
                            ],
                            env,
                        )
                        verified = json.loads(r["out"])["verified"]
                        got = down_ours / "bench.pdf"
                    else:
                        got = down_cli / "payload.pdf"
                        r = measured(
                            [
                                *cli,
                                "--checksum-mode",
                                "ENABLED",
                                f"s3://{BUCKET}/{keys['ours'][0]}",
                                str(got),
                            ],
                            env,
                        )
                    if got.stat().st_size != size:
                        raise SystemExit(f"{who} download: wrong size {got.stat().st_size}")
                    rows[f"{who} download"].append((r["wall"], r["rss_kib"]))
                    report(run, f"{who} download", r["wall"], r["rss_kib"], size)
                    got.unlink()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print("load average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print()
    print(f"checksums: the console verified {verified} on download (the whole file's")
    print("  SHA-256 recorded at upload, computed again while the ranged parts arrived) and")
    print("  sent a SHA-256 checksum with every part on upload (s3rver ignores it; S3 checks")
    print("  it), so it does not also SHA-256-sign each body (UNSIGNED-PAYLOAD). The AWS CLI")
    print("  ran with --checksum-algorithm SHA256 and --checksum-mode ENABLED (and, over")
    print("  plain HTTP, botocore's default payload signing); s3rver stores no checksum, so")
    print("  the CLI has nothing to compare on download.")
    print(f"{'':16}{'best s':>9}{'median s':>10}{'MB/s':>8}{'peak RSS MB':>13}")
    for name, values in rows.items():
        times = sorted(t for t, _ in values)
        peak = max(m for _, m in values) / 1024
        med = statistics.median(times)
        print(f"{name:16}{times[0]:9.2f}{med:10.2f}{size / MiB / med:8.0f}{peak:13.0f}")
    for op in ("upload", "download"):
        per_run = [
            o / c for (o, _), (c, _) in zip(rows[f"ours {op}"], rows[f"cli {op}"], strict=True)
        ]
        ratio = statistics.median(t for t, _ in rows[f"ours {op}"]) / statistics.median(
            t for t, _ in rows[f"cli {op}"]
        )
        print(
            f"ratio {op} (ours/cli, medians): {ratio:.2f}  (target < 0.90); "
            "per run: " + " ".join(f"{r:.2f}" for r in per_run)
        )
    return 0


def report(run: int, name: str, wall: float, rss_kib: int, size: int) -> None:
    print(
        f"run {run + 1} {name:14} {wall:7.2f} s  {size / MiB / wall:6.0f} MiB/s  "
        f"peak {rss_kib / 1024:5.0f} MB",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
