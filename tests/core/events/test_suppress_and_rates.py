"""Suppression from events and by a person (audited), and the rolling rates."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from core.db import Store
from core.errors import InputError, NotFoundError
from core.events.apply import process_body
from core.events.rates import rolling_rates
from core.events.suppress import add_by_person, remove_by_person
from core.models import utcnow
from core.ses_thresholds import Level
from core.vocabulary import EmailStatus, SuppressionReason
from tests.core.events import bodies as b

ANA = "ana@client.example"


def test_permanent_bounce_suppresses_transient_and_undetermined_do_not(store: Store) -> None:
    mid = b.ses_message_id()
    store.emaillogs.insert_one(b.make_log(mid, [ANA, "bo@x.example", "cy@x.example"]))
    to = [ANA, "bo@x.example", "cy@x.example"]
    t1 = b.T0 + timedelta(seconds=5)
    process_body(store, json.dumps(b.bounce(mid, to, ["bo@x.example"], t1, kind="Transient")))
    process_body(store, json.dumps(b.bounce(mid, to, ["cy@x.example"], t1, kind="Undetermined")))
    assert store.suppressions.count_documents({}) == 0
    result = process_body(store, json.dumps(b.bounce(mid, to, ["Ana@Client.example"], t1)))
    assert result.suppressed == (ANA,)
    doc = store.suppressions.find_one({"email": ANA})
    assert doc is not None
    assert (doc["reason"], doc["messageId"], doc["by"]) == ("bounce", mid, "ses-events")
    assert doc["diagnostic"] == "smtp; 550 5.1.1 user unknown"
    assert doc["at"] is not None


def test_complaint_upgrades_a_bounce_suppression_and_replay_is_idempotent(store: Store) -> None:
    mid = b.ses_message_id()
    t1 = b.T0 + timedelta(seconds=5)
    body = b.envelope(b.complaint(mid, [ANA], [ANA], t1), "c-1")
    process_body(store, json.dumps(b.bounce(mid, [ANA], [ANA], t1)))
    first = process_body(store, body)
    again = process_body(store, body)
    assert first.suppressed == ()  # already suppressed (by the bounce): upgraded, not new
    assert again.suppressed == ()
    docs = list(store.suppressions.find())
    assert len(docs) == 1 and docs[0]["reason"] == "complaint"
    assert docs[0]["diagnostic"] == "abuse"


def test_suppression_happens_even_for_an_unknown_message(store: Store) -> None:
    t1 = b.T0 + timedelta(seconds=5)
    result = process_body(store, json.dumps(b.complaint(b.ses_message_id(), [ANA], [ANA], t1)))
    assert result.outcome == "unmatched"
    assert store.suppressions.count_documents({"email": ANA}) == 1


def test_person_adds_and_removes_with_audit(store: Store) -> None:
    assert add_by_person(store, " Ana@Client.example ", "maria", note="asked by phone")
    assert not add_by_person(store, ANA, "maria")
    add_by_person(store, ANA, "maria", reason=SuppressionReason.COMPLAINT, note="forwarded")
    assert store.suppressions.find_one({"email": ANA})["reason"] == "complaint"
    with pytest.raises(InputError, match="needs a reason"):
        remove_by_person(store, ANA, "maria")  # a complaint: why is it lifted?
    assert store.suppressions.count_documents({"email": ANA}) == 1
    removed = remove_by_person(store, ANA, "maria", note="client asked by phone")
    assert removed.email == ANA
    lifted = store.auditlog.find_one({"action": "unsuppress"})
    assert lifted["details"] == {"reason": "complaint", "note": "client asked by phone"}
    actions = [(a["action"], a["operator"], a["target"]) for a in store.auditlog.find()]
    assert actions.count(("suppress", "maria", ANA)) == 3
    assert ("unsuppress", "maria", ANA) in actions
    with pytest.raises(NotFoundError):
        remove_by_person(store, ANA, "maria")
    with pytest.raises(InputError):
        add_by_person(store, "not-an-address", "maria")


def _logs(store: Store, n: int, status: EmailStatus, to: str = "x@client.example", age=1) -> None:
    for _ in range(n):
        store.emaillogs.insert_one(
            b.make_log(
                b.ses_message_id(), [to], status=status, created=utcnow() - timedelta(days=age)
            )
        )


def test_rates_and_levels(store: Store) -> None:
    assert rolling_rates(store).sent == 0
    assert rolling_rates(store).level == Level.OK
    _logs(store, 960, EmailStatus.DELIVERED)
    _logs(store, 30, EmailStatus.BOUNCED)
    _logs(store, 10, EmailStatus.SENT)
    _logs(store, 5, EmailStatus.FAILED)  # SES never accepted these: not counted
    _logs(store, 5, EmailStatus.QUEUED)
    rates = rolling_rates(store, days=7)
    assert (rates.sent, rates.bounced, rates.complaints) == (1000, 30, 0)
    assert rates.bounce_rate == pytest.approx(0.03)
    assert rates.bounce_level == Level.WARN
    assert rates.warning() == "SES: bounces 3.0% near 5% (7 d)"
    _logs(store, 2, EmailStatus.COMPLAINT)
    rates = rolling_rates(store)
    assert rates.complaint_level == Level.CRITICAL
    assert rates.level == Level.CRITICAL
    assert rates.warning() == "SES: bounces 3.0% near 5% · complaints 0.20% over 0.1% (7 d)"
    assert rates.describe() == "bounces 3.0% · complaints 0.20% (7 d, 1002 sent)"


def test_rates_window_and_simulator_addresses(store: Store) -> None:
    _logs(store, 10, EmailStatus.DELIVERED)
    _logs(store, 5, EmailStatus.BOUNCED, age=20)  # outside 7 days, inside 30
    _logs(store, 5, EmailStatus.BOUNCED, to="bounce@simulator.amazonses.com")
    assert rolling_rates(store, days=7).bounced == 0
    thirty = rolling_rates(store, days=30)
    assert (thirty.sent, thirty.bounced) == (15, 5)
    assert thirty.bounce_level == Level.CRITICAL
    with pytest.raises(ValueError):
        rolling_rates(store, days=0)
