"""Upload: check the local file, record it `uploading` (no upload starts without its
record), send it with s3transfer (multipart, parallel parts, SHA-256 per part checked
by S3, server-side encryption), HEAD the object, then record what S3 holds and
`completed`; on any failure `failed`, the partial object discarded and no multipart
upload left behind."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from core import audit
from core.errors import CancelledError, DepllcError, InputError, ServiceError
from core.files.catalogue import store_call
from core.files.checks import LocalFile, check_local_file, check_tags
from core.files.keys import make_key
from core.files.transfer import (
    DEFAULT_TUNING,
    FileChangedError,
    FileHasher,
    ProgressCallback,
    TransferTuning,
    managed,
    progress_subscriber,
    transfer_client,
    wait,
)
from core.models import FileMetadata, FileRecord, S3Info, utcnow
from core.vocabulary import FileCategory, FileStatus

if TYPE_CHECKING:
    from core.runtime import Runtime

# Caller metadata may not set these (the guide spread it over `uploadedBy`).
SYSTEM_METADATA = {"uploadedBy", "userId", "checksum", "tags", "ipAddress", "userAgent"}


@dataclass
class UploadRequest:
    path: Path
    category: FileCategory = FileCategory.GENERAL
    tags: list[str] = field(default_factory=list)
    clientId: str | None = None
    departmentId: str | None = None
    isPublic: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    name: str | None = None  # the name to record (default: the file's own)
    follow_symlinks: bool = False  # a path that is a symbolic link: upload its target

    def __post_init__(self) -> None:
        # a client id is the CRM's (24 hex digits): "Client Y" is refused before any
        # file of the batch is checked or sent, whichever front end asks
        from core.validation import check_client_id

        self.clientId = check_client_id(self.clientId or "")


def sse_args(runtime: Runtime) -> dict[str, str]:
    settings = runtime.settings
    if settings.s3_sse == "aws:kms":
        args = {"ServerSideEncryption": "aws:kms"}
        if settings.s3_kms_key_id:
            args["SSEKMSKeyId"] = settings.s3_kms_key_id
        return args
    return {"ServerSideEncryption": "AES256"}


def bucket_of(runtime: Runtime) -> str:
    bucket = runtime.settings.aws_s3_bucket
    if not bucket:
        raise InputError("AWS_S3_BUCKET is not set.", "Set it, or use --sandbox.")
    return bucket


def _check_metadata(metadata: dict[str, str]) -> dict[str, str]:
    forged = sorted(SYSTEM_METADATA & set(metadata))
    if forged:
        raise InputError(
            f"Metadata may not set {', '.join(forged)}: the console records those itself.",
            "Drop them from the metadata.",
        )
    for k, v in metadata.items():
        if not k or len(k) > 64 or len(str(v)) > 1024:
            raise InputError(f"Metadata {k!r}: keys of 1-64 characters, values up to 1024.")
    return {k: str(v) for k, v in metadata.items()}


def new_record(runtime: Runtime, local: LocalFile, request: UploadRequest) -> FileRecord:
    from core.validation import safe_file_name

    meta = _check_metadata(dict(request.metadata))
    tags = check_tags(list(request.tags))
    user_id = runtime.user_id  # the CRM user id (the login stays in `operator`)
    return FileRecord(
        key=make_key(request.category.value, user_id, local.name),
        fileName=safe_file_name(local.name),
        originalName=local.name,
        contentType=local.content_type,
        size=local.size,
        category=request.category,
        status=FileStatus.UPLOADING,
        isPublic=request.isPublic,
        userId=user_id,
        clientId=request.clientId or None,
        departmentId=request.departmentId or None,
        metadata=FileMetadata(**meta, uploadedBy=user_id, tags=tags),
        operator=runtime.operator,
        s3Info=S3Info(bucket=bucket_of(runtime), region=runtime.settings.s3_region),
        sse=runtime.settings.s3_sse,
    )


def object_metadata(record_id: str, user_id: str, name: str) -> dict[str, str]:
    """User metadata on the object (ASCII, well under S3's 2 KB): enough to adopt it
    back into the catalogue if its record is ever lost."""
    meta = {"record-id": record_id, "uploaded-by": quote(user_id, safe="@._-")[:256]}
    quoted = quote(name, safe="")
    if len(quoted) <= 1024:  # 255 non-ASCII characters quote to ~2.3 KB: leave it out
        meta["original-name"] = quoted
    return meta


def insert_record(runtime: Runtime, record: FileRecord) -> FileRecord:
    """Insert the `uploading` record; StoreUnavailableError means nothing was sent."""
    try:
        result = runtime.store.files.insert_one(record.to_mongo())
    except Exception as exc:
        if type(exc).__module__.startswith("pymongo"):
            raise store_call("the upload was not started (no record, no upload)") from exc
        raise
    return record.model_copy(update={"id": result.inserted_id})


def _mark_failed(runtime: Runtime, record: FileRecord, reason: str) -> None:
    # if the store went away too, reconcile finds the `uploading` record later
    with contextlib.suppress(Exception):
        runtime.store.files.update_one(
            {"_id": record.id},
            {"$set": {"status": FileStatus.FAILED.value, "error": reason, "updatedAt": utcnow()}},
        )


def abort_multipart(s3: Any, bucket: str, key: str) -> int:
    """Abort every unfinished multipart upload of `key`; return how many."""
    aborted = 0
    try:
        pages = s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=key)
        for page in pages:
            for upload in page.get("Uploads", []):
                if upload["Key"] == key:
                    s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
                    aborted += 1
    except Exception:
        pass
    return aborted


def _discard_object(s3: Any, bucket: str, key: str) -> None:
    """Remove every version of a failed upload's object (the key is new and ours)."""
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key)
        for page in pages:
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                if item["Key"] == key:
                    s3.delete_object(Bucket=bucket, Key=key, VersionId=item["VersionId"])
    except Exception:
        pass


