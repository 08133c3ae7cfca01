"""Export the filtered logs to CSV or JSON Lines, streamed row by row from one server
cursor (constant memory however many rows), into a temporary file in the target
folder that is renamed into place only when complete: a failed or cancelled export
leaves nothing half-written. Bodies of `auth` emails are redacted.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

from bson import ObjectId

from core.db import Store
from core.errors import CancelledError, InputError
from core.logs.detail import redact
from core.logs.query import iter_rows
from core.validation import EmailQuery

Format = Literal["csv", "jsonl"]
FORMATS: dict[str, Format] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
CSV_COLUMNS = (
    "id", "createdAt", "messageId", "from", "to", "cc", "bcc", "subject", "category",
    "status", "priority", "userId", "clientId", "templateId", "cost", "size", "events",
    "lastEvent", "attachments", "error", "operator", "body",
)  # fmt: skip
Progress = Callable[[int], None]
ShouldStop = Callable[[], bool]


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    bytes: int
    format: Format


def format_for(path: Path, explicit: str | None = None) -> Format:
    if explicit:
        if explicit not in ("csv", "jsonl"):
            raise InputError(f"Unknown export format {explicit!r}.", "Use csv or jsonl.")
        return explicit  # type: ignore[return-value]
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise InputError(
            f"Cannot tell the format of {path.name!r}.",
            "Name the file .csv or .jsonl (or pass the format).",
        )
    return found


def check_target(path: Path, overwrite: bool = False) -> Path:
    """The resolved target; InputError when its folder is missing or not writable."""
    target = path.expanduser()
    folder = target.parent if str(target.parent) else Path()
    if target.is_dir():
        raise InputError(f"{target} is a folder.", "Give a file name inside it.")
    if not folder.exists():
        raise InputError(f"The folder {folder} does not exist.", "Create it or pick another.")
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder.", "Pick a folder for the export.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"The folder {folder} is not writable.", "Pick a folder you can write.")
    if target.exists() and not overwrite:
        raise InputError(f"{target} already exists.", "Pick another name or allow overwriting.")
    return target


def plain_json(value: Any) -> Any:
    """Stored values as plain JSON values: ids as strings, times ISO 8601 UTC."""
    return _iso(value)


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def _body(doc: dict[str, Any]) -> str:
    content = doc.get("content") or {}
    return str(content.get("text") or content.get("html") or "")


def csv_row(doc: dict[str, Any]) -> list[str]:
    events = doc.get("events") or []
    attachments = doc.get("attachments") or []
    values: dict[str, Any] = {
        "id": str(doc.get("_id", "")),
        "createdAt": _iso(doc.get("createdAt")),
        "messageId": doc.get("messageId"),
        "from": doc.get("from"),
        "to": ";".join(doc.get("to") or []),
        "cc": ";".join(doc.get("cc") or []),
        "bcc": ";".join(doc.get("bcc") or []),
        "subject": doc.get("subject"),
        "category": doc.get("category"),
        "status": doc.get("status"),
        "priority": doc.get("priority"),
        "userId": doc.get("userId"),
        "clientId": doc.get("clientId"),
        "templateId": doc.get("templateId"),
        "cost": doc.get("cost"),
        "size": doc.get("size"),
        "events": len(events),
        "lastEvent": events[-1].get("type") if events else "",
        "attachments": ";".join(
            str(a.get("filename") or a.get("name") or "")
            for a in attachments
            if isinstance(a, dict)
        ),
        "error": doc.get("error"),
        "operator": doc.get("operator"),
        "body": _body(doc),
    }
    return ["" if values[c] is None else _guard(str(values[c])) for c in CSV_COLUMNS]


def _guard(cell: str) -> str:
    """Defuse spreadsheet formulas (CSV injection): a leading = + - @ becomes text."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def write_rows(
    rows: Iterable[dict[str, Any]],
    out: IO[str],
    fmt: Format,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    every: int = 1000,
) -> int:
    """Write each (redacted) row as it comes; return how many were written."""
    count = 0
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    for doc in rows:
        safe = redact(doc)
        if writer is not None:
            writer.writerow(csv_row(safe))
        else:
            out.write(json.dumps(_iso(safe), ensure_ascii=False, default=str))
            out.write("\n")
        count += 1
        if count % every == 0:
            if should_stop is not None and should_stop():
                raise CancelledError(f"Export cancelled after {count:,} rows; nothing written.")
            if progress is not None:
                progress(count)
    return count


def export_rows(
    rows: Iterable[dict[str, Any]],
    path: Path,
    fmt: Format | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> ExportResult:
    """Stream rows to `path` through a temporary file in the same folder."""
    target = check_target(path, overwrite)
    kind = fmt or format_for(target)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            written = write_rows(rows, out, kind, progress, should_stop)
            out.flush()
            os.fsync(out.fileno())
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return ExportResult(path=target, rows=written, bytes=target.stat().st_size, format=kind)


def export_logs(
    store: Store,
    query: EmailQuery,
    path: Path,
    fmt: Format | None = None,
    overwrite: bool = False,
    include_bodies: bool = True,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> ExportResult:
    """Export every log matching `query`, in its sort order."""
    check_target(path, overwrite)  # before touching the store
    kind = fmt or format_for(path)
    projection = None if include_bodies else {"content": 0, "templateData": 0}
    rows: Iterator[dict[str, Any]] = iter_rows(store, query, projection)
    try:
        return export_rows(rows, path, kind, overwrite, progress, should_stop)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
