"""Manual suppression from a log's recipient, and lifting it: audited, with the line
the operator is shown."""

from __future__ import annotations

import pytest

from core import suppressions
from core.db import Store
from core.errors import NotFoundError
from core.models import SuppressionReason


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
