"""Applying events to logs: precedence, duplicates, order, unmatched events, metadata
keys, and compare-and-set under a concurrent writer."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest

from core.db import Store
from core.events.apply import (
    REV_FIELD,
    Outcome,
    apply_event,
    process_body,
    rematch_unmatched,
)
from core.events.parse import Parsed, canonical_id, parse_body
from core.models import EmailLog
from core.vocabulary import SES_EVENT_NAMES, EmailStatus
from tests.core.events import bodies as b

ANA = "ana@client.example"
BEN = "ben@client.example"


def t(seconds: int) -> Any:
    return b.T0 + timedelta(seconds=seconds)


def parsed(event: dict[str, Any], event_id: str | None = None) -> Parsed:
    result = parse_body(b.envelope(event, message_id=event_id) if event_id else json.dumps(event))
    assert isinstance(result, Parsed), result
    return result


def log_of(store: Store, mid: str) -> EmailLog:
    doc = store.emaillogs.find_one({"messageId": mid})
    assert doc is not None
    return EmailLog.model_validate(doc)


def rows(log: EmailLog) -> dict[str, tuple[str, str | None]]:
    return {r.email: (r.status.value, r.diagnostic) for r in log.recipientStatus}


@pytest.fixture
def mid(store: Store) -> str:
    message_id = b.ses_message_id()
    store.emaillogs.insert_one(b.make_log(message_id, [ANA]))
    return message_id


def test_send_then_delivery(store: Store, mid: str) -> None:
    assert apply_event(store, parsed(b.send(mid, [ANA]))).outcome == Outcome.APPLIED
    result = apply_event(store, parsed(b.delivery(mid, [ANA], [ANA], t(2))))
    assert result.outcome == Outcome.APPLIED
    assert result.status == EmailStatus.DELIVERED
    log = log_of(store, mid)
    assert log.status == EmailStatus.DELIVERED
    assert rows(log) == {ANA: ("delivered", "250 2.6.0 Message received")}
    assert [e.type.value for e in log.events] == ["send", "delivery"]
    assert all(e.eventId for e in log.events)


def test_late_delivery_never_overrides_a_complaint(store: Store, mid: str) -> None:
    apply_event(store, parsed(b.complaint(mid, [ANA], [ANA], t(60))))
    apply_event(store, parsed(b.delivery(mid, [ANA], [ANA], t(2))))
    log = log_of(store, mid)
    assert log.status == EmailStatus.COMPLAINT
    assert rows(log)[ANA][0] == "complaint"
    assert len(log.events) == 2
    # events are kept in time order whatever the arrival order
    assert [e.type.value for e in log.events] == ["delivery", "complaint"]


def test_late_delivery_never_overrides_a_bounce(store: Store, mid: str) -> None:
    apply_event(store, parsed(b.bounce(mid, [ANA], [ANA], t(5))))
    apply_event(store, parsed(b.delivery(mid, [ANA], [ANA], t(9))))
    apply_event(store, parsed(b.opened(mid, [ANA], t(10))))
    assert log_of(store, mid).status == EmailStatus.BOUNCED


def test_transient_bounce_and_delay_keep_sent_with_the_diagnostic(store: Store, mid: str) -> None:
    apply_event(
        store,
        parsed(
            b.bounce(
                mid,
                [ANA],
                [ANA],
                t(5),
                kind="Transient",
                sub="MailboxFull",
                diagnostic="smtp; 452 4.2.2 mailbox full",
            )
        ),
    )
    log = log_of(store, mid)
    assert log.status == EmailStatus.SENT
    assert rows(log)[ANA] == ("sent", "Transient/MailboxFull: smtp; 452 4.2.2 mailbox full")
    apply_event(store, parsed(b.delay(mid, [ANA], [ANA], t(50))))
    log = log_of(store, mid)
    assert log.status == EmailStatus.SENT
    assert rows(log)[ANA][1] == (
        "Delayed (TransientCommunicationFailure): smtp; 421 4.4.1 Unable to connect to remote host"
    )
    # ...and a delivery afterwards wins
    apply_event(store, parsed(b.delivery(mid, [ANA], [ANA], t(600))))
    assert log_of(store, mid).status == EmailStatus.DELIVERED


@pytest.mark.parametrize("maker", [b.reject, b.rendering_failure])
def test_reject_and_rendering_failure_mean_failed(store: Store, mid: str, maker: Any) -> None:
    apply_event(store, parsed(maker(mid, [ANA])))
    log = log_of(store, mid)
    assert log.status == EmailStatus.FAILED
    assert rows(log)[ANA][1]


def test_open_and_click_imply_delivery(store: Store, mid: str) -> None:
    apply_event(store, parsed(b.opened(mid, [ANA], t(100))))
    assert log_of(store, mid).status == EmailStatus.DELIVERED
    apply_event(store, parsed(b.click(mid, [ANA], t(120))))
    log = log_of(store, mid)
    assert [e.type.value for e in log.events] == ["open", "click"]


def test_open_with_several_recipients_does_not_guess_who(store: Store) -> None:
    mid = b.ses_message_id()
    store.emaillogs.insert_one(b.make_log(mid, [ANA], cc=[BEN]))
    apply_event(store, parsed(b.opened(mid, [ANA, BEN], t(100))))
    log = log_of(store, mid)
    assert log.status == EmailStatus.SENT
    assert len(log.events) == 1


def test_per_recipient_status_and_derived_worst(store: Store) -> None:
    mid = b.ses_message_id()
    store.emaillogs.insert_one(b.make_log(mid, [ANA], cc=[BEN]))
    apply_event(store, parsed(b.delivery(mid, [ANA, BEN], [ANA], t(2))))
    assert log_of(store, mid).status == EmailStatus.DELIVERED
    apply_event(store, parsed(b.bounce(mid, [ANA, BEN], [BEN.upper()], t(3))))
    log = log_of(store, mid)
    assert log.status == EmailStatus.BOUNCED
    assert rows(log)[ANA][0] == "delivered"
    assert rows(log)[BEN] == ("bounced", "Permanent/General: smtp; 550 5.1.1 user unknown")


def test_duplicate_event_changes_nothing(store: Store, mid: str) -> None:
    event = parsed(b.delivery(mid, [ANA], [ANA], t(2)), event_id="sns-dup")
    assert apply_event(store, event).outcome == Outcome.APPLIED
    before = store.emaillogs.find_one({"messageId": mid}, {"updatedAt": 0})
    again = apply_event(store, parsed(b.delivery(mid, [ANA], [ANA], t(2)), event_id="sns-dup"))
    assert again.outcome == Outcome.DUPLICATE
    assert store.emaillogs.find_one({"messageId": mid}, {"updatedAt": 0}) == before


def test_metadata_keys_are_the_documented_ones(store: Store, mid: str) -> None:
    expected = {
        "send": {"sesMessageId"},
        "delivery": {"recipients", "smtpResponse", "processingTimeMillis", "reportingMTA"},
        "bounce": {"bounceType", "bounceSubType", "feedbackId", "recipients"},
        "complaint": {"complaintFeedbackType", "feedbackId", "userAgent", "recipients"},
        "open": {"ipAddress", "userAgent"},
        "click": {"ipAddress", "userAgent", "link"},
        "deliveryDelay": {"delayType", "expirationTime", "recipients"},
    }
    for event in (
        b.send(mid, [ANA]),
        b.delivery(mid, [ANA], [ANA], t(1)),
        b.bounce(mid, [ANA], [ANA], t(2)),
        b.complaint(mid, [ANA], [ANA], t(3)),
        b.opened(mid, [ANA], t(4)),
        b.click(mid, [ANA], t(5)),
        b.delay(mid, [ANA], [ANA], t(6)),
    ):
        apply_event(store, parsed(event))
    log = log_of(store, mid)
    for entry in log.events:
        assert entry.metadata is not None
        assert entry.metadata["sesEventType"] == SES_EVENT_NAMES[entry.kind]
        assert set(entry.metadata) - {"sesEventType"} == expected[entry.kind.value], entry.kind
    bounce = next(e for e in log.events if e.type.value == "bounce")
    assert bounce.metadata is not None
    assert set(bounce.metadata["recipients"][0]) == {
        "emailAddress",
        "action",
        "status",
        "diagnosticCode",
    }
    other = b.ses_message_id()
    store.emaillogs.insert_one(b.make_log(other, [ANA]))
    apply_event(store, parsed(b.reject(other, [ANA])))
    apply_event(store, parsed(b.rendering_failure(other, [ANA])))
    kinds = {e.kind.value: e.metadata for e in log_of(store, other).events}
    assert kinds["reject"] == {"sesEventType": "Reject", "reason": "Bad content"}
    assert set(kinds["renderingFailure"] or {}) == {
        "sesEventType",
        "templateName",
        "errorMessage",
    }


@pytest.mark.parametrize(
    ("maker", "ses_name"),
    [
        (lambda mid: b.reject(mid, [ANA]), "Reject"),
        (lambda mid: b.rendering_failure(mid, [ANA]), "Rendering Failure"),
        (lambda mid: b.delay(mid, [ANA], [ANA], t(6)), "DeliveryDelay"),
        (lambda mid: b.subscription(mid, [ANA], t(7)), "Subscription"),
    ],
)
def test_types_outside_the_guides_six_are_stored_as_send_notes(
    store: Store, mid: str, maker: Any, ses_name: str
) -> None:
    """The CRM's schema allows six event types: the others are `send` entries naming
    SES's type; the recipient's row keeps the precise outcome; the SES Send event that
    arrives after one of them is still recorded (it is not a duplicate of the note)."""
    apply_event(store, parsed(maker(mid)))
    result = apply_event(store, parsed(b.send(mid, [ANA])))
    assert result.outcome == Outcome.APPLIED
    doc = store.emaillogs.find_one({"messageId": mid})
    assert doc is not None
    stored = [(e["type"], e["metadata"]["sesEventType"]) for e in doc["events"]]
    assert sorted(stored) == sorted([("send", ses_name), ("send", "Send")])
    assert {e["type"] for e in doc["events"]} <= {
        "send", "delivery", "bounce", "complaint", "open", "click"
    }  # fmt: skip
    # a second SES Send is a duplicate: the log has its send event
    again = apply_event(store, parsed(b.send(mid, [ANA]), event_id="another-sns-id"))
    assert again.outcome == Outcome.DUPLICATE


def test_log_without_recipient_rows_gets_them(store: Store) -> None:
    """Logs written by the CRM web app have no recipientStatus."""
    mid = b.ses_message_id()
    doc = b.make_log(mid, [ANA], cc=[BEN])
    del doc["recipientStatus"]
    store.emaillogs.insert_one(doc)
    apply_event(store, parsed(b.bounce(mid, [ANA, BEN], [ANA], t(3))))
    log = log_of(store, mid)
    assert rows(log)[ANA][0] == "bounced"
    assert rows(log)[BEN] == ("sent", None)


def test_unknown_message_is_kept_and_matched_later(store: Store) -> None:
    mid = b.ses_message_id()
    event = b.delivery(mid, [ANA], [ANA], t(2))
    result = process_body(store, b.envelope(event, "sns-u1"))
    assert result.outcome == Outcome.UNMATCHED
    kept = store.unmatched_events.find_one({"eventId": canonical_id(event)})
    assert kept is not None and kept["state"] == "unmatched" and kept["messageId"] == mid
    # redelivered: still one record
    process_body(store, b.envelope(b.delivery(mid, [ANA], [ANA], t(2)), "sns-u1"))
    assert store.unmatched_events.count_documents({}) == 1
    assert rematch_unmatched(store).still_unmatched == 1

    store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    report = rematch_unmatched(store)
    assert (report.applied, report.message_ids) == (1, [mid])
    assert store.unmatched_events.count_documents({}) == 0
    log = log_of(store, mid)
    assert log.status == EmailStatus.DELIVERED
    assert log.events[0].eventId == canonical_id(event)


class _InterleavingLogs:
    """emaillogs whose first read is followed by another writer's event (a race)."""

    def __init__(self, real: Any, store: Store, intruder: Parsed) -> None:
        self._real = real
        self._store = store
        self._intruder: Parsed | None = intruder

    def find_one(self, *args: Any, **kwargs: Any) -> Any:
        doc = self._real.find_one(*args, **kwargs)
        if self._intruder is not None and doc is not None and REV_FIELD in (args[1] or {}):
            intruder, self._intruder = self._intruder, None
            assert apply_event(self._store, intruder).outcome == Outcome.APPLIED
        return doc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _RacyStore(Store):
    racer: Any = None

    @property
    def emaillogs(self) -> Any:
        return self.racer if self.racer is not None else super().emaillogs


