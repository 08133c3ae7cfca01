"""One client, one place: the case for an email address or a client id.

Support questions are about a person ("what happened with Ann's emails and documents
this month?"). A case joins what the CRM's collections hold about one person:

- the person: the addresses used, the client ids seen, each address's suppression (why,
  since when) and its bounce and complaint counts;
- their emails (each recipient's status and the last event), their files (for that
  client, or uploaded by that id), the audit entries touching any of these;
- one timeline of all of it, newest first.

Every query is served by a declared index (core/db.py): logs by `to`/`cc`/`bcc` or
`clientId` with `(createdAt, _id)`, files by `clientId` or `userId` with the same sort,
suppressions by `email`, audit entries by `target` with `at`. Files go through the access
rule: hidden ones are counted, not listed.

The person (addresses, client ids, suppressions, bounce and complaint counts, totals)
covers everything within `since`; the timeline comes in pages of `limit` items, newest
first, across the kinds: each page reads up to limit + 1 of each kind after the cursor
(keyset on the time and `_id`), merges them and keeps the first `limit`; its
`next_cursor` (an opaque token, the last item's time, kind and id) starts the next.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pydantic import ValidationError

from core.db import all_of, time_span
from core.errors import InputError, NotFoundError
from core.models import (
    AuditEntry,
    EmailLog,
    FileRecord,
    RecipientStatus,
    Suppression,
    read_stored,
)

if TYPE_CHECKING:
    from core.runtime import Runtime

NEWEST = [("createdAt", -1), ("_id", -1)]
DEFAULT_LIMIT = 200
DOWNLOAD_ALL_CAP = 1000  # "download all" takes at most this many files at once


@dataclass(frozen=True)
class AddressState:
    email: str
    suppression: Suppression | None
    bounces: int
    complaints: int
    # The newest bounce or complaint of this address (its diagnostic says why).
    last_problem: RecipientStatus | None = None


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # email | file | audit | suppression
    title: str
    detail: str
    ref: str  # the log id, file id, audit target or address


KIND_ORDER = {"email": 0, "file": 1, "audit": 2, "suppression": 3}  # among equal times
AUDIT_TARGETS_CAP = 2000  # audit entries are found for the newest this many emails/files


@dataclass(frozen=True)
class PageCursor:
    """Where the next page of a case's timeline starts: the last item shown (its time,
    kind and id); the timeline is ordered by time, then KIND_ORDER, then id, newest
    first."""

    at: datetime
    kind: str
    ref: str

    def encode(self) -> str:
        raw = json.dumps({"at": self.at.isoformat(), "k": self.kind, "r": self.ref})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> PageCursor:
        try:
            padded = token.strip() + "=" * (-len(token.strip()) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
            at = datetime.fromisoformat(data["at"])
            cursor = cls(at if at.tzinfo else at.replace(tzinfo=UTC), data["k"], str(data["r"]))
        except (ValueError, KeyError, TypeError, binascii.Error):
            cursor = None
        if cursor is None or cursor.kind not in KIND_ORDER:
            raise InputError("That page cursor is not valid.", "Start again from the first page.")
        return cursor

    def after(self, kind: str, time_field: str) -> dict[str, Any]:
        """The Mongo filter for the items of `kind` that come after this cursor."""
        mine, theirs = KIND_ORDER[kind], KIND_ORDER[self.kind]
        if mine < theirs:  # at the cursor's time, this kind came before it
            return {time_field: {"$lt": self.at}}
        if mine > theirs:
            return {time_field: {"$lte": self.at}}
        ref: Any = ObjectId(self.ref) if ObjectId.is_valid(self.ref) else self.ref
        return {"$or": [{time_field: {"$lt": self.at}}, {time_field: self.at, "_id": {"$lt": ref}}]}

    def comes_after(self, item: TimelineItem) -> bool:
        return _order(item) < (self.at, -KIND_ORDER[self.kind], self.ref)


def _order(item: TimelineItem) -> tuple[datetime, int, str]:
    """The timeline's order, as a key sorted in reverse: newest first, then by kind,
    then the newest id."""
    return (item.at, -KIND_ORDER[item.kind], item.ref)


@dataclass
class Case:
    """One person: who they are (over everything the store holds within `since`),
    and one page of their timeline (`emails`, `files`, `audit`, `suppressions`: the
    items of the page); `next_cursor` says where the next page starts."""

    query: str
    kind: str  # address | client
    addresses: list[AddressState] = field(default_factory=list)
    client_ids: list[str] = field(default_factory=list)
    emails: list[EmailLog] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    hidden_files: int = 0
    totals: dict[str, int] = field(default_factory=dict)  # emails, files, audit entries
    next_cursor: str | None = None
    since: datetime | None = None
    audit_targets: list[str] = field(default_factory=list)

    def timeline(self, kinds: set[str] | None = None) -> list[TimelineItem]:
        """The page as one list, newest first (optionally some kinds)."""
        import humanize

        items: list[TimelineItem] = []
        for log in self.emails:
            rows = {r.email.lower(): r for r in log.recipientStatus}
            mine = [rows[a.email] for a in self.addresses if a.email in rows]
            if self.kind == "address" and len(mine) == 1:
                status = mine[0].status.value  # the case is that address: no need to name it
            else:
                status = ", ".join(f"{r.email} {r.status.value}" for r in mine)
            items.append(
                TimelineItem(
                    log.createdAt, "email", log.subject, status or log.status.value, str(log.id)
                )
            )
        for record in self.files:
            size = humanize.naturalsize(record.size, binary=True)
            items.append(
                TimelineItem(
                    record.createdAt,
                    "file",
                    record.originalName,
                    f"{record.status.value} · {size} · {record.category.value}",
                    str(record.id),
                )
            )
        for entry in self.audit:
            items.append(
                TimelineItem(
                    entry.at,
                    "audit",
                    entry.action,
                    f"by {entry.operator} · {entry.target}",
                    str(entry.id or ""),
                )
            )
        for s in self.suppressions:
            items.append(
                TimelineItem(s.at, "suppression", f"{s.email} suppressed", s.reason.value, s.email)
            )
        chosen = [i for i in items if kinds is None or i.kind in kinds]
        return sorted(chosen, key=_order, reverse=True)


def _looks_like_address(query: str) -> bool:
    return "@" in query


def email_filter(kind: str, value: str, since: datetime | None) -> dict[str, Any]:
    """The logs of a case: by recipient (to, cc or bcc) or by client id."""
    if kind == "address":
        flt: dict[str, Any] = {"$or": [{"to": value}, {"cc": value}, {"bcc": value}]}
    else:
        flt = {"clientId": value}
    return all_of(flt, time_span("createdAt", since, None))


def file_filter(client_ids: list[str], user_id: str | None) -> dict[str, Any] | None:
    """The files of a case: for its client ids, or uploaded by its id."""
    clauses: list[dict[str, Any]] = [{"clientId": c} for c in client_ids]
    if user_id:
        clauses.append({"userId": user_id})
    return {"$or": clauses} if clauses else None


def open_case(
    runtime: Runtime,
    query: str,
    since: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Case:
    """The case for an address or a client id: the person, and the first page of
    `limit` timeline items (the page after `cursor`, a `next_cursor` of an earlier
    page). NotFoundError when nothing is known."""
    ref = (query or "").strip()
    if not ref:
        raise InputError("Name an email address or a client id.")
    if limit < 1:
        raise InputError("The page size must be 1 or more.")
    after = PageCursor.decode(cursor) if cursor else None
    if _looks_like_address(ref):
        case = Case(query=ref.lower(), kind="address", since=since)
    else:
        case = Case(query=ref, kind="client", since=since)
    _person(runtime, case)
    _fill_page(runtime, case, after, limit)
    known = case.totals["email"] or case.totals["file"] or case.totals["audit"]
    if not (known or any(a.suppression for a in case.addresses) or case.hidden_files):
        what = "address" if case.kind == "address" else "client id"
        raise NotFoundError(
            f"Nothing is known about the {what} {case.query}.",
            "Check the spelling; an address must match a recipient exactly.",
        )
    return case


def next_page(runtime: Runtime, case: Case, limit: int = DEFAULT_LIMIT) -> Case:
    """The page after `case`'s (the same person, not looked up again); an empty page
    when there is none."""
    page = replace(case, emails=[], files=[], audit=[], suppressions=[], next_cursor=None)
    if case.next_cursor is not None:
        _fill_page(runtime, page, PageCursor.decode(case.next_cursor), limit)
    return page


def _person(runtime: Runtime, case: Case) -> None:
    """Who the case is about, over everything within `since`: the addresses and client
    ids, each address's suppression, bounce and complaint counts and newest problem,
    the totals and what the audit entries may name."""
    store = runtime.store
    emails = email_filter(case.kind, case.query, case.since)
    if case.kind == "address":
        addresses = [case.query]
        case.client_ids = sorted(str(c) for c in store.emaillogs.distinct("clientId", emails) if c)
    else:
        found = {
            str(a).lower()
            for name in ("to", "cc", "bcc")
            for a in store.emaillogs.distinct(name, emails)
            if a
        }
        addresses = sorted(found)
        case.client_ids = [case.query]
    suppressed = {
        d["email"]: read_stored(Suppression, d)
        for d in store.suppressions.find({"email": {"$in": addresses}})
    }
    counts = _outcome_counts(runtime, emails)
    case.addresses = [
        AddressState(a, suppressed.get(a), *counts.get(a, (0, 0, None))) for a in addresses
    ]
    visible, hidden = _files_filters(runtime, case)
    case.totals = {
        "email": store.emaillogs.count_documents(emails),
        "file": store.files.count_documents(visible) if visible else 0,
    }
    case.hidden_files = hidden
    ids = [
        str(d["_id"])
        for d in store.emaillogs.find(emails, {"_id": 1}).sort(NEWEST).limit(AUDIT_TARGETS_CAP)
    ]
    if visible:  # the file actions' entries name the object key (delete, presign, upload)
        for d in (
            store.files.find(visible, {"_id": 1, "key": 1}).sort(NEWEST).limit(AUDIT_TARGETS_CAP)
        ):
            ids += [str(d["_id"]), *([str(d["key"])] if d.get("key") else [])]
    case.audit_targets = list(dict.fromkeys([case.query, *addresses, *ids]))
    case.totals["audit"] = store.auditlog.count_documents(_audit_filter(case))


def _audit_filter(case: Case) -> dict[str, Any]:
    flt: dict[str, Any] = {"target": {"$in": case.audit_targets}}
    if case.since is not None:
        flt["at"] = {"$gte": case.since}
    return flt


def _files_filters(runtime: Runtime, case: Case) -> tuple[dict[str, Any] | None, int]:
    """The filter of the case's files the operator may see (the access rule), within
    `since`; and how many others the role hides."""
    from core.files.catalogue import access_filter

    flt = file_filter(case.client_ids, case.query if case.kind == "client" else None)
    if flt is None:
        return None, 0
    flt = all_of(flt, time_span("createdAt", case.since, None))
    allowed = access_filter(runtime)
    if not allowed:
        return flt, 0
    visible = all_of(flt, allowed)
    files = runtime.store.files
    return visible, files.count_documents(flt) - files.count_documents(visible)


def _fill_page(runtime: Runtime, case: Case, after: PageCursor | None, limit: int) -> None:
    """The `limit` timeline items after `after`: up to limit + 1 of each kind, merged;
    what comes after the last one shown is the next page."""
    store = runtime.store

    def page_of(collection: Any, flt: dict[str, Any], kind: str, time_field: str) -> list[Any]:
        where = all_of(flt, after.after(kind, time_field) if after else None)
        return list(collection.find(where).sort([(time_field, -1), ("_id", -1)]).limit(limit + 1))

    emails = [
        read_stored(EmailLog, d)
        for d in page_of(store.emaillogs, email_filter(case.kind, case.query, case.since),
                         "email", "createdAt")
    ]  # fmt: skip
    visible, _ = _files_filters(runtime, case)
    files = (
        [read_stored(FileRecord, d) for d in page_of(store.files, visible, "file", "createdAt")]
        if visible
        else []
    )
    audit = [
        read_stored(AuditEntry, d)
        for d in page_of(store.auditlog, _audit_filter(case), "audit", "at")
    ]
    suppressions = [
        a.suppression
        for a in case.addresses
        if a.suppression is not None and (case.since is None or a.suppression.at >= case.since)
    ]
    candidates = replace(case, emails=emails, files=files, audit=audit, suppressions=suppressions)
    items = [i for i in candidates.timeline() if after is None or after.comes_after(i)]
    shown = items[:limit]
    keep = {(i.kind, i.ref) for i in shown}
    case.emails = [e for e in emails if ("email", str(e.id)) in keep]
    case.files = [f for f in files if ("file", str(f.id)) in keep]
    case.audit = [e for e in audit if ("audit", str(e.id or "")) in keep]
    case.suppressions = [s for s in suppressions if ("suppression", s.email) in keep]
    last = shown[-1] if shown else None
    more = len(items) > limit and last is not None
    case.next_cursor = PageCursor(last.at, last.kind, last.ref).encode() if more and last else None


def downloadable_files(runtime: Runtime, case: Case) -> tuple[list[FileRecord], int]:
    """Every file of the case that can be downloaded (completed and visible to the
    operator), newest first, at most DOWNLOAD_ALL_CAP; and how many others of the case
    were left out (deleted, failed or still uploading)."""
    flt, _ = _files_filters(runtime, case)
    if flt is None:
        return [], 0
    store = runtime.store
    done = all_of(flt, {"status": "completed"})
    docs = list(store.files.find(done).sort(NEWEST).limit(DOWNLOAD_ALL_CAP))
    left_out = store.files.count_documents(flt) - store.files.count_documents(done)
    return [read_stored(FileRecord, d) for d in docs], left_out


def _outcome_counts(
    runtime: Runtime, emails: dict[str, Any]
) -> dict[str, tuple[int, int, RecipientStatus | None]]:
    """(bounces, complaints, the newest of them) by recipient address (lower case),
    over every email of the case (one aggregation, from the case's index)."""
    pipeline: list[dict[str, Any]] = [
        {"$match": emails},
        {"$sort": {"createdAt": -1, "_id": -1}},
        {"$unwind": "$recipientStatus"},
        {"$match": {"recipientStatus.status": {"$in": ["bounced", "complaint"]}}},
        {
            "$group": {
                "_id": {"$toLower": "$recipientStatus.email"},
                "bounces": {
                    "$sum": {"$cond": [{"$eq": ["$recipientStatus.status", "bounced"]}, 1, 0]}
                },
                "complaints": {
                    "$sum": {"$cond": [{"$eq": ["$recipientStatus.status", "complaint"]}, 1, 0]}
                },
                "newest": {"$first": "$recipientStatus"},
            }
        },
    ]
    counts: dict[str, tuple[int, int, RecipientStatus | None]] = {}
    for row in runtime.store.emaillogs.aggregate(pipeline):
        try:
            newest: RecipientStatus | None = RecipientStatus.model_validate(row["newest"])
        except ValidationError:
            newest = None  # a row the models cannot read: counted, not explained
        counts[str(row["_id"])] = (int(row["bounces"]), int(row["complaints"]), newest)
    return counts


def to_json(case: Case) -> dict[str, Any]:
    """The case as plain data for `depllc case --json`."""
    from core.files.catalogue import to_json as file_json

    return {
        "query": case.query,
        "kind": case.kind,
        "clientIds": case.client_ids,
        "addresses": [
            {
                "email": a.email,
                "suppressed": a.suppression is not None,
                "reason": a.suppression.reason.value if a.suppression else None,
                "since": a.suppression.at.isoformat() if a.suppression else None,
                "bounces": a.bounces,
                "complaints": a.complaints,
                "lastProblem": _problem_json(a.last_problem),
            }
            for a in case.addresses
        ],
        "emails": [
            {
                "id": str(log.id),
                "createdAt": log.createdAt.isoformat(),
                "subject": log.subject,
                "status": log.status.value,
                "recipients": [
                    {"email": r.email, "status": r.status.value, "diagnostic": r.diagnostic}
                    for r in log.recipientStatus
                ],
                "lastEvent": log.events[-1].type.value if log.events else None,
            }
            for log in case.emails
        ],
        "files": [file_json(record) for record in case.files],
        "hiddenFiles": case.hidden_files,
        "audit": [
            {"at": e.at.isoformat(), "operator": e.operator, "action": e.action,
             "target": e.target}
            for e in case.audit
        ],
        "suppressions": [
            {"email": x.email, "reason": x.reason.value, "at": x.at.isoformat()}
            for x in case.suppressions
        ],
        "totals": case.totals,
        "nextCursor": case.next_cursor,
    }  # fmt: skip


def _problem_json(row: RecipientStatus | None) -> dict[str, Any] | None:
    from core.delivery_reasons import explain

    if row is None:
        return None
    reason = explain(row.diagnostic, row.status.value)
    return {
        "status": row.status.value,
        "at": row.updatedAt.isoformat(),
        "diagnostic": row.diagnostic,
        "reason": reason.summary if reason else None,
        "nextStep": reason.next_step if reason else None,
    }
