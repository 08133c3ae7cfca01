"""Bulk send benchmark: 1,000 templated recipients through SendBulkTemplatedEmail
against a local moto server (ThreadedMotoServer on a free port, real HTTP, in its own
process so its work does not share this process's GIL) with the send rate set to 200
recipients/s.

The peer is the limit itself: a pacer that keeps to SES's rate takes 1,000 / 200 =
5 s, within 10%, with no throttling error and 1,000 logs. Prints the achieved rate as
a fraction of the limit, and how the time split between waiting for the rate and
working (store writes + SES calls). The store is MONGODB_URI when set, else the
in-process mongomock store the sandbox uses (whose writes cost O(documents) each).
Exit code 1 when outside 10%.

    .venv/bin/python benchmarks/bulk_send.py [--rows 1000] [--rate 200]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0)
    args = parser.parse_args()
    os.environ.setdefault("DEPLLC_STATE_DIR", tempfile.mkdtemp(prefix="depllc-bench-"))
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        os.environ.setdefault(name, value)

    from core.aws import AwsClients
    from core.config import Settings
    from core.db import MOCK_SCHEME, connect
    from core.identity import Identity
    from core.mail import bulk, pacing
    from core.runtime import Runtime

    bench = Identity(login="bench", role="operator", crm_user_id=None, source="benchmark")
    from core.sandbox import (
        SANDBOX_BUCKET,
        SANDBOX_CONFIG_SET,
        SANDBOX_FROM,
        local_moto_server,
        provision,
    )

    with local_moto_server() as endpoint:
        uri = os.environ.get("MONGODB_URI") or MOCK_SCHEME
        db_name = f"depllc_bench_{uuid.uuid4().hex[:8]}"
        store = connect(uri, db_name)
        store.ensure_indexes()
        settings = Settings.model_validate(
            {
                "aws_ses_from_email": SANDBOX_FROM,
                "aws_s3_bucket": SANDBOX_BUCKET,
                "ses_configuration_set": SANDBOX_CONFIG_SET,
                "ses_max_send_rate": args.rate,
                "ses_max_24h_send": 100_000,
                "mongodb_uri": uri,
                "mongodb_db": db_name,
            }
        )
        aws = AwsClients(settings, endpoint_url=endpoint, sandbox=True)
        provision(aws, settings)
        runtime = Runtime(settings=settings, aws=aws, store=store, identity=bench)
        quota = pacing.get_quota(runtime)
        rows = "".join(
            f"client{i}@example.com,Client {i},INV-{i:05d},${i % 900 + 100}.00,1 Dec\n"
            for i in range(args.rows)
        )
        plan = bulk.plan(
            runtime,
            "invoice-reminder",
            "bench.csv",
            csv_text="email,name,invoice,amount,due\n" + rows,
        )
        started = time.perf_counter()
        result = bulk.send_bulk(runtime, plan)
        elapsed = time.perf_counter() - started
        logs = store.emaillogs.count_documents({"status": "sent"})
        message_ids = len(store.emaillogs.distinct("messageId"))
        if not store.is_mock:
            store.db.client.drop_database(db_name)

    expected = args.rows / args.rate
    achieved = args.rows / elapsed
    off = abs(elapsed - expected) / expected
    calls = -(-args.rows // bulk.BATCH)
    print(f"moto endpoint:   {endpoint} (reports MaxSendRate {quota.max_send_rate:g}/s)")
    print(f"store:           {store.uri_label}")
    print(f"recipients:      {args.rows} in {calls} SendBulkTemplatedEmail calls of <= 50")
    print(f"limit:           {args.rate:g} recipients/s -> {expected:.2f} s expected")
    print(f"total:           {elapsed:.3f} s ({off:.1%} from expected; budget 10%)")
    print(f"  waiting:       {result.waited:.3f} s for the rate")
    print(f"  store writes:  {result.store_seconds:.3f} s ({store.uri_label})")
    print(f"  SES calls:     {result.ses_seconds:.3f} s")
    other = elapsed - result.waited - result.store_seconds - result.ses_seconds
    print(f"  the rest:      {other:.3f} s (building logs, bookkeeping)")
    print(f"achieved rate:   {achieved:.1f}/s = {achieved / args.rate:.3f} of the limit")
    print(
        f"outcomes:        sent {result.count('sent')}, failed {result.count('failed')}, "
        f"unknown {result.count('unknown')} (no throttling error: {result.ok})"
    )
    print(f"logs sent:       {logs} (distinct SES MessageIds: {message_ids})")
    ok = off <= 0.10 and logs == args.rows and result.ok and message_ids == args.rows
    print("result:          " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
