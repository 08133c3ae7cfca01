"""`depllc setup` and `depllc doctor` against a local moto server (ThreadedMotoServer
in its own process, real HTTP on a free port), as a person runs them: the installed
command, one process each.

The peer is the guide's phase 1 typed as AWS CLI commands (PyPI's awscli, one process
per command: create-bucket, put-bucket-versioning, put-bucket-policy, two
verify-email-identity, verify-domain-identity, create-configuration-set), which does
less (no encryption, public access block, lifecycle, events queue, subscription,
indexes, config file) and cannot be rerun safely. Prints each time and the ratio.

    .venv/bin/python benchmarks/setup_doctor.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done


def _guide_phase_1(bucket: str, env: dict[str, str], endpoint: str) -> float:
    aws = [str(BIN / "aws"), "--endpoint-url", endpoint, "--region", "us-east-1"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureConnections",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    commands = [
        ["s3api", "create-bucket", "--bucket", bucket],
        [
            "s3api",
            "put-bucket-versioning",
            "--bucket",
            bucket,
            "--versioning-configuration",
            "Status=Enabled",
        ],
        ["s3api", "put-bucket-policy", "--bucket", bucket, "--policy", json.dumps(policy)],
        ["ses", "verify-domain-identity", "--domain", "yourcompany.example"],
        ["ses", "verify-email-identity", "--email-address", "noreply@yourcompany.example"],
        ["ses", "verify-email-identity", "--email-address", "support@yourcompany.example"],
        [
            "ses",
            "create-configuration-set",
            "--configuration-set",
            f"Name=guide-{bucket}",
        ],
    ]
    total = 0.0
    for command in commands:
        elapsed, done = _timed([*aws, *command], env)
        if done.returncode != 0:
            raise SystemExit(f"aws {' '.join(command)} failed: {done.stderr.strip()}")
        total += elapsed
    return total


def _one_run(run: int, endpoint: str, figures: dict[str, list[float]]) -> None:
    bucket = f"depllc-bench-{uuid.uuid4().hex[:8]}"
    home = tempfile.mkdtemp(prefix="depllc-bench-")
    real_mongo = bool(os.environ.get("MONGODB_URI"))
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_S3_BUCKET": bucket,
        "AWS_SES_FROM_EMAIL": f"noreply@run{run}.depllc.example",
        "MONGODB_URI": os.environ.get("MONGODB_URI") or "mongomock://",
        "MONGODB_DB": f"bench_{uuid.uuid4().hex[:8]}",
        "DEPLLC_CONFIG_DIR": f"{home}/config",
        "DEPLLC_STATE_DIR": f"{home}/state",
    }
    depllc = str(BIN / "depllc")
    for label in ("setup (empty)", "setup (again)"):
        elapsed, done = _timed([depllc, "setup", "--yes"], env)
        if done.returncode != 0:
            raise SystemExit(f"{label} failed: {done.stderr.strip()}")
        figures[label].append(elapsed)
    # mongomock:// lives in one process: each run starts with an empty database, so
    # the second setup recreates only the database parts.
    changes = [
        line for line in done.stdout.splitlines() if line.startswith(("+ create", "~ update"))
    ]
    if changes if real_mongo else [c for c in changes if "mongodb" not in c]:
        raise SystemExit(f"the second setup changed: {changes}")
    elapsed, done = _timed([depllc, "doctor", "--json"], env)
    report = json.loads(done.stdout)
    failing = [c["id"] for c in report["checks"] if c["status"] == "fail"]
    if failing != ([] if real_mongo else ["indexes"]):
        raise SystemExit(f"doctor failed checks {failing}")
    figures["doctor"].append(elapsed)
    figures["guide phase 1"].append(_guide_phase_1(f"{bucket}-guide", env, endpoint))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, list[float]] = {
        "setup (empty)": [],
        "setup (again)": [],
        "doctor": [],
        "guide phase 1": [],
    }
    from core.sandbox import local_moto_server

    for run in range(args.runs):
        # A fresh server per run: moto checks event destination names account-wide.
        with local_moto_server() as endpoint:
            _one_run(run, endpoint, figures)
    print(f"setup and doctor against a local moto server, {args.runs} runs (median, s):")
    medians = {label: statistics.median(values) for label, values in figures.items()}
    for label, value in medians.items():
        runs = ", ".join(f"{v:.2f}" for v in figures[label])
        print(f"  {label:<14} {value:6.2f}   ({runs})")
    ratio = medians["setup (empty)"] / medians["guide phase 1"]
    print(
        f"depllc setup from empty / the guide's phase 1 as 7 AWS CLI commands: {ratio:.2f}x "
        "(setup does 19 steps: bucket hardening, events queue, indexes, config file)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
