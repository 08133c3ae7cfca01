"""Fault injection (issue 12): MongoDB, S3, SES, SQS or the disk fail at each step of
send, bulk send, upload, download, events and journal replay (one test id per step),
and what is left satisfies the invariants: nothing SES accepted is without its log
(after a journal replay), no journal entry is lost, no partial file, no record
claiming a file that is not there, no event lost or applied twice."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from core.db import Store
from core.files.transfer import MiB, TransferTuning
from core.journal import Journal
from core.mail import bulk
from core.mail import send as mail
from core.runtime import Runtime
from core.vocabulary import FileCategory
from tests.conftest import server_like
from tests.core.mail.conftest import make_request
from tests.faults.injector import FailingDb, Injector, install

SMALL_PARTS = TransferTuning(multipart_threshold=5 * MiB, part_size=5 * MiB, adaptive=False)


def _accepted_ids(injector: Injector) -> set[str]:
    """Every message id SES gave back (one per destination of a bulk call)."""
    ids = {a["MessageId"] for a in injector.answers["sesv2:SendEmail"]}
    for answer in injector.answers["ses:SendBulkTemplatedEmail"]:
        ids |= {s["MessageId"] for s in answer["Status"] if s.get("MessageId")}
    return ids


def _logs_are_true(store: Store, accepted: set[str]) -> None:
    """After the journal is replayed: each accepted message's log is `sent` with its
    id; no other log claims a send; none is left `queued` without an outcome."""
    report = Journal().replay(store)
    assert report.pending == 0 and report.stale == 0
    logs = list(store.emaillogs.find())
    sent = {d["messageId"] for d in logs if d["status"] == "sent"}
    assert sent == accepted
    for doc in logs:
        if doc["status"] == "queued":
            assert (doc.get("customData") or {}).get("outcome") == "unknown", doc


@pytest.fixture
def server_runtime(runtime: Runtime) -> Runtime:
    """The runtime over a store the journal replays into (see tests.conftest)."""
    runtime.store = server_like(runtime.store)
    return runtime


SEND_STEPS = [
    "emaillogs.insert_many",
    "sesv2:SendEmail",
    "emaillogs.update_one",
    "auditlog.insert_one",
]


@pytest.mark.parametrize("step", SEND_STEPS)
def test_send(server_runtime: Runtime, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    runtime = server_runtime
    prepared = mail.prepare(runtime, make_request())
    injector = install(monkeypatch, Injector(step))
    try:
        mail.deliver(runtime, prepared, retry=None)
    except Exception as exc:  # refused before SES: said so, nothing sent
        assert "nothing was sent" in str(exc)
    assert injector.fired
    _logs_are_true(runtime.store, _accepted_ids(injector))


BULK_STEPS = [
    ("emaillogs.insert_many", 1),
    ("emaillogs.insert_many", 2),
    ("ses:SendBulkTemplatedEmail", 1),
    ("ses:SendBulkTemplatedEmail", 2),
    ("emaillogs.bulk_write", 1),  # recording the first batch (one write per batch)
    ("emaillogs.bulk_write", 2),  # ... the second batch
    ("auditlog.insert_one", 1),
]


@pytest.mark.parametrize(("step", "nth"), BULK_STEPS, ids=[f"{s}#{n}" for s, n in BULK_STEPS])
def test_bulk_send_then_resume(
    server_runtime: Runtime, monkeypatch: pytest.MonkeyPatch, step: str, nth: int
) -> None:
    runtime = server_runtime
    text = "email,name,invoice,amount,due\n" + "".join(
        f"c{i}@example.com,C {i},INV-{i},${i},1 Dec\n" for i in range(70)
    )
    plan = bulk.plan(runtime, "invoice-reminder", "c.csv", csv_text=text)
    injector = install(monkeypatch, Injector(step, nth))
    bulk.send_bulk(runtime, plan)
    assert injector.fired
    _logs_are_true(runtime.store, _accepted_ids(injector))
    # the same CSV again: the rest goes, nobody twice
    bulk.send_bulk(runtime, bulk.plan(runtime, "invoice-reminder", "c.csv", csv_text=text))
    sent = [d["to"][0] for d in runtime.store.emaillogs.find({"status": "sent"})]
    unknown = runtime.store.emaillogs.count_documents({"customData.outcome": "unknown"})
    assert len(sent) == len(set(sent)) and len(sent) + unknown == 70


UPLOAD_STEPS = [
    "files.insert_one",
    "s3:CreateMultipartUpload",
    "s3:UploadPart",
    "s3:CompleteMultipartUpload",
    "s3:HeadObject",
    "files.update_one",
    "auditlog.insert_one",
]


def _objects(runtime: Runtime, key: str) -> list[dict[str, Any]]:
    bucket = runtime.settings.aws_s3_bucket
    listed = runtime.aws.s3.list_object_versions(Bucket=bucket, Prefix=key)
    return [v for v in listed.get("Versions", []) if v["Key"] == key]


@pytest.mark.parametrize("step", UPLOAD_STEPS)
def test_upload(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, step: str
) -> None:
    from core.files.upload import UploadRequest, upload_file

    local = tmp_path / "scan.pdf"
    local.write_bytes(b"%PDF-1.4\n" + b"\1" * (11 * MiB))
    injector = install(monkeypatch, Injector(step))
    try:
        upload_file(
            runtime,
            UploadRequest(path=local, category=FileCategory.DOCUMENT),
            tuning=SMALL_PARTS,
        )
    except Exception as exc:
        assert "Traceback" not in str(exc)
    assert injector.fired
    bucket = runtime.settings.aws_s3_bucket
    assert runtime.aws.s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    for record in runtime.store.db["files"].find():
        objects = _objects(runtime, record["key"])
        if record["status"] == "completed":
            assert [o["Size"] for o in objects] == [local.stat().st_size]
        elif record["status"] == "failed":
            assert objects == []
        else:  # the store failed after S3 had it all: reconcile completes it
            assert record["status"] == "uploading" and step == "files.update_one"


DOWNLOAD_STEPS = [
    "files.find_one",
    "s3:HeadObject",
    "s3:GetObject",
    "disk:write",
    "files.update_one",
]


@pytest.mark.parametrize("step", DOWNLOAD_STEPS)
def test_download(
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    stored_file: Any,
    step: str,
) -> None:
    from core.files.download import download_file

    data = b"%PDF-1.4\n" + bytes(range(256)) * (11 * MiB // 256)
    record = stored_file(data=data)
    folder = tmp_path / "out"
    folder.mkdir()
    injector = install(monkeypatch, Injector(step))
    try:
        download_file(runtime, str(record.id), folder, tuning=SMALL_PARTS)
    except Exception as exc:
        assert "Traceback" not in str(exc)
    assert injector.fired
    files = list(folder.iterdir())
    assert not [f for f in files if f.name.endswith(".part")]
    assert files == [] or [f.read_bytes() == data for f in files] == [True]


EVENT_STEPS = [
    "sqs:ReceiveMessage",
    "emaillogs.find",
    "emaillogs.update_one",
    "sqs:DeleteMessageBatch",
]


@pytest.mark.parametrize("step", EVENT_STEPS)
def test_events(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    from core.events.consumer import EventConsumer
    from tests.core.events.conftest import queue_depth
    from tests.core.events.test_consumer import queue_deliveries

    url = runtime.settings.ses_events_queue_url
    assert url
    queue_deliveries(runtime, url, 10)
    injector = install(monkeypatch, Injector(step, 4 if step == "emaillogs.update_one" else 1))
    consumer = EventConsumer(
        runtime.aws.sqs, url, runtime.store, wait_seconds=0, visibility_timeout=0
    )
    for _ in range(3):  # a one-shot run stops at the fault; cron runs it again
        try:
            consumer.run(threading.Event(), until_empty=True)
        except Exception as exc:
            assert "injected" in str(exc) or "unreachable" in str(exc)
        if queue_depth(runtime, url) == 0:
            break
    assert injector.fired
    assert queue_depth(runtime, url) == 0  # nothing lost on the queue
    docs = list(runtime.store.emaillogs.find())
    assert {d["status"] for d in docs} == {"delivered"}  # every event applied
    assert [len(d["events"]) for d in docs] == [1] * 10  # and none twice


@pytest.mark.parametrize("failing", [1, 2, 3])
def test_journal_replay(store: Store, failing: int) -> None:
    """The store fails at the `failing`th entry: nothing is lost, a second replay
    finishes the job."""
    server = server_like(store)
    ids = [
        server.emaillogs.insert_one({"status": "queued", "messageId": f"q-{i}"}).inserted_id
        for i in range(3)
    ]
    for i, log_id in enumerate(ids):
        Journal().append(
            server.database, "emaillogs", {"_id": log_id}, {"$set": {"status": "sent", "n": i}}
        )
    injector = Injector("emaillogs.update_one", failing)
    # the same database as `server` (an in-process one under a server's URI, or the
    # real server): the journal replays only into the database its entries name
    flaky = Store(db=FailingDb(store.db, injector), uri_label=server.uri_label)  # type: ignore[arg-type]
    report = Journal().replay(flaky)
    assert injector.fired
    assert report.applied == failing - 1 and report.pending == 3 - failing + 1
    applied = {d["_id"] for d in server.emaillogs.find({"status": "sent"})}
    left = {e.filter["_id"] for e in Journal().pending()}
    assert applied | left == set(ids) and not applied & left  # each one: done or kept
    assert Journal().replay(server).applied == 3 - failing + 1
    assert Journal().count() == 0
    assert server.emaillogs.count_documents({"status": "sent"}) == 3
