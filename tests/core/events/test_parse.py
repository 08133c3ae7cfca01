"""Parsing: both shapes, every type, the SNS envelope (string or decoded Message), raw
delivery, and every kind of bad body set aside with a reason (never an exception)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from core.events.parse import MAX_BODY_BYTES, Parsed, SetAside, canonical_id, parse_body
from core.models import utcnow
from core.vocabulary import EmailEventType
from tests.core.events import bodies as b

MID = "0100019abc-1111-2222-3333-444455556666-000000"
TO = ["ana@client.example"]
T1 = b.T0 + timedelta(seconds=3)

ALL_EVENTS = [
    (b.send(MID, TO), EmailEventType.SEND),
    (b.delivery(MID, TO, TO, T1), EmailEventType.DELIVERY),
    (b.bounce(MID, TO, TO, T1), EmailEventType.BOUNCE),
    (b.complaint(MID, TO, TO, T1), EmailEventType.COMPLAINT),
    (b.reject(MID, TO), EmailEventType.REJECT),
    (b.opened(MID, TO, T1), EmailEventType.OPEN),
    (b.click(MID, TO, T1), EmailEventType.CLICK),
    (b.rendering_failure(MID, TO), EmailEventType.RENDERING_FAILURE),
    (b.delay(MID, TO, TO, T1), EmailEventType.DELIVERY_DELAY),
    (b.subscription(MID, TO, T1), EmailEventType.SUBSCRIPTION),
    (b.bounce(MID, TO, TO, T1, shape="notificationType"), EmailEventType.BOUNCE),
    (b.complaint(MID, TO, TO, T1, shape="notificationType"), EmailEventType.COMPLAINT),
    (b.delivery(MID, TO, TO, T1, shape="notificationType"), EmailEventType.DELIVERY),
]


@pytest.mark.parametrize(("event", "kind"), ALL_EVENTS, ids=lambda v: getattr(v, "value", ""))
def test_every_type_in_an_sns_envelope(event: dict, kind: EmailEventType) -> None:
    parsed = parse_body(b.envelope(event, message_id="sns-1"))
    assert isinstance(parsed, Parsed), parsed
    assert parsed.event.type == kind
    assert parsed.event.message_id == MID
    # the id comes from the SES event itself; the envelope's is only an alias
    assert parsed.event_id == canonical_id(event)
    assert parsed.ids == [canonical_id(event), "sns-1"]
    assert parsed.event.timestamp is not None


@pytest.mark.parametrize(("event", "kind"), ALL_EVENTS, ids=lambda v: getattr(v, "value", ""))
def test_every_type_raw_and_as_bytes(event: dict, kind: EmailEventType) -> None:
    for body in (json.dumps(event), json.dumps(event, indent=2).encode()):
        parsed = parse_body(body)
        assert isinstance(parsed, Parsed), parsed
        assert parsed.event.type == kind
        # no envelope: the id is the hash of the canonical JSON (indentation-blind)
        assert parsed.event_id == canonical_id(event)


def test_moto_style_envelope_with_decoded_message() -> None:
    envelope = json.loads(b.envelope(b.send(MID, TO), message_id="sns-2"))
    envelope["Message"] = json.loads(envelope["Message"])
    for body in (json.dumps(envelope), envelope):
        parsed = parse_body(body)
        assert isinstance(parsed, Parsed)
        assert (parsed.event_id, parsed.envelope_id) == (canonical_id(b.send(MID, TO)), "sns-2")


def test_unknown_fields_are_ignored() -> None:
    event = b.bounce(MID, TO, TO, T1)
    event["somethingNew"] = {"added": "by SES in 2027"}
    event["bounce"]["newField"] = 1
    event["mail"]["another"] = [1, 2]
    assert isinstance(parse_body(json.dumps(event)), Parsed)


def test_timestamp_comes_from_the_details_then_the_mail() -> None:
    parsed = parse_body(json.dumps(b.delivery(MID, TO, TO, T1)))
    assert isinstance(parsed, Parsed)
    assert parsed.event.timestamp == T1.replace(microsecond=0)
    parsed = parse_body(json.dumps(b.reject(MID, TO)))
    assert isinstance(parsed, Parsed)
    assert parsed.event.timestamp == b.T0


def _missing_mail() -> str:
    event = b.delivery(MID, TO, TO, T1)
    del event["mail"]
    return json.dumps(event)


def _missing_message_id() -> str:
    event = b.delivery(MID, TO, TO, T1)
    del event["mail"]["messageId"]
    return json.dumps(event)


def _blank_message_id() -> str:
    event = b.delivery(MID, TO, TO, T1)
    event["mail"]["messageId"] = "  "
    return json.dumps(event)


def _bounce_without_object() -> str:
    event = b.bounce(MID, TO, TO, T1)
    del event["bounce"]
    return json.dumps(event)


def _bad_bounce_type() -> str:
    event = b.bounce(MID, TO, TO, T1)
    event["bounce"]["bounceType"] = "Sometimes"
    return json.dumps(event)


def _envelope_with_text_message() -> str:
    env = json.loads(b.envelope(b.send(MID, TO)))
    env["Message"] = "Amazon SES: your message was delivered"
    return json.dumps(env)


def _envelope_with_list_message() -> str:
    env = json.loads(b.envelope(b.send(MID, TO)))
    env["Message"] = "[1, 2]"
    return json.dumps(env)


def _subscription_confirmation() -> str:
    env = json.loads(b.envelope(b.send(MID, TO)))
    env["Type"] = "SubscriptionConfirmation"
    env["Message"] = "You have chosen to subscribe to the topic ..."
    return json.dumps(env)


BAD = [
    ("not json", "{not json", "not JSON"),
    ("empty", "   ", "empty"),
    ("json list", "[1, 2, 3]", "not an object"),
    ("json string", '"hello"', "not an object"),
    ("no type", json.dumps({"mail": {"messageId": MID}}), "neither eventType"),
    ("unknown eventType", json.dumps({**b.send(MID, TO), "eventType": "Teleport"}), "Teleport"),
    (
        "eventType only notifications have",
        json.dumps({**b.send(MID, TO), "eventType": None, "notificationType": "Send"}),
        "unknown notificationType",
    ),
    (
        "ses test notification",
        json.dumps({"notificationType": "AmazonSnsSubscriptionSucceeded", "message": "ok"}),
        "test notification",
    ),
    ("missing mail", _missing_mail(), "without a mail object"),
    ("missing messageId", _missing_message_id(), "without mail.messageId"),
    ("blank messageId", _blank_message_id(), "without mail.messageId"),
    ("bounce without bounce", _bounce_without_object(), "without its bounce object"),
    ("wrong field value", _bad_bounce_type(), "malformed: bounce.bounceType"),
    ("sns message not json", _envelope_with_text_message(), "SNS Message is not JSON"),
    ("sns message a list", _envelope_with_list_message(), "JSON list"),
    ("sns confirmation", _subscription_confirmation(), "SubscriptionConfirmation"),
]


@pytest.mark.parametrize(("label", "body", "why"), BAD, ids=[case[0] for case in BAD])
def test_bad_bodies_are_set_aside_with_a_reason(label: str, body: str, why: str) -> None:
    result = parse_body(body)
    assert isinstance(result, SetAside), label
    assert why in result.reason
    assert result.event_id
    assert result.excerpt == body[: len(result.excerpt)]


def test_envelope_id_is_kept_for_set_aside() -> None:
    env = json.loads(_envelope_with_text_message())
    result = parse_body(json.dumps(env))
    assert isinstance(result, SetAside)
    assert result.event_id == env["MessageId"]


def test_multi_megabyte_body_is_set_aside_without_parsing() -> None:
    event = b.send(MID, TO)
    event["mail"]["headers"] = [{"name": "X-Pad", "value": "x" * 4_000_000}]
    body = json.dumps(event)
    result = parse_body(body)
    assert isinstance(result, SetAside)
    assert "over the 1.0 MiB limit" in result.reason
    assert result.size > MAX_BODY_BYTES
    assert len(result.excerpt) < 20_000  # only an excerpt is kept


def test_same_bad_body_gets_the_same_id() -> None:
    one = parse_body("{not json")
    two = parse_body(b"{not json")
    assert isinstance(one, SetAside) and isinstance(two, SetAside)
    assert one.event_id == two.event_id


# --- hostile bodies (issue 12): set aside with a reason, never an exception ----------


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("depth", [33, 50_000])
def test_deeply_nested_json_is_set_aside(depth: int) -> None:
    for body in (_nested(depth), "[" * depth + "]" * depth, _nested(depth).encode()):
        result = parse_body(body)
        assert isinstance(result, SetAside)
        assert result.reason == "JSON is nested more than 32 levels deep: not an SES event"
    env = json.loads(b.envelope(b.send(MID, TO), "sns-deep"))
    env["Message"] = _nested(depth)
    result = parse_body(json.dumps(env))
    assert isinstance(result, SetAside)
    assert result.reason.startswith("SNS Message: JSON is nested more than 32 levels deep")
    assert result.event_id == "sns-deep"


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    event = b.bounce(MID, TO, TO, T1, diagnostic='smtp; 550 "[[[[{{{{' * 40 + "\\")
    assert isinstance(parse_body(json.dumps(event)), Parsed)


def _utf8_everywhere(value: object) -> None:
    """Every string in `value` encodes as UTF-8 (what BSON needs)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    text.encode("utf-8")  # raises UnicodeEncodeError on a lone surrogate


