"""The `files` catalogue: the one access check (by role), one record by id or key
through it, and list/search/filter/sort with keyset pagination (the guide's skip/limit is
O(offset); its `$regex` took the user's text raw)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from core.db import all_of, time_span
from core.errors import AccessDeniedError, InputError, NotFoundError, StoreUnavailableError
from core.models import FileRecord, read_stored
from core.validation import FileQuery, escape_search
from core.vocabulary import FileStatus
from core.wording import counted

if TYPE_CHECKING:
    from core.runtime import Runtime


class Access(StrEnum):
    """What a path does with a file record; `check_access` decides per role."""

    READ = "read"  # list, download, link, preview, attach, resend, versions, tags view
    CHANGE = "change"  # delete, restore, edit tags, restore a version, complete an upload
    PURGE = "purge"  # remove every version from S3


# The roles (`runtime.role`): `operator` follows the guide's rule (own files and public
# ones); `support` reads every client's file but changes only its own; `admin` does
# everything. Changes follow the guide's rule (uploader or admin); purge is admin only.
READ_ALL_ROLES = frozenset({"support", "admin"})


def _own(runtime: Runtime) -> dict[str, Any]:
    """The operator's own files: `userId` is their CRM user id (uploads since they have
    one) or their login (before)."""
    return {"userId": {"$in": list(runtime.owner_ids)}}


def access_filter(runtime: Runtime) -> dict[str, Any]:
    """The records `runtime.role` may read, as a MongoDB filter ({} = every record)."""
    if runtime.role in READ_ALL_ROLES:
        return {}
    return {"$or": [_own(runtime), {"isPublic": True}]}


def change_filter(runtime: Runtime) -> dict[str, Any]:
    """The records `runtime.role` may change ({} = every record)."""
    return {} if runtime.role == "admin" else _own(runtime)


def can_read(runtime: Runtime, record: FileRecord) -> bool:
    return runtime.role in READ_ALL_ROLES or record.isPublic or record.userId in runtime.owner_ids


def can_change(runtime: Runtime, record: FileRecord) -> bool:
    """Only the uploader (or an admin) deletes, restores or edits a file."""
    return runtime.role == "admin" or record.userId in runtime.owner_ids


def not_found(ref: object) -> NotFoundError:
    """The refusal for a record the operator may not read: it does not say whether
    the record exists."""
    return NotFoundError(
        f"No file {ref!s} (or it is not yours and not public).",
        "List files with `depllc files list`.",
    )


def require_admin(runtime: Runtime, what: str) -> None:
    if runtime.role != "admin":
        raise AccessDeniedError(f"Only an admin may {what} (your role: {runtime.role}).")


def check_access(runtime: Runtime, record: FileRecord, access: Access, ref: object) -> None:
    """The one access check every path that uses a file record goes through."""
    if not can_read(runtime, record):
        raise not_found(ref)
    if access is Access.PURGE:
        require_admin(runtime, f"purge {record.originalName}")
    elif access is Access.CHANGE and not can_change(runtime, record):
        raise AccessDeniedError(
            f"{record.originalName} belongs to {record.userId}; only its uploader or an "
            "admin may change it."
        )


def store_call(what: str) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"MongoDB is unreachable: {what}.",
        "Check MONGODB_URI and that the server is up (`depllc doctor`).",
    )


def _id_filter(ref: str) -> dict[str, Any]:
    if ObjectId.is_valid(ref):
        return {"$or": [{"_id": ObjectId(ref)}, {"key": ref}]}
    return {"key": ref}


def get_file(runtime: Runtime, ref: str | ObjectId, access: Access = Access.READ) -> FileRecord:
    """A record by `_id` or key, if `runtime.role` may do `access` with it;
    NotFoundError when missing or not visible, AccessDeniedError when visible but
    not the operator's to change."""
    flt = {"_id": ref} if isinstance(ref, ObjectId) else _id_filter(ref.strip())
    try:
        doc = runtime.store.files.find_one(flt)
    except Exception as exc:
        if type(exc).__module__.startswith("pymongo"):
            raise store_call("cannot read the file record") from exc
        raise
    if doc is None:
        raise not_found(ref)
    record = read_stored(FileRecord, doc)
    check_access(runtime, record, access, ref)
    if record.problem:
        raise InputError(
            f"The record of file {doc.get('_id')} cannot be read: {record.problem}.",
            "Correct the record in the CRM; the console leaves it as it is.",
        )
    return record