def head(s3: Any, bucket: str, key: str, version_id: str | None = None) -> dict[str, Any]:
    args: dict[str, Any] = {"Bucket": bucket, "Key": key, "ChecksumMode": "ENABLED"}
    if version_id:
        args["VersionId"] = version_id
    response: dict[str, Any] = s3.head_object(**args)
    return response


def full_object_checksum(head_response: dict[str, Any]) -> str | None:
    """S3's SHA-256 when it covers the whole object (not a multipart composite)."""
    value = head_response.get("ChecksumSHA256")
    composite = head_response.get("ChecksumType") == "COMPOSITE" or "-" in str(
        head_response.get("ETag", "")
    )
    if not value or composite or "-" in value:
        return None
    return str(value)


def upload_file(
    runtime: Runtime,
    request: UploadRequest,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    tuning: TransferTuning = DEFAULT_TUNING,
) -> FileRecord:
    """Upload one file; return its `completed` record. Raises a DepllcError saying
    what went wrong; the record then says `failed` (when the store is reachable)."""
    local = check_local_file(request.path, runtime.settings, request.name, request.follow_symlinks)
    record = insert_record(runtime, new_record(runtime, local, request))
    s3 = runtime.aws.s3
    bucket = record.s3Info.bucket
    try:
        fh = local.path.open("rb")
    except OSError as exc:
        _mark_failed(runtime, record, f"cannot open: {exc.strerror}")
        raise InputError(f"Cannot read {local.path}: {exc.strerror}.") from None
    extra = {
        "ContentType": local.content_type,
        "ChecksumAlgorithm": "SHA256",
        "Metadata": object_metadata(str(record.id), runtime.user_id, local.name),
        **sse_args(runtime),
    }
    try:
        with fh, managed(transfer_client(runtime), tuning, local.size) as manager:
            hasher = FileHasher(fh, local.size, cancel)
            # by name: each worker thread reads its own part (no part is buffered)
            future = manager.upload(
                str(local.path),
                bucket,
                record.key,
                extra_args=extra,
                subscribers=progress_subscriber(local.size, progress),
            )
            try:
                wait(future, cancel)  # leaving the manager on an error cancels the rest
            except BaseException:
                hasher.stop()
                raise
            checksum = hasher.result()
        changed = local.changed()
        if changed:
            raise FileChangedError(changed)
        info = head(s3, bucket, record.key)
        if int(info["ContentLength"]) != local.size:
            raise ServiceError(
                f"S3 holds {info['ContentLength']} bytes of {local.name}, not {local.size}."
            )
        remote = full_object_checksum(info)
        if remote is not None and remote != checksum:
            raise ServiceError(f"S3's SHA-256 of {local.name} does not match the file's.")
    except BaseException as exc:
        changed = local.changed() if isinstance(exc, Exception) else None
        if changed and not isinstance(exc, (DepllcError, FileChangedError)):
            exc = FileChangedError(changed)  # e.g. the file vanished under a part's reader
        reason = _reason(exc)
        abort_multipart(s3, bucket, record.key)
        _discard_object(s3, bucket, record.key)
        _mark_failed(runtime, record, reason)
        if isinstance(exc, DepllcError):
            raise
        if isinstance(exc, FileChangedError):
            raise InputError(
                f"{local.name}: {exc}; nothing was kept.", "Upload it again."
            ) from None
        if isinstance(exc, Exception):
            from core.errors import describe

            raise ServiceError(f"Upload of {local.name} failed: {describe(exc).text}") from exc
        raise
    now = utcnow()
    update = {
        "size": int(info["ContentLength"]),
        "status": FileStatus.COMPLETED.value,
        "metadata.checksum": checksum,
        "s3Info.etag": str(info.get("ETag", "")).strip('"') or None,
        "s3Info.versionId": info.get("VersionId"),
        "sse": info.get("ServerSideEncryption") or record.sse,
        "updatedAt": now,
    }
    try:
        runtime.store.files.update_one({"_id": record.id}, {"$set": update})
        audit.record(
            runtime.store,
            runtime.operator,
            "upload",
            record.key,
            fileId=str(record.id),
            name=local.name,
            size=local.size,
            checksum=checksum,
        )
    except Exception as exc:
        if type(exc).__module__.startswith("pymongo"):
            raise store_call(
                f"{local.name} is in S3 but its record still says uploading; "
                "`depllc files reconcile` completes it"
            ) from exc
        raise
    doc = runtime.store.files.find_one({"_id": record.id})
    return FileRecord.model_validate(doc)


