"""The audit log: one entry for every change an operator makes."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.db import AtCursor, Store, all_of, newest_page, time_span
from core.models import AuditEntry, read_stored
from core.validation import escape_search

_HOST = socket.gethostname()
# Where a page of entries ends: the (at, _id) of its last entry (keyset paging).


def record(store: Store, operator: str, action: str, target: str, **details: Any) -> None:
    """Append an entry; `action` is a verb such as `send`, `upload`, `purge`."""
    entry = AuditEntry(operator=operator, host=_HOST, action=action, target=target, details=details)
    store.auditlog.insert_one(entry.to_mongo())


@dataclass(frozen=True)
class AuditFilter:
    """Which entries: text in the target (literal, any case), who (`operator`), the
    action, one of `targets` exactly, and when ([start, end)). All given apply."""

    search: str = ""
    operator: str = ""
    action: str = ""
    targets: tuple[str, ...] = field(default_factory=tuple)
    start: datetime | None = None
    end: datetime | None = None

    def to_mongo(self) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = []
        for name, value in (("action", self.action), ("operator", self.operator)):
            if value.strip():
                clauses.append({name: value.strip()})
        targets = [t for t in self.targets if t]
        if targets:
            clauses.append({"target": targets[0] if len(targets) == 1 else {"$in": targets}})
        if self.search.strip():
            pattern = {"$regex": escape_search(self.search.strip()), "$options": "i"}
            clauses.append({"target": pattern})
        return all_of(*clauses, time_span("at", self.start, self.end))


def find_page(
    store: Store, where: AuditFilter | None, limit: int, after: AtCursor | None = None
) -> tuple[list[AuditEntry], AtCursor | None]:
    """One page of entries, newest first, after `after` (keyset on at, _id): the
    entries and where the next page starts (None: this is the last page)."""
    spec = where.to_mongo() if where is not None else {}
    docs, cursor = newest_page(store.auditlog, spec, limit, after)
    return [read_stored(AuditEntry, doc) for doc in docs], cursor


def find(
    store: Store,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str | None = None,
    target: str | None = None,
    operator: str | None = None,
    search: str = "",
    limit: int = 100,
) -> list[AuditEntry]:
    """Entries newest first, filtered (all given filters apply; `until` exclusive)."""
    where = AuditFilter(
        search=search,
        operator=operator or "",
        action=action or "",
        targets=(target.strip(),) if target and target.strip() else (),
        start=since,
        end=until,
    )
    return find_page(store, where, limit)[0]


def for_targets(store: Store, targets: Sequence[str], limit: int = 50) -> list[AuditEntry]:
    """The entries about one record, newest first: a log is the target of its entries
    by its id (and SES MessageId), a file by its S3 key (and id)."""
    return find_page(store, AuditFilter(targets=tuple(t for t in targets if t)), limit)[0]
