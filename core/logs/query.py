"""Listing email logs: every filter of the guide's emailQuerySchema and more, the
user's search text escaped, keyset pagination in both directions, bodies projected
out, and counts fetched separately (capped, or estimated when nothing is filtered).

The guide paged with skip/limit (O(offset), and rows shift under you when new logs
arrive) and passed search text to `$regex` raw; both are fixed here.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from bson import ObjectId, json_util
from pydantic import BaseModel, ConfigDict, ValidationError

from core.db import Store, all_of, time_span
from core.errors import InputError, validation_message
from core.logs.dates import parse_range
from core.models import EmailLog, read_stored
from core.validation import EmailQuery, escape_search
from core.vocabulary import EmailCategory, EmailPriority, EmailStatus

# List queries never carry bodies or template data (they can be 50 kB each).
LIST_PROJECTION: dict[str, int] = {"content": 0, "templateData": 0}
SEARCH_FIELDS = ("subject", "to", "cc", "bcc", "messageId")
RECIPIENT_FIELDS = ("to", "cc", "bcc")
COUNT_CAP = 10_000
SortField = Literal["createdAt", "subject", "status", "category"]
SORT_FIELDS: tuple[str, ...] = ("createdAt", "subject", "status", "category")
Direction = Literal["next", "prev"]
_JSON = json_util.RELAXED_JSON_OPTIONS.with_options(tz_aware=True, tzinfo=UTC)


def _choice(value: str | None, enum: type[Any], what: str) -> Any:
    if value is None or not value.strip():
        return None
    try:
        return enum(value.strip().lower())
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InputError(f"Unknown {what} {value!r}.", f"Use one of: {allowed}.") from None


class FilterSet(BaseModel):
    """A filter as the operator types it (the date range stays relative, so a saved
    `7d` means the last seven days whenever it is recalled)."""

    model_config = ConfigDict(extra="forbid")

    search: str = ""
    status: str = ""
    category: str = ""
    priority: str = ""
    dates: str = ""
    recipient: str = ""
    messageId: str = ""
    userId: str = ""
    clientId: str = ""
    hasAttachments: bool | None = None
    sortBy: str = "createdAt"
    sortOrder: str = "desc"

    def is_empty(self) -> bool:
        return (
            self.to_query().model_dump(exclude={"limit", "sortBy", "sortOrder"}, exclude_none=True)
            == {}
        )

    def describe(self) -> str:
        parts = [
            f"{name}={value}"
            for name, value in self.model_dump(exclude={"sortBy", "sortOrder"}).items()
            if value not in ("", None)
        ]
        return " ".join(parts) or "all logs"

    def to_query(self, limit: int = 50, now: datetime | None = None) -> EmailQuery:
        """Validate into an EmailQuery; InputError says what is wrong."""
        span = parse_range(self.dates, now=now)
        if self.sortBy not in SORT_FIELDS:
            raise InputError(
                f"Cannot sort by {self.sortBy!r}.", f"Use one of: {', '.join(SORT_FIELDS)}."
            )
        try:
            return EmailQuery(
                limit=limit,
                search=self.search.strip() or None,
                status=_choice(self.status, EmailStatus, "status"),
                category=_choice(self.category, EmailCategory, "category"),
                priority=_choice(self.priority, EmailPriority, "priority"),
                recipient=self.recipient.strip() or None,
                messageId=self.messageId.strip() or None,
                userId=self.userId.strip() or None,
                clientId=self.clientId.strip() or None,
                hasAttachments=self.hasAttachments,
                startDate=span.start,
                endDate=span.end,
                sortBy=self.sortBy,
                sortOrder=self.sortOrder,
            )
        except ValidationError as exc:
            raise InputError(f"Invalid filter: {validation_message(exc)}") from None


def recipient_forms(address: str) -> list[str]:
    """The spellings an exact (indexed) recipient match tries: as typed, with the
    domain lower-cased (how sends store it), and all lower-case. For a match in any
    case, use the search box (case-insensitive)."""
    text = address.strip()
    local, at, domain = text.rpartition("@")
    forms = {text, text.lower()}
    if at:
        forms.add(f"{local}@{domain.lower()}")
    return sorted(forms)


def build_filter(query: EmailQuery) -> dict[str, Any]:
    """The MongoDB filter for a query. `endDate` is exclusive."""
    clauses: list[dict[str, Any]] = []
    for field in ("category", "status", "priority"):
        value = getattr(query, field)
        if value is not None:
            clauses.append({field: value.value})
    for field in ("userId", "clientId", "messageId"):
        value = getattr(query, field)
        if value:
            clauses.append({field: value})
    if query.recipient:
        forms = recipient_forms(query.recipient)
        match: Any = forms[0] if len(forms) == 1 else {"$in": forms}
        clauses.append({"$or": [{field: match} for field in RECIPIENT_FIELDS]})
    if query.search:
        pattern = {"$regex": escape_search(query.search), "$options": "i"}
        clauses.append({"$or": [{field: pattern} for field in SEARCH_FIELDS]})
    if query.hasAttachments is True:
        clauses.append({"attachments.0": {"$exists": True}})
    elif query.hasAttachments is False:
        clauses.append({"attachments.0": {"$exists": False}})
    return all_of(*clauses, time_span("createdAt", query.startDate, query.endDate))


def sort_keys(query: EmailQuery) -> list[str]:
    """The keyset: the sort column, then createdAt and _id as tie-breakers."""
    if query.sortBy == "createdAt":
        return ["createdAt", "_id"]
    return [query.sortBy, "createdAt", "_id"]


def _sort_spec(query: EmailQuery, reverse: bool = False) -> list[tuple[str, int]]:
    """Directions of the keyset. A column sort keeps the newest first within equal
    values (status asc = each status, newest first), so one index per column,
    (column 1, createdAt -1, _id -1), serves both orders (read backwards for desc)."""
    direction = -1 if query.sortOrder == "desc" else 1
    if reverse:
        direction = -direction
    if query.sortBy == "createdAt":
        return [("createdAt", direction), ("_id", direction)]
    return [(query.sortBy, direction), ("createdAt", -direction), ("_id", -direction)]


@dataclass(frozen=True)
class Cursor:
    """A position in a sorted listing: the keyset values of one row."""

    sort_by: str
    values: tuple[Any, ...]

    @classmethod
    def of(cls, query: EmailQuery, doc: dict[str, Any]) -> Cursor:
        return cls(query.sortBy, tuple(doc.get(key) for key in sort_keys(query)))

    def encode(self) -> str:
        raw = json_util.dumps({"s": self.sort_by, "v": list(self.values)})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            data = json_util.loads(
                base64.urlsafe_b64decode(padded.encode()).decode(), json_options=_JSON
            )
            sort_by, values = data["s"], tuple(data["v"])
        except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
            raise InputError(
                "That page cursor is not valid.", "Start again from the first page."
            ) from None
        if sort_by not in SORT_FIELDS or len(values) != (2 if sort_by == "createdAt" else 3):
            raise InputError("That page cursor is not valid.", "Start again from the first page.")
        return cls(sort_by, values)


def _keyset_clause(query: EmailQuery, cursor: Cursor, forward: bool) -> dict[str, Any]:
    """Rows strictly after (forward) or before the cursor in the query's order."""
    if cursor.sort_by != query.sortBy:
        raise InputError("The cursor belongs to another sort order.", "Start from the first page.")
    order = _sort_spec(query)
    keys = [key for key, _ in order]
    branches: list[dict[str, Any]] = []
    for i, (key, direction) in enumerate(order):
        op = "$gt" if (direction == 1) == forward else "$lt"
        branch: dict[str, Any] = {k: cursor.values[j] for j, k in enumerate(keys[:i])}
        branch[key] = {op: cursor.values[i]}
        branches.append(branch)
    return {"$or": branches}


