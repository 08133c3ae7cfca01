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
suppressions by `email`, audit entries by `target`. Each list is bounded (`limit`, newest
first) and says when more were left out. Files go through the access rule: hidden ones
are counted, not listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

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


@dataclass
class Case:
    query: str
    kind: str  # address | client
    addresses: list[AddressState] = field(default_factory=list)
    client_ids: list[str] = field(default_factory=list)
    emails: list[EmailLog] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    hidden_files: int = 0
    more: dict[str, bool] = field(default_factory=dict)
    since: datetime | None = None

    def timeline(self, kinds: set[str] | None = None) -> list[TimelineItem]:
        """Everything in the case as one list, newest first (optionally some kinds)."""
        items: list[TimelineItem] = []
        import humanize

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
                TimelineItem(entry.at, "audit", entry.action, f"by {entry.operator}", entry.target)
            )
        for state in self.addresses:
            s = state.suppression
            if s is not None:
                items.append(
                    TimelineItem(
                        s.at, "suppression", f"{s.email} suppressed", s.reason.value, s.email
                    )
                )
        chosen = [i for i in items if kinds is None or i.kind in kinds]
        return sorted(chosen, key=lambda i: i.at, reverse=True)


def _looks_like_address(query: str) -> bool:
    return "@" in query


def email_filter(kind: str, value: str, since: datetime | None) -> dict[str, Any]:
    """The logs of a case: by recipient (to, cc or bcc) or by client id."""
    if kind == "address":
        flt: dict[str, Any] = {"$or": [{"to": value}, {"cc": value}, {"bcc": value}]}
    else:
        flt = {"clientId": value}
    if since is not None:
        flt = {"$and": [flt, {"createdAt": {"$gte": since}}]}
    return flt


def file_filter(client_ids: list[str], user_id: str | None) -> dict[str, Any] | None:
    """The files of a case: for its client ids, or uploaded by its id."""
    clauses: list[dict[str, Any]] = [{"clientId": c} for c in client_ids]
    if user_id:
        clauses.append({"userId": user_id})
    return {"$or": clauses} if clauses else None


def _bounded(cursor: Any, limit: int) -> tuple[list[dict[str, Any]], bool]:
    docs = list(cursor.limit(limit + 1))
    return docs[:limit], len(docs) > limit


def open_case(
    runtime: Runtime, query: str, since: datetime | None = None, limit: int = DEFAULT_LIMIT
) -> Case:
    """The case for an address or a client id; NotFoundError when nothing is known."""
    from core.files.catalogue import access_filter

    ref = (query or "").strip()
    if not ref:
        raise InputError("Name an email address or a client id.")
    store = runtime.store
    if _looks_like_address(ref):
        ref = ref.lower()
        kind = "address"
    else:
        kind = "client"
    case = Case(query=ref, kind=kind, since=since)

    docs, case.more["email"] = _bounded(
        store.emaillogs.find(email_filter(kind, ref, since)).sort(NEWEST), limit
    )
    case.emails = [read_stored(EmailLog, d) for d in docs]

    if kind == "address":
        addresses = [ref]
        client_ids = sorted({log.clientId for log in case.emails if log.clientId})
    else:
        client_ids = [ref]
        seen: dict[str, None] = {}
        for log in case.emails:
            for email in [*log.to, *(log.cc or []), *(log.bcc or [])]:
                seen.setdefault(email.lower())
        addresses = list(seen)
    case.client_ids = client_ids

    flt = file_filter(client_ids, ref if kind == "client" else None)
    if flt is not None:
        if since is not None:
            flt = {"$and": [flt, {"createdAt": {"$gte": since}}]}
        allowed = access_filter(runtime)
        visible = {"$and": [flt, allowed]} if allowed else flt
        docs, case.more["file"] = _bounded(store.files.find(visible).sort(NEWEST), limit)
        case.files = [read_stored(FileRecord, d) for d in docs]
        if allowed:
            case.hidden_files = store.files.count_documents(flt) - store.files.count_documents(
                visible
            )

    suppressed = {
        d["email"]: read_stored(Suppression, d)
        for d in store.suppressions.find({"email": {"$in": addresses}})
    }
    counts = _outcome_counts(case.emails)
    case.addresses = [AddressState(a, suppressed.get(a), *counts.get(a, (0, 0))) for a in addresses]

    targets = [ref, *addresses, *(str(log.id) for log in case.emails)]
    targets += [str(record.id) for record in case.files]
    audit_filter: dict[str, Any] = {"target": {"$in": list(dict.fromkeys(targets))}}
    if since is not None:
        audit_filter["at"] = {"$gte": since}
    docs, case.more["audit"] = _bounded(store.auditlog.find(audit_filter).sort([("at", -1)]), limit)
    case.audit = [read_stored(AuditEntry, d) for d in docs]

    if not (case.emails or case.files or case.audit or suppressed or case.hidden_files):
        what = "address" if kind == "address" else "client id"
        raise NotFoundError(
            f"Nothing is known about the {what} {ref}.",
            "Check the spelling; an address must match a recipient exactly.",
        )
    return case


def _visible_files_filter(runtime: Runtime, case: Case) -> dict[str, Any] | None:
    """The case's files the operator may see (the access rule), within `since`."""
    from core.files.catalogue import access_filter

    flt = file_filter(case.client_ids, case.query if case.kind == "client" else None)
    if flt is None:
        return None
    if case.since is not None:
        flt = {"$and": [flt, {"createdAt": {"$gte": case.since}}]}
    allowed = access_filter(runtime)
    return {"$and": [flt, allowed]} if allowed else flt


def downloadable_files(runtime: Runtime, case: Case) -> tuple[list[FileRecord], int]:
    """Every file of the case that can be downloaded (completed and visible to the
    operator), newest first, at most DOWNLOAD_ALL_CAP; and how many others of the case
    were left out (deleted, failed or still uploading)."""
    flt = _visible_files_filter(runtime, case)
    if flt is None:
        return [], 0
    store = runtime.store
    done = {"$and": [flt, {"status": "completed"}]}
    docs = list(store.files.find(done).sort(NEWEST).limit(DOWNLOAD_ALL_CAP))
    left_out = store.files.count_documents(flt) - store.files.count_documents(done)
    return [read_stored(FileRecord, d) for d in docs], left_out


def _outcome_counts(
    emails: list[EmailLog],
) -> dict[str, tuple[int, int, RecipientStatus | None]]:
    """(bounces, complaints, the newest of them) by recipient address, over the case's
    emails (newest first, so the first problem seen is the newest)."""
    counts: dict[str, tuple[int, int, RecipientStatus | None]] = {}
    for log in emails:
        for row in log.recipientStatus:
            email = row.email.lower()
            bounces, complaints, newest = counts.get(email, (0, 0, None))
            if row.status.value == "bounced":
                bounces += 1
            elif row.status.value == "complaint":
                complaints += 1
            else:
                continue
            counts[email] = (bounces, complaints, newest or row)
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
        "more": {kind: more for kind, more in case.more.items() if more},
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
