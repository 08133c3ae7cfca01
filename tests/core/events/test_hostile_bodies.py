"""Hostile and odd SES event bodies (issue 12, item 10): each is applied or set aside
with a reason, never an exception; what is stored is valid UTF-8; the same event in
another envelope is applied once; a report naming a stranger suppresses nobody; kept
events expire and re-matching reads the newest first."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import bson

from core.db import KEPT_EVENT_DAYS, UNMATCHED_INDEXES, Store, index_name
from core.events.apply import Outcome, process_bodies, process_body, rematch_unmatched
from core.events.parse import canonical_id
from core.models import utcnow
from tests.core.events import bodies as b

ANA = "ana@client.example"
EVE = "eve@elsewhere.example"


def t(seconds: int) -> Any:
    return b.T0 + timedelta(seconds=seconds)


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def every_doc_is_bson(store: Store) -> None:
    for name in ("emaillogs", "suppressions", "unmatchedevents"):
        for doc in store.db[name].find():
            bson.encode(doc)


def test_a_deep_body_is_set_aside_and_the_batch_beside_it_is_applied(store: Store) -> None:
    mid = b.ses_message_id()
    store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    results = process_bodies(
        store,
        [
            b.envelope(b.send(mid, [ANA])),
            nested(50_000),
            b.envelope(b.delivery(mid, [ANA], [ANA], t(2))),
        ],
    )
    outcomes = [getattr(r, "outcome", r) for r in results]
    assert outcomes == [Outcome.APPLIED, Outcome.SET_ASIDE, Outcome.APPLIED]
    assert store.emaillogs.find_one({"messageId": mid})["status"] == "delivered"
    aside = store.unmatched_events.find_one({"state": "setAside"})
    assert aside is not None and "nested more than 32 levels" in aside["reason"]


def test_lone_surrogates_are_stored_as_valid_utf8(store: Store) -> None:
    # an unknown message (no log): its bounce suppresses the event's own recipient
    odd = "x\udc80@client.example"
    mid = "0100019abc-\udc80-000000"
    result = process_body(store, b.envelope(b.bounce(mid, [odd], [odd], t(3))))
    assert result.outcome == Outcome.UNMATCHED
    assert result.suppressed == ("x\ufffd@client.example",)
    assert store.suppressions.find_one({"email": "x\ufffd@client.example"}) is not None
    kept = store.unmatched_events.find_one({"state": "unmatched"})
    assert kept is not None and kept["messageId"] == "0100019abc-\ufffd-000000"
    # and a body set aside with one in its messageId and its text
    bad = json.dumps(
        {"eventType": "Tele\udc80port", "mail": {"messageId": mid}}, ensure_ascii=False
    )
    aside = process_body(store, bad)
    assert aside.outcome == Outcome.SET_ASIDE
    doc = store.unmatched_events.find_one({"state": "setAside"})
    assert doc is not None and doc["messageId"] == "0100019abc-\ufffd-000000"
    assert "Tele\ufffdport" in doc["body"]
    every_doc_is_bson(store)


def test_a_timestamp_in_year_one_is_set_aside(store: Store) -> None:
    mid = b.ses_message_id()
    store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    event = b.delivery(mid, [ANA], [ANA], t(2))
    event["delivery"]["timestamp"] = "0001-01-01T00:00:00"
    result = process_body(store, json.dumps(event))
    assert result.outcome == Outcome.SET_ASIDE
    assert result.reason is not None and "before SES existed" in result.reason
    event["delivery"]["timestamp"] = "2026-11-20T09:30:02"  # no zone: UTC
    applied = process_body(store, json.dumps(event))
    assert applied.outcome == Outcome.APPLIED
    log = store.emaillogs.find_one({"messageId": mid})
    assert log["events"][0]["timestamp"] == t(2)


def test_the_same_event_raw_and_in_an_envelope_is_applied_once(store: Store) -> None:
    mid = b.ses_message_id()
    store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    event = b.complaint(mid, [ANA], [ANA], t(60))
    first = process_body(store, b.envelope(event, "sns-1"))
    assert first.outcome == Outcome.APPLIED
    assert process_body(store, json.dumps(event)).outcome == Outcome.DUPLICATE
    assert process_body(store, b.envelope(event, "sns-2")).outcome == Outcome.DUPLICATE
    both = process_bodies(store, [json.dumps(event), b.envelope(event, "sns-3")])
    assert [getattr(r, "outcome", r) for r in both] == [Outcome.DUPLICATE] * 2
    log = store.emaillogs.find_one({"messageId": mid})
    assert [e["eventId"] for e in log["events"]] == [canonical_id(event)]


def test_an_event_stored_under_its_sns_message_id_is_not_applied_again(store: Store) -> None:
    """Logs written before the id came from the event carry the SNS MessageId."""
    mid = b.ses_message_id()
    store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    event = b.delivery(mid, [ANA], [ANA], t(2))
    store.emaillogs.update_one(
        {"messageId": mid},
        {"$push": {"events": {"type": "delivery", "timestamp": t(2), "eventId": "sns-old"}}},
    )
    assert process_body(store, b.envelope(event, "sns-old")).outcome == Outcome.DUPLICATE
    assert len(store.emaillogs.find_one({"messageId": mid})["events"]) == 1


def test_a_complaint_about_a_stranger_suppresses_nobody_and_is_flagged(store: Store) -> None:
    mid = b.ses_message_id()
    store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    # SES's own destination can be forged along with the complaint: the log decides
    result = process_body(store, json.dumps(b.complaint(mid, [ANA, EVE], [EVE], t(60))))
    assert result.outcome == Outcome.APPLIED
    assert result.suppressed == ()
    assert result.not_recipients == (EVE,)
    assert f"not a recipient, not suppressed: {EVE}" in result.describe()
    assert store.suppressions.count_documents({}) == 0
    log = store.emaillogs.find_one({"messageId": mid})
    assert log["status"] == "sent"  # nobody who got it complained
    assert [r["email"] for r in log["recipientStatus"]] == [ANA]
    assert log["events"][0]["metadata"]["notRecipient"] == [EVE]
    # a bounce naming both: the recipient is suppressed, the stranger is not
    both = process_body(store, json.dumps(b.bounce(mid, [ANA], [ANA, EVE], t(70))))
    assert (both.suppressed, both.not_recipients) == ((ANA,), (EVE,))
    assert {d["email"] for d in store.suppressions.find()} == {ANA}


def test_a_report_for_an_unknown_message_only_suppresses_its_destination(store: Store) -> None:
    result = process_body(
        store, json.dumps(b.complaint(b.ses_message_id(), [ANA], [ANA, EVE], t(60)))
    )
    assert result.outcome == Outcome.UNMATCHED
    assert (result.suppressed, result.not_recipients) == ((ANA,), (EVE,))
    assert {d["email"] for d in store.suppressions.find()} == {ANA}


def test_kept_events_expire() -> None:
    ttl = [opts for keys, opts in UNMATCHED_INDEXES if "expireAfterSeconds" in opts]
    assert ttl == [{"expireAfterSeconds": 14 * 24 * 3600}]
    assert KEPT_EVENT_DAYS == 14


def test_setup_builds_the_ttl_index(store: Store) -> None:
    store.ensure_indexes()
    info = store.unmatched_events.index_information()
    assert info[index_name([("receivedAt", 1)])]["expireAfterSeconds"] == 14 * 24 * 3600


def test_after_a_thousand_orphans_a_newer_event_is_still_matched(store: Store) -> None:
    old = utcnow() - timedelta(days=3)
    store.unmatched_events.insert_many(
        [
            {
                "eventId": f"orphan-{i}",
                "state": "unmatched",
                "messageId": f"0100019orphan-{i:04d}-000000",
                "type": "delivery",
                "timestamp": old,
                "receivedAt": old + timedelta(seconds=i),
                "body": json.dumps(b.delivery(f"0100019orphan-{i:04d}-000000", [ANA], [ANA], t(2))),
            }
            for i in range(1000)
        ]
    )
    mid = b.ses_message_id()
    assert process_body(store, json.dumps(b.delivery(mid, [ANA], [ANA], t(2)))).outcome == (
        Outcome.UNMATCHED
    )
    store.emaillogs.insert_one(b.make_log(mid, [ANA]))
    report = rematch_unmatched(store)
    assert (report.applied, report.message_ids) == (1, [mid])
    assert store.emaillogs.find_one({"messageId": mid})["status"] == "delivered"


def test_a_type_that_is_not_text_and_a_nul_in_a_key_are_handled() -> None:
    """Found by the property test: `"eventType": []` raised TypeError ("internal
    error"), and a key holding NUL made a parsed event that BSON refuses to store."""
    from core.events.parse import Parsed, SetAside, parse_body

    mid = b.ses_message_id()
    for wrong in ([], {"a": 1}, 7):
        for field in ("eventType", "notificationType"):
            event = b.send(mid, ["ana@client.example"])
            event.pop("eventType", None)
            event[field] = wrong
            result = parse_body(json.dumps(event))
            assert isinstance(result, SetAside), (field, wrong)
            assert "internal error" not in result.reason and "unknown" in result.reason
    event = b.send(mid, ["ana@client.example"])
    event["mail"]["sourceIp"] = {"\x00": None, "a\x00b": 1}
    parsed = parse_body(json.dumps(event))
    assert isinstance(parsed, Parsed)
    bson.encode({"raw": parsed.raw})  # storable: the NUL became U+FFFD
    assert parsed.raw["mail"]["sourceIp"] == {"\ufffd": None, "a\ufffdb": 1}


def test_an_integer_too_big_for_bson_is_kept_as_text() -> None:
    """Found by the property test: 2**63 in a body made an event BSON refuses."""
    from core.events.parse import Parsed, parse_body

    event = b.send(b.ses_message_id(), ["ana@client.example"])
    event["mail"]["sourceIp"] = 2**63
    event["mail"]["small"] = -(2**63)
    parsed = parse_body(json.dumps(event))
    assert isinstance(parsed, Parsed)
    bson.encode({"raw": parsed.raw})
    assert parsed.raw["mail"]["sourceIp"] == str(2**63)
    assert parsed.raw["mail"]["small"] == -(2**63)  # fits: left a number