@dataclass
class Page:
    rows: list[dict[str, Any]]
    next_cursor: Cursor | None  # None: this is the last page
    prev_cursor: Cursor | None  # None: this is the first page


def page_plan(
    query: EmailQuery, after: Cursor | None = None, before: Cursor | None = None
) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """The filter and sort of one page (fetch_page runs it; benchmarks explain it)."""
    if after is not None and before is not None:
        raise InputError("Page either after or before a row, not both.")
    spec = all_of(
        build_filter(query),
        _keyset_clause(query, after, forward=True) if after is not None else None,
        _keyset_clause(query, before, forward=False) if before is not None else None,
    )
    return spec, _sort_spec(query, reverse=before is not None)


def fetch_page(
    store: Store,
    query: EmailQuery,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> Page:
    """One page of rows (bodies projected out) after or before a cursor.

    Reads `limit + 1` rows to know whether another page follows, and never skips:
    rows inserted while paging land before the first page (desc) and never shift
    the rows already seen.
    """
    backward = before is not None
    spec, order = page_plan(query, after, before)
    # a copy each time: mongomock adds `_id` to the projection it is given
    found = list(
        store.emaillogs.find(spec, dict(LIST_PROJECTION)).sort(order).limit(query.limit + 1)
    )
    more = len(found) > query.limit
    rows = found[: query.limit]
    if backward:
        rows.reverse()
    if not rows:
        return Page([], None, None)
    first, last = Cursor.of(query, rows[0]), Cursor.of(query, rows[-1])
    if backward:
        return Page(rows, next_cursor=last, prev_cursor=first if more else None)
    return Page(rows, next_cursor=last if more else None, prev_cursor=first if after else None)


def iter_rows(
    store: Store, query: EmailQuery, projection: dict[str, int] | None = None, batch: int = 500
) -> Iterator[dict[str, Any]]:
    """Every matching row in order, streamed through one server cursor (constant
    memory on the client: `batch` documents at a time)."""
    cursor = (
        store.emaillogs.find(build_filter(query), projection)
        .sort(_sort_spec(query))
        .batch_size(batch)
    )
    try:
        yield from cursor
    finally:
        cursor.close()


@dataclass(frozen=True)
class Count:
    value: int
    capped: bool  # the true count is at least `value`
    estimated: bool  # collection metadata, not a scan

    def label(self) -> str:
        if self.capped:
            return f"{self.value:,}+"
        return f"~{self.value:,}" if self.estimated else f"{self.value:,}"


def count(store: Store, query: EmailQuery, cap: int = COUNT_CAP) -> Count:
    """How many rows match: the collection's estimate when nothing is filtered,
    otherwise an exact count that stops at `cap`."""
    spec = build_filter(query)
    if not spec:
        return Count(store.emaillogs.estimated_document_count(), False, True)
    found = store.emaillogs.count_documents(spec, limit=cap)
    return Count(found, found >= cap, False)


def fetch_by_message_ids(store: Store, message_ids: list[str]) -> list[dict[str, Any]]:
    """The list rows for these SES MessageIds (to refresh rows in place)."""
    if not message_ids:
        return []
    return list(store.emaillogs.find({"messageId": {"$in": message_ids}}, dict(LIST_PROJECTION)))


def as_object_id(value: str) -> ObjectId | None:
    return ObjectId(value) if ObjectId.is_valid(value) else None


def row_problem(doc: dict[str, Any]) -> str | None:
    """What of a listed row (bodies projected out) the console cannot read, else None:
    the row is still listed, marked."""
    return read_stored(EmailLog, doc).problem
