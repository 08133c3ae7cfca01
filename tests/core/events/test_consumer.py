"""The consumer end to end in moto: SES events published to the SNS topic arrive on
the SQS queue in an envelope; the consumer applies them, suppresses bad addresses,
sets bad bodies aside, deletes only what it stored, and survives a store outage."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from core.db import Store
from core.events.apply import REV_FIELD
from core.events.consumer import EventConsumer
from core.events.parse import canonical_id
from core.runtime import Runtime
from core.vocabulary import EmailStatus
from tests.core.events import bodies as b
from tests.core.events.conftest import queue_depth

ANA = "ana@client.example"
BEN = "ben@client.example"
CAL = "cal@client.example"
DEE = "dee@client.example"
EVE = "eve@client.example"


def t(seconds: int) -> Any:
    return b.T0 + timedelta(seconds=seconds)


def drain(consumer: EventConsumer) -> None:
    consumer.run(threading.Event(), until_empty=True)


def stream(mids: dict[str, str]) -> list[str]:
    """A realistic stream over five logs: every event type and both shapes, a
    duplicate, an event for an unknown message, and bad bodies."""
    m1, m2, m3, m4, m5 = (mids[k] for k in ("m1", "m2", "m3", "m4", "m5"))
    unknown = "0100019ffff-unknown-000000"
    events: list[tuple[str, dict[str, Any]]] = [
        ("e1", b.send(m1, [ANA])),
        ("e2", b.delivery(m1, [ANA], [ANA], t(2))),
        ("e3", b.opened(m1, [ANA], t(300))),
        ("e4", b.click(m1, [ANA], t(320))),
        ("e5", b.send(m2, [BEN, CAL])),
        ("e6", b.delivery(m2, [BEN, CAL], [BEN], t(2), shape="notificationType")),
        ("e7", b.bounce(m2, [BEN, CAL], [CAL], t(3))),
        ("e8", b.send(m3, [DEE])),
        ("e9", b.delivery(m3, [DEE], [DEE], t(2))),
        ("e10", b.complaint(m3, [DEE], [DEE], t(900), shape="notificationType")),
        ("e11", b.reject(m4, [EVE])),
        ("e12", b.send(m5, [ANA])),
        ("e13", b.bounce(m5, [ANA], [ANA], t(4), kind="Transient", sub="MailboxFull")),
        ("e14", b.delay(m5, [ANA], [ANA], t(60))),
        ("e15", b.subscription(m5, [ANA], t(70))),
        ("e16", b.rendering_failure(unknown, [EVE])),
        ("e2", b.delivery(m1, [ANA], [ANA], t(2))),  # redelivered by SNS
    ]
    out = [b.envelope(event, message_id=eid) for eid, event in events]
    out += [
        "{this is not json",
        json.dumps({"eventType": "Teleport", "mail": {"messageId": m1}}),
        json.dumps({"Type": "Notification", "MessageId": "bad-1", "Message": "plain text"}),
    ]
    return out


def seed(store: Store) -> dict[str, str]:
    mids = {f"m{i}": f"0100019aaaa-{i:04d}-000000" for i in range(1, 6)}
    store.emaillogs.insert_one(b.make_log(mids["m1"], [ANA]))
    store.emaillogs.insert_one(b.make_log(mids["m2"], [BEN], cc=[CAL]))
    store.emaillogs.insert_one(b.make_log(mids["m3"], [DEE]))
    store.emaillogs.insert_one(b.make_log(mids["m4"], [EVE]))
    store.emaillogs.insert_one(b.make_log(mids["m5"], [ANA]))
    return mids


def state(store: Store) -> dict[str, Any]:
    logs = {}
    # eventsRev only counts writes (a batch writes once per log): not part of the state
    for doc in store.emaillogs.find({}, {"_id": 0, "updatedAt": 0, REV_FIELD: 0}).sort(
        "messageId", 1
    ):
        doc["recipientStatus"] = sorted(doc.get("recipientStatus", []), key=lambda r: r["email"])
        logs[doc.pop("messageId")] = doc
    return {
        "logs": logs,
        "suppressions": sorted(
            (d["email"], d["reason"], d.get("messageId"), d.get("diagnostic"))
            for d in store.suppressions.find()
        ),
        "kept": sorted(
            (d["eventId"], d["state"], d.get("reason"), d.get("messageId"))
            for d in store.unmatched_events.find()
        ),
    }


def send_bodies(runtime: Runtime, queue_url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        runtime.aws.sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "MessageBody": body}
                for i, body in enumerate(bodies[start : start + 10])
            ],
        )


def test_events_through_sns_and_sqs_update_logs(
    runtime: Runtime,
    queue_url: str,
    publish: Callable[[dict[str, Any]], None],
    make_consumer: Callable[..., EventConsumer],
) -> None:
    store = runtime.store
    mid = b.ses_message_id()
    store.emaillogs.insert_one(b.make_log(mid, [ANA], cc=[BEN]))
    publish(b.send(mid, [ANA, BEN]))
    publish(b.delivery(mid, [ANA, BEN], [ANA], t(2)))
    publish(b.bounce(mid, [ANA, BEN], [BEN], t(3)))
    publish(b.complaint(mid, [ANA, BEN], [ANA], t(600)))
    consumer = make_consumer()
    drain(consumer)
    doc = store.emaillogs.find_one({"messageId": mid})
    assert doc is not None
    assert doc["status"] == EmailStatus.COMPLAINT
    assert {r["email"]: r["status"] for r in doc["recipientStatus"]} == {
        ANA: "complaint",
        BEN: "bounced",
    }
    assert len(doc["events"]) == 4
    assert consumer.stats.applied == 4
    assert consumer.stats.suppressed == 2
    sup = {d["email"]: d for d in store.suppressions.find()}
    assert sup[BEN]["reason"] == "bounce" and sup[BEN]["messageId"] == mid
    assert sup[BEN]["diagnostic"] == "smtp; 550 5.1.1 user unknown"
    assert sup[ANA]["reason"] == "complaint"
    assert queue_depth(runtime, queue_url) == 0


def test_whole_stream_with_bad_bodies(
    runtime: Runtime, queue_url: str, make_consumer: Callable[..., EventConsumer]
) -> None:
    store = runtime.store
    mids = seed(store)
    send_bodies(runtime, queue_url, stream(mids))
    consumer = make_consumer()
    drain(consumer)
    s = consumer.stats
    assert (s.applied, s.duplicates, s.unmatched, s.set_aside) == (15, 1, 1, 3)
    assert s.failed == 0
    assert queue_depth(runtime, queue_url) == 0  # everything stored, everything deleted

    status = {m: store.emaillogs.find_one({"messageId": v})["status"] for m, v in mids.items()}
    assert status == {
        "m1": "delivered",
        "m2": "bounced",
        "m3": "complaint",
        "m4": "failed",
        "m5": "sent",
    }
    m5 = store.emaillogs.find_one({"messageId": mids["m5"]})
    assert m5["recipientStatus"][0]["diagnostic"].startswith("Delayed (")
    suppressed = {(d["email"], d["reason"]) for d in store.suppressions.find()}
    assert suppressed == {(CAL, "bounce"), (DEE, "complaint")}  # not the transient bounce
    aside = {d["reason"] for d in store.unmatched_events.find({"state": "setAside"})}
    assert any("not JSON" in r for r in aside)
    assert any("Teleport" in r for r in aside)
    assert any("SNS Message is not JSON" in r for r in aside)
    kept = store.unmatched_events.find_one({"state": "unmatched"})
    unknown = b.rendering_failure("0100019ffff-unknown-000000", [EVE])
    assert kept is not None and kept["eventId"] == canonical_id(unknown)


def test_replay_twice_and_in_reverse_gives_the_same_state(
    runtime: Runtime, queue_url: str, make_consumer: Callable[..., EventConsumer]
) -> None:
    store = runtime.store
    mids = seed(store)
    bodies = stream(mids)
    send_bodies(runtime, queue_url, bodies)
    drain(make_consumer())
    first = state(store)

    send_bodies(runtime, queue_url, bodies)  # the whole stream again
    again = make_consumer()
    drain(again)
    assert again.stats.applied == 0
    assert state(store) == first

    # a second database on the same server (mongomock or MONGODB_URI's)
    other = Store(db=store.db.client[f"{store.db.name}_rev"], uri_label=store.uri_label)
    other.ensure_indexes()
    try:
        seed(other)
        for body in reversed(bodies):  # one at a time, so the order is exact
            send_bodies(runtime, queue_url, [body])
            make_consumer(other).poll_once()
        assert queue_depth(runtime, queue_url) == 0
        assert state(other) == first
    finally:
        if not other.is_mock:
            store.db.client.drop_database(other.db.name)


class _FlakyLogs:
    """emaillogs that fails (as MongoDB does when unreachable) from the n-th write."""

    def __init__(self, real: Any, fail_from: int) -> None:
        self._real = real
        self.writes = 0
        self.fail_from = fail_from

    def update_one(self, *args: Any, **kwargs: Any) -> Any:
        self.writes += 1
        if self.writes >= self.fail_from:
            raise ServerSelectionTimeoutError("localhost:27017: [Errno 111] Connection refused")
        return self._real.update_one(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _FlakyStore(Store):
    flaky: Any = None

    @property
    def emaillogs(self) -> Any:
        return self.flaky


def queue_deliveries(runtime: Runtime, queue_url: str, n: int) -> list[str]:
    """`n` logs to ANA, and a Delivery event for each on the queue; their message ids."""
    mids = [b.ses_message_id() for _ in range(n)]
    for mid in mids:
        runtime.store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    send_bodies(
        runtime,
        queue_url,
        [b.envelope(b.delivery(m, [ANA], [ANA], t(2)), f"d-{i}") for i, m in enumerate(mids)],
    )
    return mids


def test_store_outage_mid_batch_deletes_only_what_was_applied(
    runtime: Runtime, queue_url: str, make_consumer: Callable[..., EventConsumer]
) -> None:
    store = runtime.store
    queue_deliveries(runtime, queue_url, 10)
    flaky = _FlakyStore(db=store.db, uri_label=store.uri_label)
    flaky.flaky = _FlakyLogs(store.emaillogs, fail_from=4)
    consumer = make_consumer(flaky, visibility_timeout=0)
    report = consumer.poll_once()
    assert report.received == 10
    assert report.outage
    applied = store.emaillogs.count_documents({"status": "delivered"})
    assert applied == 3 == consumer.stats.applied
    assert report.left_on_queue == 7
    assert "MongoDB is unreachable" in report.failures[0]
    assert queue_depth(runtime, queue_url) == 7  # nothing deleted that was not applied

    healthy = make_consumer()
    drain(healthy)
    assert store.emaillogs.count_documents({"status": "delivered"}) == 10
    assert healthy.stats.applied == 7
    for doc in store.emaillogs.find():
        assert len(doc["events"]) == 1  # applied exactly once
    assert queue_depth(runtime, queue_url) == 0


def test_unknown_message_ids_are_matched_when_the_log_appears(
    runtime: Runtime, queue_url: str, make_consumer: Callable[..., EventConsumer]
) -> None:
    store = runtime.store
    mid = b.ses_message_id()
    send_bodies(runtime, queue_url, [b.envelope(b.delivery(mid, [ANA], [ANA], t(2)), "late-1")])
    consumer = make_consumer()
    drain(consumer)
    assert consumer.stats.unmatched == 1
    store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    assert consumer.rematch_if_due(force=True) == [mid]
    assert store.emaillogs.find_one({"messageId": mid})["status"] == "delivered"
    assert store.unmatched_events.count_documents({}) == 0


def test_stop_event_ends_a_long_poll_loop(
    runtime: Runtime, make_consumer: Callable[..., EventConsumer]
) -> None:
    consumer = make_consumer(wait_seconds=1)
    stop = threading.Event()
    batches: list[int] = []
    thread = threading.Thread(
        target=consumer.run, args=(stop,), kwargs={"on_batch": lambda r: batches.append(r.received)}
    )
    thread.start()
    time.sleep(0.3)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert consumer.stats.polls >= 1
    assert consumer.stats.last_poll is not None
    assert consumer.stats.summary().startswith("last poll ")


def test_summary_line() -> None:
    from core.events.consumer import ConsumerStats

    stats = ConsumerStats(applied=35, set_aside=1)
    assert stats.summary() == "last poll never · 35 applied · 1 set aside"


def test_sqs_failure_is_raised_for_a_one_shot_run(runtime: Runtime, store: Store) -> None:
    consumer = EventConsumer(
        runtime.aws.sqs,
        "https://sqs.us-east-1.amazonaws.com/123456789012/missing",
        store,
        wait_seconds=0,
    )
    with pytest.raises(Exception, match=r"NonExistentQueue|does not exist"):
        consumer.run(threading.Event(), until_empty=True)
    assert consumer.stats.last_error


class _DeleteFailsOnce:
    """The SQS client, but the first DeleteMessageBatch fails (throttled)."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.deletes = 0

    def delete_message_batch(self, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        self.deletes += 1
        if self.deletes == 1:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
                "DeleteMessageBatch",
            )
        return self._real.delete_message_batch(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_run_deletes_in_the_background_and_reports_a_failed_delete(
    runtime: Runtime, queue_url: str
) -> None:
    """`run` overlaps each batch's delete with the next batch; a failed delete is
    reported (with the next batch or when the run ends) and the messages come back
    and are recognised as duplicates, not applied twice."""
    store = runtime.store
    queue_deliveries(runtime, queue_url, 15)
    sqs = _DeleteFailsOnce(runtime.aws.sqs)
    consumer = EventConsumer(sqs, queue_url, store, wait_seconds=0, visibility_timeout=0)
    failures: list[str] = []
    errors: list[str] = []
    consumer.run(
        threading.Event(),
        until_empty=True,
        on_batch=lambda r: failures.extend(r.failures),
        on_error=errors.append,
    )
    assert any("delete failed" in f and "Rate exceeded" in f for f in failures + errors)
    assert consumer.stats.applied == 15
    assert consumer.stats.duplicates >= 1  # the undeleted batch came back
    assert store.emaillogs.count_documents({"status": "delivered"}) == 15
    for doc in store.emaillogs.find():
        assert len(doc["events"]) == 1
    assert queue_depth(runtime, queue_url) == 0


def test_a_deep_body_in_a_batch_never_holds_back_the_others(
    runtime: Runtime, queue_url: str, make_consumer: Callable[..., EventConsumer]
) -> None:
    mids = [b.ses_message_id() for _ in range(4)]
    for mid in mids:
        runtime.store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    bodies = [b.envelope(b.delivery(m, [ANA], [ANA], t(2))) for m in mids]
    bodies.insert(2, '{"a":' * 50_000 + "1" + "}" * 50_000)
    send_bodies(runtime, queue_url, bodies)
    consumer = make_consumer()
    report = consumer.poll_once()
    assert report.received == 5 and report.left_on_queue == 0
    assert (consumer.stats.applied, consumer.stats.set_aside, consumer.stats.failed) == (4, 1, 0)
    assert runtime.store.emaillogs.count_documents({"status": "delivered"}) == 4
    assert queue_depth(runtime, queue_url) == 0  # the bad body is set aside and deleted too
