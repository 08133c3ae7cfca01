"""Fixtures for the log tests: hand-built logs with known fields."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId

from core.db import Store
from core.models import EmailLog

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_seq = itertools.count()

MakeLog = Callable[..., dict[str, Any]]


def make_doc(**fields: Any) -> dict[str, Any]:
    """A valid stored log; any field may be overridden."""
    n = next(_seq)
    base: dict[str, Any] = {
        "messageId": f"0100018f-{n:08d}-test",
        "to": [f"client{n}@example.com"],
        "from": "noreply@depllc.example",
        "subject": f"Invoice {n}",
        "content": {"text": f"Body {n}", "html": f"<p>Body {n}</p>"},
        "category": "notification",
        "status": "delivered",
        "priority": "normal",
        "size": 1000 + n,
        "cost": 0.0001,
        "createdAt": T0 - timedelta(minutes=n),
        "updatedAt": T0,
    }
    base.update(fields)
    return EmailLog.model_validate(base).to_mongo()


@pytest.fixture
def add_log(store: Store) -> MakeLog:
    def add(**fields: Any) -> dict[str, Any]:
        doc = make_doc(**fields)
        doc["_id"] = store.emaillogs.insert_one(doc).inserted_id
        return doc

    return add


def ids(rows: list[dict[str, Any]]) -> list[ObjectId]:
    return [r["_id"] for r in rows]