def test_lone_surrogates_are_made_valid_utf8() -> None:
    bad_mid = "0100019abc-\udc80-000000"
    event = b.bounce(bad_mid, ["x\udc80@client.example"], ["x\udc80@client.example"], T1)
    for body in (
        json.dumps(event),  # escaped: \udc80 in the JSON text
        json.dumps(event, ensure_ascii=False),  # the character itself, in a str body
        b.envelope(event, "sns-s1"),
    ):
        parsed = parse_body(body)
        assert isinstance(parsed, Parsed), parsed
        assert parsed.event.message_id == "0100019abc-\ufffd-000000"
        assert parsed.event.bounce is not None
        assert parsed.event.bounce.bouncedRecipients[0].emailAddress == "x\ufffd@client.example"
        _utf8_everywhere(parsed.raw)
        assert parsed.event_id == canonical_id(parsed.raw)
    aside = parse_body(json.dumps({**event, "eventType": "Tele\udc80port"}, ensure_ascii=False))
    assert isinstance(aside, SetAside)
    assert aside.message_id == "0100019abc-\ufffd-000000"
    assert "Tele\ufffdport" in aside.reason
    _utf8_everywhere([aside.reason, aside.excerpt, aside.event_id])


@pytest.mark.parametrize(
    ("stamp", "why"),
    [
        ("0001-01-01T00:00:00", "0001-01-01 is before SES existed"),
        ("0001-01-01T00:00:00+05:00", "is out of range"),
        ("9999-12-31T23:59:59-05:00", "is out of range"),
        ("2999-01-01T00:00:00Z", "2999-01-01 is in the future"),
        ("yesterday", "delivery.timestamp"),
    ],
)
def test_odd_timestamps_are_set_aside_with_a_reason(stamp: str, why: str) -> None:
    event = b.delivery(MID, TO, TO, T1)
    event["delivery"]["timestamp"] = stamp
    result = parse_body(json.dumps(event))
    assert isinstance(result, SetAside)
    assert result.reason.startswith("Delivery event is malformed: delivery.timestamp")
    assert why in result.reason


