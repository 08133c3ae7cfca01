"""Property-based tests (hypothesis) for the event parser and for applying events.

Parser: whatever a body holds (any JSON value, any text including lone surrogates and
control characters, any nesting, an SES event with any field replaced), `parse_body`
returns an event or a set-aside reason, never raises, and everything it hands on is
valid UTF-8 (storable as BSON). Apply: an event delivered again, raw or in an SNS
envelope, in one batch or several, changes the log and the suppressions once."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import bson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.db import MOCK_SCHEME, Store, connect
from core.events.apply import Outcome, process_bodies, process_body
from core.events.parse import Parsed, SetAside, canonical_id, parse_body
from tests.core.events import bodies as b

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MID = "0100019abc-1111-2222-3333-444455556666-000000"
ANA, BEN, CAL = "ana@client.example", "ben@client.example", "cal@client.example"
STRANGER = "eve@elsewhere.example"
T1 = b.T0 + timedelta(seconds=3)

# characters that have broken parsers and stores: surrogates, NUL, ESC, bidi, JSON's own
ODD = ["\udc80", "\ud800", "\x00", "\x1b", "\x85", "\u2028", "\u202e", '"', "\\", "[", "{", "}"]
TEXT = st.text(st.characters(exclude_categories=()) | st.sampled_from(ODD), max_size=30)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT
)
JSONISH = st.recursive(
    SCALARS,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(TEXT, kids, max_size=4),
    max_leaves=16,
)
ZONES = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
STAMPS = (
    st.datetimes(timezones=st.none() | ZONES).map(datetime.isoformat)
    | st.sampled_from(["0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00", "", "Z", "now"])
    | st.integers(min_value=-(10**20), max_value=10**20)
)

EVENTS: list[dict[str, Any]] = [
    b.send(MID, [ANA]),
    b.delivery(MID, [ANA], [ANA], T1),
    b.bounce(MID, [ANA], [ANA], T1),
    b.complaint(MID, [ANA], [ANA], T1),
    b.reject(MID, [ANA]),
    b.opened(MID, [ANA], T1),
    b.click(MID, [ANA], T1),
    b.rendering_failure(MID, [ANA]),
    b.delay(MID, [ANA], [ANA], T1),
    b.subscription(MID, [ANA], T1),
    b.bounce(MID, [ANA], [ANA], T1, shape="notificationType"),
    b.complaint(MID, [ANA], [ANA], T1, shape="notificationType"),
]


def _nested(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = {"a": [leaf]}
    return leaf


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _set(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return value


@st.composite
def mutated_events(draw: st.DrawFn) -> Any:
    """A real SES event with up to three of its parts (or itself) replaced."""
    event: Any = copy.deepcopy(draw(st.sampled_from(EVENTS)))
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(_paths(event)))
        new = draw(
            JSONISH
            | STAMPS
            | st.builds(_nested, st.integers(0, 200), JSONISH)
            | st.sampled_from(ODD)
        )
        event = _set(event, path, new)
    return event


@st.composite
def any_body(draw: st.DrawFn) -> str | bytes | dict[str, Any]:
    value = draw(mutated_events() | JSONISH)
    form = draw(st.sampled_from(["raw", "ascii", "bytes", "envelope", "decoded", "mapping"]))
    if form == "raw":
        return json.dumps(value, ensure_ascii=False)
    if form == "ascii":
        return json.dumps(value)
    if form == "bytes":
        return json.dumps(value, indent=1).encode("utf-8", errors="surrogatepass")
    envelope: dict[str, Any] = json.loads(b.envelope({}, draw(TEXT)))
    envelope["Message"] = value if form == "decoded" else json.dumps(value)
    if form == "mapping":
        return envelope
    return json.dumps(envelope, ensure_ascii=draw(st.booleans()))


def _deep_text(depth: int, opener: str) -> str:
    closer = {"[": "]", "{": "}"}[opener]
    inner = '"a":' if opener == "{" else ""
    return (opener + inner) * depth + "1" + closer * depth


RAW_TEXT = (
    TEXT
    | st.binary(max_size=200)
    | st.builds(_deep_text, st.integers(0, 60_000), st.sampled_from(["[", "{"]))
    | st.builds(lambda n: "[" * n, st.integers(0, 60_000))
)


def _storable(value: Any) -> None:
    """Raises when `value` holds text BSON refuses (a lone surrogate)."""
    bson.encode({"v": json.loads(json.dumps(value, default=str))})


def _check(result: Parsed | SetAside) -> None:
    if isinstance(result, SetAside):
        assert result.reason and "internal error" not in result.reason
        _storable([result.event_id, result.reason, result.excerpt, result.message_id])
        return
    assert isinstance(result, Parsed)
    assert result.event_id == canonical_id(result.raw)
    assert result.event.message_id.strip()
    stamp = result.event.timestamp
    assert stamp is None or stamp.utcoffset() == timedelta(0)
    _storable(result.raw)
    _storable(result.event.model_dump(mode="json"))


@PROPERTY
@given(any_body())
def test_any_json_body_is_parsed_or_set_aside(body: str | bytes | dict[str, Any]) -> None:
    _check(parse_body(body))


@PROPERTY
@given(RAW_TEXT)
def test_any_text_or_nesting_is_parsed_or_set_aside(body: str | bytes) -> None:
    _check(parse_body(body))


# --- apply: once, whatever the envelope and however often ---------------------------

Maker = Callable[[str, list[str], list[str], datetime], dict[str, Any]]
MAKERS: list[Maker] = [
    lambda mid, to, named, at: b.send(mid, to, at),
    lambda mid, to, named, at: b.delivery(mid, to, named, at),
    lambda mid, to, named, at: b.bounce(mid, to, named, at),
    lambda mid, to, named, at: b.bounce(mid, to, named, at, kind="Transient"),
    lambda mid, to, named, at: b.complaint(mid, to, named, at),
    lambda mid, to, named, at: b.reject(mid, to, at),
    lambda mid, to, named, at: b.opened(mid, to, at),
    lambda mid, to, named, at: b.click(mid, to, at),
    lambda mid, to, named, at: b.delay(mid, to, named, at),
]


def _forms(event: dict[str, Any], sns_id: str) -> dict[str, Any]:
    envelope = json.loads(b.envelope(event, sns_id))
    envelope["Message"] = event
    return {
        "raw": json.dumps(event),
        "indented": json.dumps(event, indent=3).encode(),
        "envelope": b.envelope(event, sns_id),
        "other envelope": b.envelope(event, sns_id + "-again"),
        "decoded envelope": json.dumps(envelope),
    }


def _state(store: Store) -> dict[str, Any]:
    return {
        "logs": list(store.emaillogs.find({}, {"_id": 0, "updatedAt": 0})),
        "suppressions": sorted(
            (d["email"], d["reason"]) for d in store.suppressions.find({}, {"_id": 0})
        ),
        "kept": sorted(d["eventId"] for d in store.unmatched_events.find()),
    }


@PROPERTY
@given(st.data())
def test_an_event_applies_once_whatever_its_envelope(data: st.DataObject) -> None:
    store = connect(MOCK_SCHEME, "properties")  # a fresh in-process store per example
    to = data.draw(st.lists(st.sampled_from([ANA, BEN, CAL]), min_size=1, unique=True))
    named = data.draw(st.lists(st.sampled_from([*to, STRANGER]), min_size=1, unique=True))
    logged = data.draw(st.booleans())
    if logged:
        store.emaillogs.insert_one(b.make_log(MID, to))
    at = b.T0 + timedelta(seconds=data.draw(st.integers(0, 86_400)))
    event = data.draw(st.sampled_from(MAKERS))(MID, to, named, at)
    forms = _forms(event, data.draw(st.uuids()).hex)
    order = data.draw(
        st.lists(st.sampled_from(sorted(forms)), min_size=2, max_size=5).filter(
            lambda picked: len(set(picked)) > 1
        )
    )
    first = process_body(store, forms[order[0]])
    assert first.outcome == (Outcome.APPLIED if logged else Outcome.UNMATCHED)
    once = _state(store)
    if data.draw(st.booleans()):
        again = [process_body(store, forms[name]) for name in order[1:]]
    else:
        batch = process_bodies(store, [forms[name] for name in order[1:]])
        assert not any(isinstance(r, Exception) for r in batch)
        again = [r for r in batch if not isinstance(r, Exception)]
    expected = Outcome.DUPLICATE if logged else Outcome.UNMATCHED
    assert {r.outcome for r in again} == {expected}
    assert _state(store) == once
    if logged:
        log = store.emaillogs.find_one({"messageId": MID})
        assert log is not None and len(log["events"]) == 1
    assert STRANGER not in {email for email, _ in once["suppressions"]}
    assert all(r.suppressed == () for r in again)
