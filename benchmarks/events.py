"""SES events benchmark: 10,000 SES events (SNS envelopes, event-publishing shape) on an
SQS queue of a local moto server (real HTTP, in its own process so its work does not
share this process's GIL), consumed by core.events.consumer into the store.

Figures:
- events/s applied (receive 10, parse, suppress, compare-and-set update, delete batch),
  target >= 500/s with mongomock (the in-process store; each of its queries scans the
  collection, so the rate falls as logs grow: --logs sets how many; MONGODB_URI points
  it at a real server instead);
- where the time went: inside moto's ReceiveMessage (its own process), inside mongomock
  (its entry points are wrapped for the run), and the consumer's own code (the rest:
  parsing, merging recipient rows, building the writes). DeleteMessageBatch runs on the
  consumer's helper thread, overlapped with the next batch, and is reported apart;
- memory: a second pass under tracemalloc records, per batch, the peak allocation above
  what was held when the batch began. A consumer holding one batch at a time shows the
  same small peak in the first and the last batches, far below the stream's size; the
  steady growth of held memory is the in-process store storing the events.

The stream is realistic: messages sent one every 0.3 s, each producing Send, then
Delivery (or a bounce for 3%, a complaint for 0.2%) a second later, then Open and
Click minutes later; the events are queued in time order, so a batch mixes messages.

    .venv/bin/python benchmarks/events.py [--events 10000] [--logs 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_PER_SECOND = 500.0


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _mail(mid: str, to: str, at: datetime) -> dict[str, Any]:
    return {
        "timestamp": _iso(at),
        "source": "DepLLC <noreply@depllc.example>",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/depllc.example",
        "sendingAccountId": "123456789012",
        "messageId": mid,
        "destination": [to],
        "headersTruncated": False,
        "headers": [
            {"name": "From", "value": "DepLLC <noreply@depllc.example>"},
            {"name": "To", "value": to},
            {"name": "Subject", "value": "Invoice INV-2026-118 is due"},
        ],
        "commonHeaders": {"from": ["noreply@depllc.example"], "to": [to], "messageId": mid},
        "tags": {"ses:configuration-set": ["depllc-crm-emails"]},
    }


def build_stream(
    n_events: int, n_logs: int, seed: int = 7
) -> tuple[list[dict[str, Any]], list[str]]:
    """(logs to insert, SNS envelope bodies in time order)."""
    from core.models import EmailLog, RecipientStatus
    from core.vocabulary import EmailCategory, EmailStatus

    rng = random.Random(seed)
    t0 = datetime.now(UTC) - timedelta(hours=6)
    logs: list[dict[str, Any]] = []
    timed: list[tuple[datetime, dict[str, Any]]] = []
    per_log = max(1, n_events // n_logs)
    for i in range(n_logs):
        mid = f"0100019{i:09x}-{uuid.UUID(int=rng.getrandbits(128))}-000000"
        to = f"client{i}@client.example"
        sent = t0 + timedelta(seconds=0.3 * i)
        logs.append(
            EmailLog(
                messageId=mid,
                to=[to],
                **{"from": "noreply@depllc.example"},
                subject="Invoice INV-2026-118 is due",
                category=EmailCategory.NOTIFICATION,
                status=EmailStatus.SENT,
                size=18_000,
                recipientStatus=[RecipientStatus(email=to, status=EmailStatus.SENT)],
                createdAt=sent,
            ).to_mongo()
        )
        mail = _mail(mid, to, sent)
        roll = rng.random()
        later = sent + timedelta(seconds=1 + rng.random())
        events: list[tuple[datetime, dict[str, Any]]] = [
            (sent, {"eventType": "Send", "mail": mail, "send": {}})
        ]
        if roll < 0.03:
            outcome = {
                "eventType": "Bounce",
                "mail": mail,
                "bounce": {
                    "bounceType": "Permanent",
                    "bounceSubType": "General",
                    "bouncedRecipients": [
                        {
                            "emailAddress": to,
                            "action": "failed",
                            "status": "5.1.1",
                            "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                        }
                    ],
                    "timestamp": _iso(later),
                    "feedbackId": str(uuid.uuid4()),
                    "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
                },
            }
        else:
            outcome = {
                "eventType": "Delivery",
                "mail": mail,
                "delivery": {
                    "timestamp": _iso(later),
                    "processingTimeMillis": 1100,
                    "recipients": [to],
                    "smtpResponse": "250 2.6.0 Message received",
                    "reportingMTA": "a8-70.smtp-out.amazonses.com",
                },
            }
        events.append((later, outcome))
        for k in range(per_log - 2):
            at = later + timedelta(minutes=1 + rng.random() * 30, seconds=k)
            if roll < 0.032 and k == 0 and roll >= 0.03:
                events.append(
                    (
                        at,
                        {
                            "eventType": "Complaint",
                            "mail": mail,
                            "complaint": {
                                "complainedRecipients": [{"emailAddress": to}],
                                "timestamp": _iso(at),
                                "feedbackId": str(uuid.uuid4()),
                                "complaintFeedbackType": "abuse",
                            },
                        },
                    )
                )
                continue
            kind = "Open" if k % 2 == 0 else "Click"
            details: dict[str, Any] = {
                "timestamp": _iso(at),
                "ipAddress": "192.0.2.1",
                "userAgent": "Mozilla/5.0",
            }
            if kind == "Click":
                details["link"] = f"https://portal.depllc.example/invoices/{i}"
            events.append((at, {"eventType": kind, "mail": mail, kind.lower(): details}))
        timed += events
    timed.sort(key=lambda pair: pair[0])
    bodies = [
        json.dumps(
            {
                "Type": "Notification",
                "MessageId": str(uuid.UUID(int=rng.getrandbits(128))),
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:depllc-ses-events",
                "Message": json.dumps(event),
                "Timestamp": _iso(at),
                "SignatureVersion": "1",
                "Signature": "EXAMPLE",
            }
        )
        for at, event in timed[:n_events]
    ]
    return logs, bodies


def enqueue(sqs: Any, url: str, bodies: list[str]) -> float:
    start = time.perf_counter()
    for i in range(0, len(bodies), 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(j), "MessageBody": b} for j, b in enumerate(bodies[i : i + 10])],
        )
    return time.perf_counter() - start


class TimedSqs:
    """The SQS client, timing the consumer's calls (time spent in the moto server).
    Receives are on the consumer's path; deletes run on its helper thread, overlapped
    with the next batch, so they are timed apart."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.receive_seconds = 0.0
        self.delete_seconds = 0.0

    def receive_message(self, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.client.receive_message(**kwargs)
        finally:
            self.receive_seconds += time.perf_counter() - start

    def delete_message_batch(self, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.client.delete_message_batch(**kwargs)
        finally:
            self.delete_seconds += time.perf_counter() - start


class MongomockTimer:
    """Time spent inside mongomock (the in-process store), by wrapping its collection
    and cursor entry points for the benchmark's duration (nested calls counted once)."""

    ENTRY_POINTS = (
        ("collection", "Collection", "update_one"),
        ("collection", "Collection", "update_many"),
        ("collection", "Collection", "insert_one"),
        ("collection", "Collection", "find_one"),
        ("collection", "Collection", "count_documents"),
        ("collection", "Collection", "delete_one"),
        ("collection", "Cursor", "__next__"),
    )

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0
        self._saved: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> MongomockTimer:
        import importlib

        for module_name, cls_name, method in self.ENTRY_POINTS:
            cls = getattr(importlib.import_module(f"mongomock.{module_name}"), cls_name)
            original = getattr(cls, method)
            self._saved.append((cls, method, original))
            setattr(cls, method, self._timed(original))
        return self

    def __exit__(self, *exc: object) -> None:
        for cls, method, original in self._saved:
            setattr(cls, method, original)

    def _timed(self, original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self._depth:
                return original(*args, **kwargs)
            self._depth += 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self._depth -= 1

        return wrapper


def fresh_store(name: str, logs: list[dict[str, Any]]) -> Any:
    """MONGODB_URI when set (a real server: indexed), else mongomock, whose every query
    scans the collection and whose every update scans it again for the unique
    messageId index: the cost per event grows with --logs."""
    import os

    from core.db import MOCK_SCHEME, connect

    uri = os.environ.get("MONGODB_URI") or MOCK_SCHEME
    store = connect(uri, f"{name}_{uuid.uuid4().hex[:6]}")
    if not store.is_mock:
        store.db.client.drop_database(store.db.name)
    store.ensure_indexes()
    store.emaillogs.insert_many([dict(d) for d in logs])
    return store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--logs", type=int, default=2_000)
    parser.add_argument("--chunk", type=int, default=50, help="events per arrival wave")
    parser.add_argument(
        "--skip-memory", action="store_true", help="only the throughput pass (faster)"
    )
    args = parser.parse_args()

    import boto3

    from core.events.consumer import BatchReport, EventConsumer
    from core.sandbox import local_moto_server

    with local_moto_server() as endpoint:
        sqs = boto3.client(
            "sqs",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        url = sqs.create_queue(QueueName="depllc-ses-events-bench")["QueueUrl"]
        logs, bodies = build_stream(args.events, args.logs)
        total_bytes = sum(len(b) for b in bodies)
        import os

        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at the start")
        print(
            f"stream: {len(bodies):,} events for {len(logs):,} logs, "
            f"{total_bytes / 1e6:.1f} MB of bodies ({total_bytes // len(bodies):,} B each)"
        )

        # --- pass 1: throughput -------------------------------------------------
        # Events arrive in waves of --chunk (as a consumer that keeps up sees them):
        # moto's ReceiveMessage recomputes every queue attribute (three scans of the
        # queue) for each message it returns, so its cost grows with the queue's depth
        # (real SQS's does not); a 10,000-deep queue would measure moto, not the
        # consumer. Only draining is timed.
        store = fresh_store("bench_events_speed", logs)
        timed = TimedSqs(sqs)
        consumer = EventConsumer(timed, url, store, wait_seconds=0)
        enqueue_s = elapsed = 0.0
        with MongomockTimer() as in_store:
            for i in range(0, len(bodies), args.chunk):
                enqueue_s += enqueue(sqs, url, bodies[i : i + args.chunk])
                start = time.perf_counter()
                consumer.run(threading.Event(), until_empty=True)
                elapsed += time.perf_counter() - start
        s = consumer.stats
        rate = s.applied / elapsed if elapsed else 0.0
        store_s = in_store.seconds if store.is_mock else 0.0
        own = elapsed - timed.receive_seconds - store_s
        print(f"enqueued in {enqueue_s:.1f} s (SendMessageBatch, 10 a call, waves of {args.chunk})")
        print(
            f"applied {s.applied:,} (duplicates {s.duplicates}, unmatched {s.unmatched}, "
            f"set aside {s.set_aside}, failed {s.failed}) in {elapsed:.1f} s over {s.polls} polls"
        )
        where = "mongomock" if store.is_mock else store.uri_label
        print(
            f"  where the time went: {timed.receive_seconds:.1f} s in ReceiveMessage (moto), "
            + (f"{store_s:.1f} s inside mongomock, " if store.is_mock else "")
            + f"{own:.1f} s in the consumer's own code (parse, merge, build the writes"
            + (", wait for {where})" if not store.is_mock else ")")
            + f"; DeleteMessageBatch took {timed.delete_seconds:.1f} s on the helper thread, "
            "overlapped with the next batch"
        )
        verdict = "OK" if rate >= TARGET_PER_SECOND else "BELOW"
        print(
            f"events/s applied: {rate:,.0f} end to end (target >= {TARGET_PER_SECOND:.0f}/s, "
            f"{where}, {len(logs):,} logs) -> {verdict}"
        )
        print(
            f"  without moto's ReceiveMessage: {s.applied / (elapsed - timed.receive_seconds):,.0f}"
            "/s"
            + (
                f"; the consumer's own code alone: {s.applied / own:,.0f}/s "
                f"({own / s.applied * 1000:.2f} ms an event, against "
                f"{store_s / s.applied * 1000:.2f} ms inside mongomock)"
                if store.is_mock and own > 0
                else ""
            )
        )
        suppressed = store.suppressions.count_documents({})
        statuses = {
            r["_id"]: r["n"]
            for r in store.emaillogs.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}])
        }
        print(f"final statuses: {dict(sorted(statuses.items()))}; suppressed: {suppressed}")

        if args.skip_memory:
            return 0 if rate >= TARGET_PER_SECOND else 1

        # --- pass 2: memory, one batch at a time ---------------------------------
        store = fresh_store("bench_events_memory", logs)
        peaks: list[int] = []
        held: list[int] = []

        def on_batch(report: BatchReport) -> None:
            current, peak = tracemalloc.get_traced_memory()
            peaks.append(peak - on_batch.base)  # type: ignore[attr-defined]
            held.append(current)
            tracemalloc.reset_peak()
            on_batch.base = current  # type: ignore[attr-defined]

        tracemalloc.start()
        on_batch.base = tracemalloc.get_traced_memory()[0]  # type: ignore[attr-defined]
        start_held = on_batch.base  # type: ignore[attr-defined]
        consumer = EventConsumer(sqs, url, store, wait_seconds=0)
        for i in range(0, len(bodies), args.chunk):
            enqueue(sqs, url, bodies[i : i + args.chunk])
            tracemalloc.reset_peak()  # the producer's peak is not the consumer's
            on_batch.base = tracemalloc.get_traced_memory()[0]  # type: ignore[attr-defined]
            consumer.run(threading.Event(), on_batch=on_batch, until_empty=True)
        tracemalloc.stop()
        batches = [p for p in peaks if p > 0]
        tenth = max(1, len(batches) // 10)
        first, last = batches[:tenth], batches[-tenth:]
        print(
            f"memory: per-batch peak above held, first {tenth} batches max "
            f"{max(first) / 1024:,.0f} KiB, last {tenth} max {max(last) / 1024:,.0f} KiB, "
            f"overall max {max(batches) / 1024:,.0f} KiB "
            f"(the whole stream is {total_bytes / 1024:,.0f} KiB)"
        )
        print(
            f"memory: held grew {(held[-1] - start_held) / 1e6:.1f} MB over the run: the "
            f"in-process store keeping {consumer.stats.applied:,} events"
        )
        return 0 if rate >= TARGET_PER_SECOND else 1


if __name__ == "__main__":
    raise SystemExit(main())
