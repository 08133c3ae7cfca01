"""Manual suppression from a log's recipient, and lifting it: audited, with the line
the operator is shown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core import suppressions
from core.db import Store
from core.errors import NotFoundError
from core.models import utcnow
from core.vocabulary import SuppressionReason


def test_suppress_then_lift(store: Store) -> None:
    text = suppressions.suppress_manually(store, "Client@Example.com", by="ana", message_id="m1")
    assert text == "Client@Example.com is suppressed"
    again = suppressions.suppress_manually(store, "client@example.com", by="ana")
    assert again == "client@example.com was already suppressed"
    (entry,) = suppressions.find(store, ["client@example.com"])
    assert entry.reason == SuppressionReason.MANUAL and entry.messageId == "m1"
    assert suppressions.lift(store, "client@example.com", by="ana") == (
        "client@example.com may receive mail again (was manual)"
    )
    assert suppressions.find(store, ["client@example.com"]) == []
    actions = [a["action"] for a in store.auditlog.find({}, {"action": 1}).sort("at", 1)]
    assert actions == ["suppress", "unsuppress"]


def test_lifting_an_address_that_is_not_suppressed_says_so(store: Store) -> None:
    with pytest.raises(NotFoundError, match="is not on the suppression list"):
        suppressions.lift(store, "nobody@example.com", by="ana")


def test_the_list_filters_by_text_reason_author_and_period(store: Store) -> None:
    now = utcnow()
    for email, reason, by, days, note in (
        ("ann@x.com", "complaint", "ses-events", 1, "abuse"),
        ("bob@x.com", "bounce", "ses-events", 3, "550 5.1.1 user unknown"),
        ("cy@y.org", "manual", "ana", 10, "asked by phone"),
    ):
        store.suppressions.insert_one(
            {
                "email": email,
                "reason": reason,
                "by": by,
                "at": now - timedelta(days=days),
                "diagnostic": note,
            }
        )

    def emails(**where: Any) -> list[str]:
        found = suppressions.list_all(store, where=suppressions.SuppressionFilter(**where))
        return [s.email for s in found]

    assert emails() == ["ann@x.com", "bob@x.com", "cy@y.org"]  # newest first
    assert emails(search="X.COM") == ["ann@x.com", "bob@x.com"]
    assert emails(search="user unknown") == ["bob@x.com"]  # the diagnostic
    assert emails(search="a.*") == []  # literal, not a pattern
    assert emails(reason=SuppressionReason.MANUAL) == ["cy@y.org"]
    assert emails(by="ses-events", start=now - timedelta(days=2)) == ["ann@x.com"]
    assert emails(end=now - timedelta(days=2)) == ["bob@x.com", "cy@y.org"]


def test_pages_follow_each_other_without_gaps_or_repeats(store: Store) -> None:
    now = utcnow()
    same = now - timedelta(hours=1)  # several entries at one instant: _id breaks the tie
    store.suppressions.insert_many(
        [
            {"email": f"p{n}@x.com", "reason": "bounce", "at": same if n % 2 else now, "by": "s"}
            for n in range(7)
        ]
    )
    seen: list[str] = []
    after = None
    for _ in range(5):
        page, after = suppressions.list_page(store, None, 3, after)
        seen += [s.email for s in page]
        if after is None:
            break
    assert sorted(seen) == sorted(f"p{n}@x.com" for n in range(7)) and len(seen) == 7
    assert after is None
    where = suppressions.SuppressionFilter(start=now - timedelta(minutes=1))
    page, after = suppressions.list_page(store, where, 3)
    assert [s.email for s in page] == ["p6@x.com", "p4@x.com", "p2@x.com"] and after is not None
    page, after = suppressions.list_page(store, where, 3, after)
    assert [s.email for s in page] == ["p0@x.com"] and after is None


def test_counts_by_reason_cover_the_whole_filter_not_a_page(store: Store) -> None:
    now = utcnow()
    rows = [("bounce", 1)] * 4 + [("complaint", 2), ("complaint", 20), ("manual", 3)]
    store.suppressions.insert_many(
        [
            {"email": f"a{n}@x.com", "reason": r, "at": now - timedelta(days=d), "by": "s"}
            for n, (r, d) in enumerate(rows)
        ]
    )
    counts = suppressions.count_by_reason(store)
    assert counts == {"bounce": 4, "complaint": 2, "manual": 1}
    week = suppressions.SuppressionFilter(start=now - timedelta(days=7))
    assert suppressions.count_by_reason(store, week) == {"bounce": 4, "complaint": 1, "manual": 1}
    only = suppressions.SuppressionFilter(reason=SuppressionReason.COMPLAINT)
    assert suppressions.count_by_reason(store, only) == {"bounce": 0, "complaint": 2, "manual": 0}
    assert suppressions.counts_text(counts) == "7 suppressed: 4 bounce · 2 complaint · 1 manual"
