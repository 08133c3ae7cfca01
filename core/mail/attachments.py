"""Attachments: local files and files stored in S3 (the `files` catalogue), with the
guide's limits (10 files, 25 MB in all) and SES's size cap checked after base64."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import InputError, NotFoundError
from core.mail.mime import SES_V2_MAX_MESSAGE_BYTES, Attachment, base64_size
from core.models import FileRecord
from core.validation import EMAIL_CONSTANTS, AttachmentRef
from core.vocabulary import FileStatus

if TYPE_CHECKING:
    from core.runtime import Runtime


def human_size(size: int) -> str:
    import humanize

    return humanize.naturalsize(size, binary=True)


def checksum(data: bytes) -> str:
    """SHA-256, base64 (the S3 ChecksumSHA256 form used by the files catalogue)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _local_path(path: str, follow_symlinks: bool) -> Path:
    file = Path(path).expanduser()
    if not follow_symlinks:
        from core.files.checks import refuse_symlink

        refuse_symlink(file, "Attachment ")
    if not file.exists():
        raise InputError(f"Attachment not found: {file}", "Check the path.")
    if file.is_dir():
        raise InputError(f"Attachment is a folder, not a file: {file}")
    return file


def _read(file: Path, size: int = -1) -> bytes:
    try:
        with file.open("rb") as fh:
            return fh.read(size)
    except PermissionError:
        raise InputError(f"Attachment is not readable (permission denied): {file}") from None
    except OSError as exc:
        raise InputError(f"Cannot read attachment {file}: {exc.strerror or exc}") from None


def _policy(file: Path, name: str, data: bytes) -> str:
    """The type policy on the whole file, or on its first SNIFF_BYTES + 1 bytes."""
    from core.files.checks import SNIFF_BYTES, check_type

    if not data:
        raise InputError(f"Attachment {file} is empty (0 bytes).", "Choose a file with content.")
    return check_type(data[:SNIFF_BYTES], name, complete=len(data) <= SNIFF_BYTES)


def check_local(path: str, filename: str | None = None) -> str:
    """What read_local checks, from the first bytes only (for a picker): the content
    type, or a one-line InputError."""
    from core.files.checks import SNIFF_BYTES

    file = _local_path(path, follow_symlinks=False)
    head = _read(file, SNIFF_BYTES + 1)
    return _policy(file, filename or file.name, head)


def read_local(path: str, filename: str | None = None, follow_symlinks: bool = False) -> Attachment:
    """A local file's bytes, held to the files' type policy (name, bytes and extension
    together); a clear error when it is missing, a folder, unreadable, a symbolic link
    not to be followed, or refused by the policy."""
    file = _local_path(path, follow_symlinks)
    data = _read(file)
    name = filename or file.name
    content_type = _policy(file, name, data)
    return Attachment(
        filename=name,
        content_type=content_type,
        data=data,
        source={
            "source": "local",
            "path": str(file.resolve()),
            "checksum": checksum(data),
        },
    )


def stored_record(runtime: Runtime, file_id: str) -> FileRecord:
    from bson import ObjectId

    from core.files.catalogue import get_file

    if not ObjectId.is_valid(file_id):
        raise InputError(f"{file_id!r} is not a stored file id.")
    record = get_file(runtime, ObjectId(file_id))  # the files' access rule, as a download
    if record.status != FileStatus.COMPLETED or record.deletedAt is not None:
        raise InputError(
            f"Stored file {record.originalName} is {record.status.value}; only completed "
            "files can be attached."
        )
    return record


def read_stored(runtime: Runtime, file_id: str, version_id: str | None = None) -> Attachment:
    """A stored file's bytes from S3 (the recorded version, or a given one), held to
    the type policy like a local file: the CRM's web app may have stored what this
    console would refuse."""
    from core.files.checks import SNIFF_BYTES, check_type

    record = stored_record(runtime, file_id)
    params: dict[str, Any] = {"Bucket": record.s3Info.bucket, "Key": record.key}
    version = version_id or record.s3Info.versionId
    if version:
        params["VersionId"] = version
    try:
        response = runtime.aws.s3.get_object(**params)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code in {"NoSuchKey", "NoSuchVersion", "404"}:
            raise NotFoundError(
                f"The bytes of {record.originalName} are gone from S3 ({record.key}).",
                "Run `depllc files reconcile`, or attach another file.",
            ) from None
        raise
    data: bytes = response["Body"].read()
    try:
        content_type = check_type(
            data[:SNIFF_BYTES], record.originalName, complete=len(data) <= SNIFF_BYTES
        )
    except InputError as exc:
        raise InputError(f"Not attached: {exc.message}", exc.hint) from None
    return Attachment(
        filename=record.originalName,
        content_type=content_type,
        data=data,
        source={
            "source": "stored",
            "fileId": str(record.id),
            "key": record.key,
            "versionId": response.get("VersionId") or version,
            "checksum": checksum(data),
        },
    )


def load(runtime: Runtime, refs: list[AttachmentRef]) -> list[Attachment]:
    """Read every attachment and check the guide's count and total-size limits."""
    check_count(len(refs))
    items = [
        read_local(ref.path, ref.filename, ref.followSymlinks)
        if ref.path
        else read_stored(runtime, str(ref.fileId))
        for ref in refs
    ]
    check_total(items)
    return items


def check_count(count: int) -> None:
    limit = EMAIL_CONSTANTS.ATTACHMENT_MAX_COUNT
    if count > limit:
        raise InputError(f"{count} attachments; at most {limit} per message.")


def check_total(items: list[Attachment]) -> None:
    total = sum(item.size for item in items)
    limit = EMAIL_CONSTANTS.ATTACHMENT_MAX_SIZE
    if total > limit:
        raise InputError(
            f"Attachments total {human_size(total)}; the limit is {human_size(limit)} "
            f"(over by {human_size(total - limit)}).",
            "Remove an attachment, or send a download link instead.",
        )


def check_message_size(raw_size: int, limit: int | None = None) -> int:
    """SES counts the whole message after base64; refuse before calling it."""
    limit = limit or SES_V2_MAX_MESSAGE_BYTES
    encoded = base64_size(raw_size)
    if encoded > limit:
        raise InputError(
            f"The message is {human_size(encoded)} after base64 encoding; SES accepts "
            f"{human_size(limit)} (over by {human_size(encoded - limit)}).",
            "Remove an attachment, or send a download link instead.",
        )
    return encoded


def log_entry(item: Attachment) -> dict[str, Any]:
    """What the log keeps about an attachment (enough to resend it)."""
    return {
        "filename": item.filename,
        "contentType": item.content_type,
        "size": item.size,
        **item.source,
    }


def attachable_files(runtime: Runtime, search: str = "", limit: int = 200) -> list[FileRecord]:
    """Completed, not deleted stored files the operator may read (newest first),
    optionally by name."""
    from core.files.catalogue import access_filter
    from core.validation import escape_search

    clauses: list[dict[str, Any]] = [
        {"status": FileStatus.COMPLETED.value, "deletedAt": None},
        access_filter(runtime),
    ]
    if search.strip():
        pattern = {"$regex": escape_search(search), "$options": "i"}
        clauses.append(
            {"$or": [{"originalName": pattern}, {"fileName": pattern}, {"key": pattern}]}
        )
    query = {"$and": [c for c in clauses if c]}
    cursor = runtime.store.files.find(query).sort([("createdAt", -1), ("_id", -1)]).limit(limit)
    return [FileRecord.model_validate(doc) for doc in cursor]
