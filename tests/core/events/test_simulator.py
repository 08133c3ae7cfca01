"""The sandbox mailbox simulator: a message to the simulator addresses produces the
documented SES events on the events queue (through SNS, in an envelope)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from core.events.consumer import EventConsumer
from core.events.parse import Parsed, parse_body
from core.events.simulator import MailboxSimulator, register, scenario_of
from core.models import EmailLog
from core.runtime import Runtime
from tests.core.events import bodies as b

SIM = "simulator.amazonses.com"


def test_scenarios() -> None:
    assert scenario_of(f"bounce@{SIM}") == "bounce"
    assert scenario_of(f"Success+invoice-42@{SIM.upper()}") == "success"
    assert scenario_of(f"nobody@{SIM}") is None
    assert scenario_of("bounce@client.example") is None


def _log(to: list[str]) -> EmailLog:
    return EmailLog.model_validate(b.make_log(b.ses_message_id(), to))


def test_event_bodies_are_documented_shapes() -> None:
    sim = MailboxSimulator(sns=None, topic_arn="arn", configuration_set="depllc-crm-emails")
    log = _log([f"bounce@{SIM}", f"complaint@{SIM}", f"success@{SIM}", "ana@client.example"])
    events = sim.events_for(log)
    kinds = [e["eventType"] for e in events]
    assert kinds == ["Send", "Bounce", "Delivery", "Complaint", "Delivery"]
    for event in events:
        parsed = parse_body(json.dumps(event))
        assert isinstance(parsed, Parsed), parsed
        assert parsed.event.message_id == log.messageId
    bounce = events[1]["bounce"]
    assert bounce["bounceType"] == "Permanent"
    assert bounce["bouncedRecipients"][0] == {
        "emailAddress": f"bounce@{SIM}",
        "action": "failed",
        "status": "5.1.1",
        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
    }
    assert bounce["reportingMTA"].startswith("dsn; ")
    assert events[3]["complaint"]["complaintFeedbackType"] == "abuse"
    assert events[0]["mail"]["tags"]["ses:configuration-set"] == ["depllc-crm-emails"]
    assert sim.events_for(_log(["ana@client.example"])) == []


def test_sent_hook_publishes_to_the_queue_and_logs_follow(
    runtime: Runtime, make_consumer: Callable[..., EventConsumer]
) -> None:
    register(runtime)
    store = runtime.store
    logs = {
        name: _log([f"{name}@{SIM}"])
        for name in ("success", "bounce", "complaint", "ooto", "suppressionlist")
    }
    for log in logs.values():
        store.emaillogs.insert_one(log.to_mongo())
        runtime.notify_sent(log)
    consumer = make_consumer()
    consumer.run(threading.Event(), until_empty=True)
    assert consumer.stats.set_aside == 0 and consumer.stats.unmatched == 0
    status = {
        name: store.emaillogs.find_one({"messageId": log.messageId})["status"]
        for name, log in logs.items()
    }
    assert status == {
        "success": "delivered",
        "bounce": "bounced",
        "complaint": "complaint",
        "ooto": "delivered",
        "suppressionlist": "bounced",
    }
    success = store.emaillogs.find_one({"messageId": logs["success"].messageId})
    assert [e["type"] for e in success["events"]] == ["send", "delivery"]
    suppressed = {d["email"]: d["reason"] for d in store.suppressions.find()}
    assert suppressed == {
        f"bounce@{SIM}": "bounce",
        f"complaint@{SIM}": "complaint",
        f"suppressionlist@{SIM}": "bounce",
    }


def test_send_flow_to_the_simulator_ends_in_the_right_statuses(
    runtime: Runtime, make_consumer: Callable[..., EventConsumer]
) -> None:
    """The real send (core.mail) calls the sent hook; the events come back on the queue."""
    from core.mail.send import send
    from core.validation import SendEmailRequest
    from core.vocabulary import EmailCategory

    register(runtime)
    results = {}
    for name in ("success", "bounce", "complaint"):
        request = SendEmailRequest(
            to=[f"{name}@{SIM}"],
            subject=f"Simulator check: {name}",
            textContent="Hello from the sandbox.",
            category=EmailCategory.NOTIFICATION,
        )
        results[name] = send(runtime, request)
    consumer = make_consumer()
    consumer.run(threading.Event(), until_empty=True)
    assert consumer.stats.set_aside == 0 and consumer.stats.unmatched == 0
    status = {
        doc["to"][0].split("@")[0]: (doc["status"], [e["type"] for e in doc["events"]])
        for doc in runtime.store.emaillogs.find()
    }
    assert status == {
        "success": ("delivered", ["send", "delivery"]),  # SES's Send = the console's own
        "bounce": ("bounced", ["send", "bounce"]),
        "complaint": ("complaint", ["send", "delivery", "complaint"]),
    }
    assert consumer.stats.duplicates == 3