def _reason(exc: BaseException) -> str:
    from core.errors import describe

    if isinstance(exc, CancelledError):
        return "cancelled"
    if isinstance(exc, FileChangedError):
        return str(exc)
    return describe(exc).text if isinstance(exc, Exception) else type(exc).__name__


@dataclass
class UploadOutcome:
    request: UploadRequest
    record: FileRecord | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.record is not None


def upload_many(
    runtime: Runtime,
    requests: list[UploadRequest],
    progress: Callable[[int, int, int], None] | None = None,
    cancel: threading.Event | None = None,
    max_parallel: int = 2,
    tuning: TransferTuning = DEFAULT_TUNING,
) -> list[UploadOutcome]:
    """Upload several files, `max_parallel` at a time; one failure does not stop the
    rest. `progress(index, done, total)` reports each file."""

    def one(index: int, request: UploadRequest) -> UploadOutcome:
        if cancel is not None and cancel.is_set():
            return UploadOutcome(request, error=CancelledError("Upload cancelled."))
        cb = (lambda d, t: progress(index, d, t)) if progress else None
        try:
            return UploadOutcome(request, record=upload_file(runtime, request, cb, cancel, tuning))
        except Exception as exc:
            return UploadOutcome(request, error=exc)

    with ThreadPoolExecutor(max_workers=max(1, max_parallel)) as pool:
        return list(pool.map(lambda pair: one(*pair), enumerate(requests)))
