"""Every filter, their combinations, escaping, keyset pagination and counts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from bson import ObjectId

from core.db import Store
from core.errors import InputError
from core.logs.query import (
    Cursor,
    FilterSet,
    build_filter,
    count,
    fetch_by_message_ids,
    fetch_page,
    iter_rows,
)
from core.validation import EmailQuery
from tests.core.logs.conftest import T0, MakeLog, ids


def q(**fields: Any) -> EmailQuery:
    return EmailQuery(**fields)


def all_ids(store: Store, query: EmailQuery) -> list[ObjectId]:
    return ids(list(iter_rows(store, query)))


@pytest.fixture
def mixed(add_log: MakeLog) -> dict[str, dict[str, Any]]:
    """A handful of logs that differ in one field each."""
    return {
        "bounced": add_log(status="bounced", to=["bob@acme.test"], subject="Contract draft"),
        "auth": add_log(category="auth", subject="Reset your password", priority="high"),
        "marketing": add_log(category="marketing", status="sent", userId="u-1"),
        "client": add_log(clientId="c-9", cc=["Watcher@acme.test"], priority="urgent"),
        "attached": add_log(attachments=[{"filename": "invoice.pdf", "size": 10}], userId="u-1"),
        "bcc": add_log(bcc=["hidden@acme.test"], status="complaint"),
        "old": add_log(createdAt=T0 - timedelta(days=40), status="failed"),
    }


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"status": "bounced"}, ["bounced"]),
        ({"status": "failed"}, ["old"]),
        ({"category": "auth"}, ["auth"]),
        ({"category": "marketing"}, ["marketing"]),
        ({"priority": "urgent"}, ["client"]),
        ({"priority": "high"}, ["auth"]),
        ({"userId": "u-1"}, ["marketing", "attached"]),
        ({"clientId": "c-9"}, ["client"]),
        ({"recipient": "bob@acme.test"}, ["bounced"]),
        ({"recipient": "Watcher@ACME.test"}, ["client"]),  # in cc; domain case ignored
        ({"recipient": "BOB@ACME.TEST"}, ["bounced"]),  # stored lower-case
        ({"recipient": "hidden@acme.test"}, ["bcc"]),
        ({"hasAttachments": True}, ["attached"]),
        ({"search": "contract"}, ["bounced"]),
        ({"search": "ACME.TEST"}, ["bounced", "client", "bcc"]),
        ({"search": "password"}, ["auth"]),
        ({"userId": "u-1", "status": "sent"}, ["marketing"]),
        ({"userId": "u-1", "hasAttachments": True}, ["attached"]),
        ({"search": "acme", "status": "complaint"}, ["bcc"]),
        ({"category": "notification", "priority": "urgent", "clientId": "c-9"}, ["client"]),
        ({"status": "bounced", "category": "auth"}, []),
    ],
)
def test_each_filter_and_combinations(
    store: Store, mixed: dict[str, dict[str, Any]], fields: dict[str, Any], expected: list[str]
) -> None:
    found = all_ids(store, q(**fields))
    assert found == [mixed[name]["_id"] for name in expected]


def test_message_id_filter(store: Store, mixed: dict[str, dict[str, Any]]) -> None:
    target = mixed["bcc"]
    assert all_ids(store, q(messageId=target["messageId"])) == [target["_id"]]
    assert all_ids(store, q(search=target["messageId"][-13:])) == [target["_id"]]


def test_has_no_attachments(store: Store, mixed: dict[str, dict[str, Any]]) -> None:
    found = set(all_ids(store, q(hasAttachments=False)))
    assert mixed["attached"]["_id"] not in found
    assert len(found) == len(mixed) - 1


def test_date_range_is_half_open(store: Store, add_log: MakeLog) -> None:
    inside = add_log(createdAt=T0 - timedelta(hours=1))
    at_end = add_log(createdAt=T0)
    at_start = add_log(createdAt=T0 - timedelta(hours=2))
    add_log(createdAt=T0 - timedelta(hours=3))
    found = all_ids(store, q(startDate=T0 - timedelta(hours=2), endDate=T0))
    assert found == [inside["_id"], at_start["_id"]]
    assert at_end["_id"] not in found


def test_filter_set_parses_dates_and_choices(store: Store, add_log: MakeLog) -> None:
    recent = add_log(createdAt=T0 - timedelta(hours=1), status="bounced")
    add_log(createdAt=T0 - timedelta(days=3), status="bounced")
    query = FilterSet(status="Bounced", dates="24h").to_query(now=T0)
    assert all_ids(store, query) == [recent["_id"]]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "lost"}, "Unknown status 'lost'"),
        ({"category": "spam"}, "Unknown category"),
        ({"priority": "meh"}, "Unknown priority"),
        ({"dates": "2026-11-20..2026-11-01"}, "ends before it starts"),
        ({"dates": "soon"}, "is not a date"),
        ({"search": "x" * 201}, "search"),
        ({"sortBy": "size"}, "Cannot sort by"),
        ({"sortOrder": "up"}, "sortOrder"),
    ],
)
def test_bad_filters_are_input_errors(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        FilterSet(**fields).to_query()


@pytest.mark.parametrize(
    "text", ["(a+)+$", ".*", "[", "a|b", "\\", "^Invoice", "$where", "{$gt: ''}", "(?i)x"]
)
def test_search_text_is_literal(store: Store, add_log: MakeLog, text: str) -> None:
    hit = add_log(subject=f"Odd subject {text} here")
    add_log(subject="Invoice plain")
    add_log(subject="a")
    assert all_ids(store, q(search=text)) == [hit["_id"]]


def test_regex_injection_does_not_blow_up(store: Store, add_log: MakeLog) -> None:
    add_log(subject="a" * 150 + "!")
    evil = "(a+)+" + "b" * 150  # 155 chars; would be catastrophic unescaped
    assert all_ids(store, q(search=evil)) == []
    spec = build_filter(q(search=evil))
    pattern = spec["$or"][0]["subject"]["$regex"]
    assert pattern.startswith(r"\(a\+\)\+")


def test_very_long_search_is_refused_clearly() -> None:
    with pytest.raises(InputError, match="at most 200"):
        FilterSet(search="é" * 5000).to_query()


def test_list_rows_have_no_bodies(store: Store, mixed: dict[str, dict[str, Any]]) -> None:
    page = fetch_page(store, q(limit=100))
    assert page.rows
    for row in page.rows:
        assert "content" not in row
        assert "templateData" not in row


# --- pagination ---------------------------------------------------------------


def walk(store: Store, query: EmailQuery) -> list[ObjectId]:
    seen: list[ObjectId] = []
    page = fetch_page(store, query)
    seen += ids(page.rows)
    while page.next_cursor is not None:
        page = fetch_page(store, query, after=page.next_cursor)
        seen += ids(page.rows)
    return seen


@pytest.mark.parametrize("sort_by", ["createdAt", "subject", "status", "category"])
@pytest.mark.parametrize("order", ["desc", "asc"])
def test_paging_visits_every_row_once(
    store: Store, add_log: MakeLog, sort_by: str, order: str
) -> None:
    # ties on every sort column: same createdAt for groups of 3, few subjects
    for n in range(23):
        add_log(
            createdAt=T0 - timedelta(minutes=n // 3),
            subject=f"S{n % 4}",
            status=["sent", "delivered", "bounced"][n % 3],
            category=["auth", "system"][n % 2],
        )
    query = q(limit=5, sortBy=sort_by, sortOrder=order)
    seen = walk(store, query)
    assert len(seen) == 23
    assert len(set(seen)) == 23
    assert seen == all_ids(store, q(limit=1000, sortBy=sort_by, sortOrder=order))


def test_paging_backwards_returns_the_same_pages(store: Store, add_log: MakeLog) -> None:
    for n in range(12):
        add_log(createdAt=T0 - timedelta(minutes=n // 2))
    query = q(limit=4)
    first = fetch_page(store, query)
    second = fetch_page(store, query, after=first.next_cursor)
    third = fetch_page(store, query, after=second.next_cursor)
    assert third.next_cursor is None
    assert first.prev_cursor is None
    back = fetch_page(store, query, before=third.prev_cursor)
    assert ids(back.rows) == ids(second.rows)
    back2 = fetch_page(store, query, before=back.prev_cursor)
    assert ids(back2.rows) == ids(first.rows)
    assert back2.prev_cursor is None


def test_new_logs_during_paging_neither_skip_nor_repeat(store: Store, add_log: MakeLog) -> None:
    originals = [add_log(createdAt=T0 - timedelta(minutes=n))["_id"] for n in range(20)]
    query = q(limit=6)
    page = fetch_page(store, query)
    seen = ids(page.rows)
    while page.next_cursor is not None:
        # newer logs arrive (and one with the same timestamp as the last row seen)
        add_log(createdAt=T0 + timedelta(minutes=len(seen)))
        page = fetch_page(store, query, after=page.next_cursor)
        seen += ids(page.rows)
    assert seen == originals


def test_paging_with_a_filter(store: Store, add_log: MakeLog) -> None:
    wanted = [add_log(status="bounced")["_id"] for _ in range(7)]
    for _ in range(9):
        add_log(status="sent")
    assert walk(store, q(status="bounced", limit=3)) == wanted


def test_cursor_round_trip_and_tampering() -> None:
    cursor = Cursor("createdAt", (T0, ObjectId()))
    assert Cursor.decode(cursor.encode()) == cursor
    for bad in ["", "abc", "!!!!", Cursor("size", (1, 2)).encode()]:
        with pytest.raises(InputError, match="cursor"):
            Cursor.decode(bad)


def test_cursor_of_another_sort_is_refused(store: Store, add_log: MakeLog) -> None:
    add_log()
    add_log()
    page = fetch_page(store, q(limit=1))
    with pytest.raises(InputError, match="another sort"):
        fetch_page(store, q(limit=1, sortBy="subject"), after=page.next_cursor)


def test_empty_result(store: Store) -> None:
    page = fetch_page(store, q(status="bounced"))
    assert page.rows == []
    assert page.next_cursor is None


# --- counts -------------------------------------------------------------------


def test_count_unfiltered_is_estimated(store: Store, add_log: MakeLog) -> None:
    for _ in range(5):
        add_log()
    found = count(store, q())
    assert (found.value, found.estimated, found.capped) == (5, True, False)
    assert found.label() == "~5"


def test_count_filtered_is_capped(store: Store, add_log: MakeLog) -> None:
    for _ in range(6):
        add_log(status="bounced")
    add_log(status="sent")
    assert count(store, q(status="bounced")).value == 6
    capped = count(store, q(status="bounced"), cap=4)
    assert (capped.value, capped.capped) == (4, True)
    assert capped.label() == "4+"


def test_fetch_by_message_ids(store: Store, add_log: MakeLog) -> None:
    a, b = add_log(), add_log()
    add_log()
    rows = fetch_by_message_ids(store, [a["messageId"], b["messageId"]])
    assert sorted(ids(rows)) == sorted([a["_id"], b["_id"]])
    assert all("content" not in r for r in rows)
    assert fetch_by_message_ids(store, []) == []