def test_a_timestamp_without_a_zone_is_utc() -> None:
    event = b.delivery(MID, TO, TO, T1)
    event["delivery"]["timestamp"] = "2026-11-20T09:30:03"
    event["mail"]["timestamp"] = "2026-11-20T09:30:00.000"
    parsed = parse_body(json.dumps(event))
    assert isinstance(parsed, Parsed)
    assert parsed.event.timestamp == T1.replace(microsecond=0)
    assert parsed.event.mail.timestamp == b.T0


def test_a_delay_expires_in_the_future() -> None:
    at = utcnow() - timedelta(hours=1)
    parsed = parse_body(json.dumps(b.delay(MID, TO, TO, at)))
    assert isinstance(parsed, Parsed)
    assert parsed.event.deliveryDelay is not None
    expires = parsed.event.deliveryDelay.expirationTime
    assert expires is not None and expires > utcnow()


def test_the_same_event_raw_and_in_an_envelope_has_one_id() -> None:
    event = b.complaint(MID, TO, TO, T1)
    ids = set()
    for body in (
        json.dumps(event),
        json.dumps(event, indent=2).encode(),
        b.envelope(event, "sns-a"),
        b.envelope(event, "sns-b"),  # SNS delivered it twice
    ):
        parsed = parse_body(body)
        assert isinstance(parsed, Parsed)
        ids.add(parsed.event_id)
    assert ids == {canonical_id(event)}


def test_a_bug_while_parsing_sets_the_body_aside_instead_of_raising(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.events import parse

    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("a bug")

    monkeypatch.setattr(parse.SesEvent, "model_validate", broken)
    result = parse_body(json.dumps(b.send(MID, TO)))
    assert isinstance(result, SetAside)
    assert result.reason == "body could not be read (internal error: TypeError)"


def test_valid_surrogate_pairs_and_other_text_are_kept_as_they_are() -> None:
    event = b.bounce(MID, TO, TO, T1, diagnostic="smtp; 550 boîte pleine \U0001f4ec")
    for body in (json.dumps(event), json.dumps(event, ensure_ascii=False)):
        parsed = parse_body(body)
        assert isinstance(parsed, Parsed)
        assert parsed.event.bounce is not None
        diagnostic = parsed.event.bounce.bouncedRecipients[0].diagnosticCode
        assert diagnostic == "smtp; 550 boîte pleine \U0001f4ec"
