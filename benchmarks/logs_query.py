"""Email log queries at 100k logs, and the logs screen's filter-change latency.

    .venv/bin/python benchmarks/logs_query.py [--n 100000] [--skip-tui] [--tui-only]

Part 1 loads N synthetic logs (realistic mix of statuses, categories, recipients,
attachments, events, ~1 kB bodies) and, for each filter shape the logs screen and
`depllc logs` produce, reports the time to the first page (50 rows) and to the next
page (keyset), the documents and bytes returned per page, and the documents/index
keys examined. With MONGODB_URI set it runs against that server (in a throw-away
database) and prints each shape's winning plan from explain(): every shape must be
served by an index (an IXSCAN, no blocking SORT and no COLLSCAN). Without it, it
runs against mongomock, which has no planner and scans every document in Python:
its times show mongomock's cost, not MongoDB's.

Part 2 starts the sandbox (moto + seeded in-process store), opens the app with
Pilot and measures, for a series of filter changes, the time from the change to
the table being refilled (target: under 150 ms). Typed text includes the debounce.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bson import BSON, ObjectId

from core.db import Store, connect
from core.logs.query import LIST_PROJECTION, fetch_page, page_plan
from core.validation import EmailQuery

TARGET_MS = 150.0
STATUSES = (
    ["delivered"] * 80 + ["sent"] * 6 + ["bounced"] * 6 + ["complaint"] * 2 + ["failed"] * 5
) + ["queued"]
CATEGORIES = ["notification"] * 4 + ["client-portal"] * 3 + ["marketing"] * 2 + ["auth", "system"]
PRIORITIES = ["normal"] * 7 + ["high", "low", "urgent"]


def make_logs(n: int, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    addresses = [f"client{i}@{rng.choice(['acme', 'initech', 'globex'])}.test" for i in range(5000)]
    docs = []
    for i in range(n):
        created = now - timedelta(seconds=i * 77 + rng.randint(0, 60))
        status = rng.choice(STATUSES)
        to = [rng.choice(addresses)]
        events: list[dict[str, Any]] = [
            {"type": "send", "timestamp": created, "metadata": {"sesMessageId": f"m-{i}"}}
        ]
        if status in ("delivered", "complaint"):
            events.append({"type": "delivery", "timestamp": created, "metadata": {}})
        if status == "bounced":
            events.append(
                {
                    "type": "bounce",
                    "timestamp": created,
                    "metadata": {"bounceType": "Permanent", "bounceSubType": "General"},
                }
            )
        doc: dict[str, Any] = {
            "_id": ObjectId.from_datetime(created),
            "messageId": f"0100018f{i:08x}-{uuid.UUID(int=rng.getrandbits(128))}-000000",
            "to": to,
            "from": "noreply@depllc.example",
            "subject": f"{rng.choice(['Invoice', 'Contract', 'Welcome', 'Reminder'])} {i:06d}",
            "content": {"text": "Hello,\n" + "lorem ipsum " * 80},
            "category": rng.choice(CATEGORIES),
            "status": status,
            "priority": rng.choice(PRIORITIES),
            "userId": f"user-{rng.randint(1, 50)}",
            "clientId": f"client-{rng.randint(1, 500)}",
            "cost": 0.0001,
            "size": rng.randint(800, 40_000),
            "events": events,
            "createdAt": created,
            "updatedAt": created,
        }
        if rng.random() < 0.1:
            doc["cc"] = [rng.choice(addresses)]
        if rng.random() < 0.1:
            doc["attachments"] = [{"filename": f"invoice-{i}.pdf", "size": 52_000}]
        docs.append(doc)
    return docs


def shapes(sample: dict[str, Any], now: datetime) -> dict[str, EmailQuery]:
    week = now - timedelta(days=7)
    return {
        "none": EmailQuery(),
        "status": EmailQuery(status="bounced"),
        "category": EmailQuery(category="marketing"),
        "priority": EmailQuery(priority="urgent"),
        "status+category": EmailQuery(status="bounced", category="marketing"),
        "userId": EmailQuery(userId=sample["userId"]),
        "clientId": EmailQuery(clientId=sample["clientId"]),
        "recipient": EmailQuery(recipient=sample["to"][0]),
        "messageId": EmailQuery(messageId=sample["messageId"]),
        "dates 7d": EmailQuery(startDate=week),
        "status+7d": EmailQuery(status="bounced", startDate=week),
        "hasAttachments": EmailQuery(hasAttachments=True),
        "search": EmailQuery(search="contract 0004"),
        "search+status": EmailQuery(search="acme", status="bounced"),
        "sort subject": EmailQuery(sortBy="subject", sortOrder="asc"),
        "sort status": EmailQuery(sortBy="status", sortOrder="desc"),
    }


def plan_summary(explain: dict[str, Any]) -> str:
    planner = explain.get("queryPlanner", {})
    plan = planner.get("winningPlan", {})
    plan = plan.get("queryPlan", plan)  # SBE (MongoDB 7+) nests the classic tree
    parts: list[str] = []

    def walk(stage: dict[str, Any]) -> None:
        name = stage.get("stage", "?")
        if stage.get("indexName"):
            name += f"({stage['indexName']})"
        parts.append(name)
        if "inputStage" in stage:
            walk(stage["inputStage"])
        for child in stage.get("inputStages", []):
            walk(child)

    walk(plan)
    return " > ".join(parts)


def uses_index(summary: str) -> bool:
    """An IXSCAN feeds the page; no collection scan and no in-memory (blocking) SORT."""
    stages = [part.split("(")[0] for part in summary.split(" > ")]
    return "IXSCAN" in stages and "COLLSCAN" not in stages and "SORT" not in stages


def run_queries(store: Store, n: int) -> bool:
    rng = random.Random(4)
    now = datetime.now(UTC).replace(microsecond=0)
    print(f"loading {n:,} logs into {store.uri_label} …", flush=True)
    started = time.perf_counter()
    docs = make_logs(n, now, rng)
    for i in range(0, n, 5000):
        store.emaillogs.insert_many(docs[i : i + 5000])
    if not store.is_mock:
        store.ensure_indexes()
    print(f"  loaded in {time.perf_counter() - started:.1f} s")
    avg_doc = sum(len(BSON.encode(d)) for d in docs[:2000]) / 2000
    sample = docs[n // 3]
    all_indexed = True
    header = (
        f"{'shape':<16} {'1st page':>9} {'next':>8} {'rows':>5} {'bytes/page':>11} "
        f"{'examined':>9} {'keys':>8}  plan"
    )
    print(header)
    print("-" * len(header))
    for name, query in shapes(sample, now).items():
        started = time.perf_counter()
        page = fetch_page(store, query)
        first_ms = (time.perf_counter() - started) * 1000
        next_ms = 0.0
        if page.next_cursor is not None:
            started = time.perf_counter()
            fetch_page(store, query, after=page.next_cursor)
            next_ms = (time.perf_counter() - started) * 1000
        returned = sum(len(BSON.encode(r)) for r in page.rows)
        if store.is_mock:
            examined, keys, plan = f"{n:,}", "-", "mongomock: no planner, scans every document"
        else:
            spec, order = page_plan(query, page.next_cursor)
            explain = (
                store.emaillogs.find(spec, dict(LIST_PROJECTION))
                .sort(order)
                .limit(query.limit + 1)
                .explain()
            )
            stats = explain.get("executionStats", {})
            examined = f"{stats.get('totalDocsExamined', '?'):,}"
            keys = f"{stats.get('totalKeysExamined', '?'):,}"
            plan = plan_summary(explain)
            if not uses_index(plan):
                all_indexed = False
                plan += "   <-- NOT INDEXED"
        print(
            f"{name:<16} {first_ms:>7.1f}ms {next_ms:>6.1f}ms {len(page.rows):>5} "
            f"{returned:>11,} {examined:>9} {keys:>8}  {plan}"
        )
    print(
        f"average stored log {avg_doc:,.0f} bytes; list pages project out content and "
        f"templateData ({LIST_PROJECTION})"
    )
    if store.is_mock:
        print(
            "set MONGODB_URI to a MongoDB server to check the plans (every shape must use an index)"
        )
    return all_indexed


async def measure_tui(samples: int = 12) -> list[tuple[str, float]]:
    from textual.widgets import Input, Select

    from core.config import Settings
    from tui.app import DepllcApp
    from tui.screens.logs import LogsScreen

    settings = Settings.model_validate({"sandbox": True, "depllc_user": "bench"})
    print("starting the app on a fresh sandbox (moto + seeded store), as `depllc` does …")
    results: list[tuple[str, float]] = []
    app = DepllcApp(settings)  # no runtime given: the app opens the sandbox itself
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        assert isinstance(screen, LogsScreen)

        async def settle(before: int) -> float:
            deadline = time.perf_counter() + 60
            while screen.renders == before:
                if time.perf_counter() > deadline:
                    raise RuntimeError("the table never updated")
                await asyncio.sleep(0.001)
            return screen.last_render

        await settle(0)
        assert app.runtime is not None
        total = app.runtime.store.emaillogs.estimated_document_count()
        print(f"  sandbox holds {total:,} logs")
        await pilot.pause(1.0)
        changes: list[tuple[str, Any]] = []
        for status in ["bounced", "delivered", "complaint", "failed", "sent"]:
            changes.append(("status select", ("#logs-status", status)))
        for category in ["marketing", "auth", "client-portal"]:
            changes.append(("category select", ("#logs-category", category)))
        changes.append(("clear selects", None))
        for text in ["invoice", "acme", "(v2) [x"]:
            changes.append(("typed search", ("#logs-search", text)))
        for dates in ["7d", "today", ""]:
            changes.append(("date range", ("#logs-dates", dates)))
        for label, change in changes[: max(samples, len(changes))]:
            before = screen.renders
            started = time.perf_counter()
            if change is None:
                screen.action_clear()
            else:
                widget_id, value = change
                widget = screen.query_one(widget_id)
                if isinstance(widget, (Select, Input)):
                    widget.value = value
            rendered = await settle(before)
            results.append((label, (rendered - started) * 1000))
            await pilot.pause(0.2)
    return results


def report_tui(results: list[tuple[str, float]]) -> bool:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\nlogs screen, filter change -> table refilled (sandbox; target < {TARGET_MS:.0f} ms; "
        f"load average {load:.1f} on {os.cpu_count()} CPUs)"
    )
    by_kind: dict[str, list[float]] = {}
    for label, ms in results:
        by_kind.setdefault(label, []).append(ms)
    for label, values in by_kind.items():
        print(
            f"  {label:<16} n={len(values):<2} median {statistics.median(values):6.1f} ms  "
            f"max {max(values):6.1f} ms"
        )
    every = sorted(ms for _, ms in results)
    median = statistics.median(every)
    p90 = every[min(len(every) - 1, int(len(every) * 0.9))]
    ok = median < TARGET_MS
    print(
        f"  all changes      n={len(every):<2} median {median:6.1f} ms  p90 {p90:6.1f} ms  "
        f"max {every[-1]:6.1f} ms  -> {'ok' if ok else 'OVER TARGET'} (judged on the median; "
        "the max moves with machine load, other threads and GC)"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--skip-tui", action="store_true")
    parser.add_argument("--tui-only", action="store_true")
    args = parser.parse_args()
    ok = True
    if not args.tui_only:
        uri = os.environ.get("MONGODB_URI") or "mongomock://"
        name = f"depllc_bench_{uuid.uuid4().hex[:8]}"
        store = connect(uri, name)
        try:
            ok = run_queries(store, args.n) and ok
        finally:
            if not store.is_mock:
                store.db.client.drop_database(name)
    if not args.skip_tui:
        ok = report_tui(asyncio.run(measure_tui())) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