@dataclass(frozen=True)
class Page:
    items: list[FileRecord]  # a record the console cannot fully read has a `problem`
    next_cursor: str | None

    @property
    def problems(self) -> list[str]:
        """One line per record listed with a problem (to report once, not per page)."""
        return [f"{r.id}: {r.problem}" for r in self.items if r.problem]


def _encode_cursor(value: Any, oid: ObjectId) -> str:
    payload = {
        "v": value.isoformat() if isinstance(value, datetime) else value,
        "t": "d" if isinstance(value, datetime) else "x",
        "id": str(oid),
    }
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[Any, ObjectId]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        value = payload["v"]
        if payload["t"] == "d":
            value = datetime.fromisoformat(value)
        return value, ObjectId(payload["id"])
    except Exception:
        raise InputError(
            "That page cursor is not valid.", "Start again from the first page."
        ) from None


def build_filter(runtime: Runtime, query: FileQuery, *, access: bool = True) -> dict[str, Any]:
    """The query's MongoDB filter; with `access`, only what the role may read."""
    clauses: list[dict[str, Any]] = []
    readable = access_filter(runtime) if access else {}
    if readable:
        clauses.append(readable)
    if query.status is not None:
        clauses.append({"status": query.status.value})
    elif not query.includeDeleted:
        clauses.append({"status": {"$ne": FileStatus.DELETED.value}})
    if query.search:
        pattern = escape_search(query.search)
        clauses.append(
            {
                "$or": [
                    {"fileName": {"$regex": pattern, "$options": "i"}},
                    {"originalName": {"$regex": pattern, "$options": "i"}},
                ]
            }
        )
    for field in ("userId", "clientId", "departmentId"):
        value = getattr(query, field)
        if value:
            clauses.append({field: value})
    if query.category is not None:
        clauses.append({"category": query.category.value})
    if query.tags:
        clauses.append({"metadata.tags": {"$all": list(query.tags)}})
    return all_of(*clauses, time_span("createdAt", query.startDate, query.endDate))


COUNT_CAP = 10_000


@dataclass(frozen=True)
class Visibility:
    """How many files match a query, and how many of them the role hides."""

    shown: int
    hidden: int
    role: str

    def describe(self, short: bool = False) -> str:
        """`29 private files of other users hidden (role operator)`, `short`: `29 hidden
        by role operator` (80 columns); or "" when none is hidden."""
        if not self.hidden:
            return ""
        if short:
            return f"{self.hidden:,} hidden by role {self.role}"
        hidden = counted(self.hidden, "private file")
        return f"{hidden} of other users hidden (role {self.role})"


def visibility(runtime: Runtime, query: FileQuery) -> Visibility:
    """Count the files matching `query` that the role may read, and those it may not
    (the access rule hides them: say so rather than let them seem missing)."""
    try:
        shown = runtime.store.files.count_documents(build_filter(runtime, query), limit=COUNT_CAP)
        every = runtime.store.files.count_documents(
            build_filter(runtime, query, access=False), limit=COUNT_CAP
        )
    except Exception as exc:
        if type(exc).__module__.startswith("pymongo"):
            raise store_call("cannot count files") from exc
        raise
    return Visibility(shown=shown, hidden=max(every - shown, 0), role=runtime.role)


def list_files(runtime: Runtime, query: FileQuery, cursor: str | None = None) -> Page:
    """One page, newest (or per `sortBy`) first; `next_cursor` fetches the next one."""
    field = query.sortBy
    direction = -1 if query.sortOrder == "desc" else 1
    flt = build_filter(runtime, query)
    if cursor:
        value, oid = _decode_cursor(cursor)
        op = "$lt" if direction == -1 else "$gt"
        after = {"$or": [{field: {op: value}}, {field: value, "_id": {op: oid}}]}
        flt = {"$and": [flt, after]} if flt else after
    try:
        docs = list(
            runtime.store.files.find(flt)
            .sort([(field, direction), ("_id", direction)])
            .limit(query.limit + 1)
        )
    except Exception as exc:
        if type(exc).__module__.startswith("pymongo"):
            raise store_call("cannot list files") from exc
        raise
    more = len(docs) > query.limit
    docs = docs[: query.limit]
    items = [read_stored(FileRecord, d) for d in docs]
    next_cursor = None
    if more and docs:
        last = docs[-1]
        next_cursor = _encode_cursor(last.get(field), last["_id"])
    return Page(items=items, next_cursor=next_cursor)


def to_json(record: FileRecord) -> dict[str, Any]:
    """A record as plain JSON (ids as strings, times in ISO 8601 UTC)."""
    data: dict[str, Any] = record.model_dump(mode="json", by_alias=True, exclude_none=True)
    if record.problem:
        data["problem"] = record.problem
    return data