def test_concurrent_writer_does_not_lose_an_event(store: Store, mid: str) -> None:
    racy = _RacyStore(db=store.db, uri_label=store.uri_label)
    racy.racer = _InterleavingLogs(
        store.emaillogs, store, parsed(b.complaint(mid, [ANA], [ANA], t(60)))
    )
    result = apply_event(racy, parsed(b.delivery(mid, [ANA], [ANA], t(2))))
    assert result.outcome == Outcome.APPLIED
    log = log_of(store, mid)
    assert {e.type.value for e in log.events} == {"delivery", "complaint"}
    assert log.status == EmailStatus.COMPLAINT  # the stale read did not win
    assert log.model_extra is not None and log.model_extra[REV_FIELD] == 2


def test_two_threads_on_one_log(store: Store, mid: str) -> None:
    if store.is_mock:
        pytest.skip("mongomock's update_one is not atomic across threads; needs a real MongoDB")
    events = [parsed(b.opened(mid, [ANA], t(i)), event_id=f"sns-open-{i}") for i in range(60)]
    events.append(parsed(b.complaint(mid, [ANA], [ANA], t(30)), event_id="sns-c"))

    def work(part: list[Parsed]) -> None:
        for e in part:
            apply_event(store, e)

    threads = [threading.Thread(target=work, args=(events[i::2],)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    log = log_of(store, mid)
    assert len(log.events) == 61
    assert log.status == EmailStatus.COMPLAINT


def test_ses_send_event_after_the_console_recorded_the_send(store: Store, mid: str) -> None:
    """The send flow records `send` itself (no event id); SES's Send is the same event."""
    store.emaillogs.update_one(
        {"messageId": mid},
        {
            "$set": {
                "events": [{"type": "send", "timestamp": b.T0, "metadata": {"sesMessageId": mid}}]
            }
        },
    )
    result = apply_event(store, parsed(b.send(mid, [ANA])))
    assert result.outcome == Outcome.DUPLICATE
    assert len(log_of(store, mid).events) == 1


def test_batch_writes_once_per_log_and_dedups_within_the_batch(store: Store, mid: str) -> None:
    from core.events.apply import process_bodies

    other = b.ses_message_id()
    store.emaillogs.insert_one(b.make_log(other, [BEN]))
    sent, delivered = b.send(mid, [ANA]), b.delivery(mid, [ANA], [ANA], t(2))
    bodies = [
        b.envelope(sent, "s1"),
        b.envelope(delivered, "d1"),
        b.envelope(delivered, "d1"),  # the same, twice
        b.envelope(b.bounce(other, [BEN], [BEN], t(3)), "b1"),
        "{broken",
        b.envelope(b.opened(b.ses_message_id(), [ANA], t(9)), "u1"),
    ]
    results = process_bodies(store, bodies)
    outcomes = [r.outcome if not isinstance(r, Exception) else r for r in results]
    assert outcomes == [
        Outcome.APPLIED,
        Outcome.APPLIED,
        Outcome.DUPLICATE,
        Outcome.APPLIED,
        Outcome.SET_ASIDE,
        Outcome.UNMATCHED,
    ]
    first = store.emaillogs.find_one({"messageId": mid})
    assert first is not None
    assert first[REV_FIELD] == 1  # one write for its two events
    assert [e["eventId"] for e in first["events"]] == [canonical_id(sent), canonical_id(delivered)]
    assert first["status"] == "delivered"
    assert results[3].suppressed == (BEN,)  # type: ignore[union-attr]
    again = process_bodies(store, bodies)
    assert [getattr(r, "outcome", None) for r in again][:4] == [Outcome.DUPLICATE] * 4


def test_batch_falls_back_when_the_log_changed_after_the_batch_read(store: Store, mid: str) -> None:
    from core.events import apply as apply_module

    real_write = apply_module._write
    calls = {"n": 0}
    complaint, delivered = (
        b.complaint(mid, [ANA], [ANA], t(60)),
        b.delivery(mid, [ANA], [ANA], t(2)),
    )

    def racing_write(st: Store, doc: dict[str, Any], items: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:  # another consumer lands a complaint first
            assert apply_event(st, parsed(complaint, "c9")).outcome
        return real_write(st, doc, items)

    apply_module._write = racing_write  # type: ignore[assignment]
    try:
        results = apply_module.process_bodies(store, [b.envelope(delivered, "d9")])
    finally:
        apply_module._write = real_write  # type: ignore[assignment]
    assert getattr(results[0], "outcome", None) == Outcome.APPLIED
    log = log_of(store, mid)
    assert {e.eventId for e in log.events} == {canonical_id(complaint), canonical_id(delivered)}
    assert log.status == EmailStatus.COMPLAINT
