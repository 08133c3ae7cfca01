"""Manual suppression from a log's recipient, and lifting it: audited, with the line
the operator is shown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core import suppressions
from core.db import Store
from core.errors import NotFoundError
from core.models import SuppressionReason, utcnow


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
