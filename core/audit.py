"""The audit log: one entry for every change an operator makes."""

from __future__ import annotations

import socket
from datetime import datetime
from typing import Any

from core.db import Store
from core.models import AuditEntry, read_stored

_HOST = socket.gethostname()


def record(store: Store, operator: str, action: str, target: str, **details: Any) -> None:
    """Append an entry; `action` is a verb such as `send`, `upload`, `purge`."""
    entry = AuditEntry(operator=operator, host=_HOST, action=action, target=target, details=details)
    store.auditlog.insert_one(entry.to_mongo())


def find(
    store: Store,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str | None = None,
    target: str | None = None,
    operator: str | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Entries newest first, filtered (all given filters apply; `until` exclusive)."""
    query: dict[str, Any] = {}
    for name, value in (("action", action), ("target", target), ("operator", operator)):
        if value is not None and value.strip():
            query[name] = value.strip()
    span: dict[str, datetime] = {}
    if since is not None:
        span["$gte"] = since
    if until is not None:
        span["$lt"] = until
    if span:
        query["at"] = span
    cursor = store.auditlog.find(query).sort([("at", -1), ("_id", -1)]).limit(limit)
    return [read_stored(AuditEntry, doc) for doc in cursor]
