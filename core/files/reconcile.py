"""Keep the catalogue true to the bucket: records stuck in `uploading` (a crashed
upload, a presigned POST never used) are settled by asking S3 (HEAD); objects with no
record are listed and can be adopted into the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from core import audit
from core.errors import InputError, NotFoundError
from core.files.keys import parse_key
from core.files.transfer import error_code
from core.files.upload import bucket_of, full_object_checksum, head
from core.models import FileMetadata, FileRecord, S3Info, utcnow
from core.validation import safe_file_name
from core.vocabulary import FileCategory, FileStatus

if TYPE_CHECKING:
    from core.runtime import Runtime

STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Settled:
    record_id: str
    key: str
    name: str
    outcome: str  # "completed", "failed", "waiting", "error"
    detail: str = ""


def _aware(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def settle_uploading(
    runtime: Runtime, stale_after: timedelta = STALE_AFTER, dry_run: bool = False
) -> list[Settled]:
    """Settle every `uploading` record older than `stale_after` (or whose upload
    link has expired): present in S3 -> completed (with HEAD's size/ETag/version),
    absent -> failed."""
    from core.files.catalogue import change_filter
    from core.files.links import complete_upload
    from core.files.upload import abort_multipart

    now = utcnow()
    flt: dict[str, Any] = {"status": FileStatus.UPLOADING.value}
    access = change_filter(runtime)  # completing or failing a record changes it
    if access:
        flt = {"$and": [flt, access]}
    results: list[Settled] = []
    s3 = runtime.aws.s3
    for doc in runtime.store.files.find(flt).sort("createdAt", 1):
        record = FileRecord.model_validate(doc)
        link_expiry = _aware(doc.get("uploadExpiresAt"))
        stale = record.updatedAt < now - stale_after or (
            link_expiry is not None and link_expiry < now
        )
        rid = str(record.id)
        try:
            info = head(s3, record.s3Info.bucket, record.key)
        except Exception as exc:
            code = error_code(exc)
            if code not in {"404", "NoSuchKey"}:
                results.append(Settled(rid, record.key, record.originalName, "error", str(exc)))
                continue
            info = None
        if info is None:
            if not stale:
                results.append(
                    Settled(rid, record.key, record.originalName, "waiting", "not in S3 yet")
                )
                continue
            if not dry_run:
                abort_multipart(s3, record.s3Info.bucket, record.key)
                runtime.store.files.update_one(
                    {"_id": record.id},
                    {
                        "$set": {
                            "status": FileStatus.FAILED.value,
                            "error": "never uploaded (found by reconcile)",
                            "updatedAt": utcnow(),
                        }
                    },
                )
                audit.record(
                    runtime.store,
                    runtime.operator,
                    "reconcile",
                    record.key,
                    fileId=rid,
                    outcome="failed",
                )
            results.append(Settled(rid, record.key, record.originalName, "failed", "not in S3"))
            continue
        if not stale and link_expiry is None:
            # a console upload may still be running; its own HEAD will complete it
            results.append(
                Settled(rid, record.key, record.originalName, "waiting", "upload in progress?")
            )
            continue
        if dry_run:
            results.append(Settled(rid, record.key, record.originalName, "completed", "dry run"))
            continue
        try:
            done = complete_upload(runtime, rid)
        except Exception as exc:
            from core.errors import describe

            results.append(
                Settled(rid, record.key, record.originalName, "failed", describe(exc).text)
            )
            continue
        audit.record(
            runtime.store,
            runtime.operator,
            "reconcile",
            record.key,
            fileId=rid,
            outcome=done.status.value,
        )
        results.append(
            Settled(rid, record.key, record.originalName, done.status.value, f"{done.size} bytes")
        )
    return results


@dataclass(frozen=True)
class Orphan:
    key: str
    size: int
    last_modified: datetime
    etag: str


def find_orphans(runtime: Runtime, prefix: str = "") -> list[Orphan]:
    """Objects in the bucket that no record names."""
    from core.files.catalogue import require_admin

    require_admin(runtime, "list the whole bucket")
    bucket = bucket_of(runtime)
    orphans: list[Orphan] = []
    pages = runtime.aws.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        contents = page.get("Contents", [])
        keys = [c["Key"] for c in contents]
        known = {d["key"] for d in runtime.store.files.find({"key": {"$in": keys}}, {"key": 1})}
        orphans += [
            Orphan(c["Key"], int(c["Size"]), c["LastModified"], str(c.get("ETag", "")).strip('"'))
            for c in contents
            if c["Key"] not in known
        ]
    return orphans


def adopt(
    runtime: Runtime, key: str, category: FileCategory | None = None, owner: str | None = None
) -> FileRecord:
    """Create a `completed` record for an object that has none, its type read from
    its first bytes (S3's Content-Type is whatever the uploader said: the guide
    trusted it); an object the type policy refuses is not adopted."""
    from core.files.catalogue import require_admin
    from core.files.checks import SNIFF_BYTES, check_type
    from core.files.keys import local_name

    require_admin(runtime, "adopt objects into the catalogue")
    bucket = bucket_of(runtime)
    if runtime.store.files.find_one({"key": key}) is not None:
        raise InputError(f"{key} already has a record.")
    try:
        info = head(runtime.aws.s3, bucket, key)
    except Exception as exc:
        if error_code(exc) in {"404", "NoSuchKey"}:
            raise NotFoundError(f"No object {key} in s3://{bucket}.") from None
        raise
    key_category, key_user, tail = parse_key(key)
    meta = info.get("Metadata", {})
    name = local_name(unquote(meta.get("original-name", "")) or tail, fallback="object")
    if category is None:
        try:
            category = FileCategory(key_category or "general")
        except ValueError:
            category = FileCategory.GENERAL
    user = owner or key_user or runtime.user_id
    size = int(info["ContentLength"])
    head_bytes = b""
    if size:
        head_bytes = runtime.aws.s3.get_object(
            Bucket=bucket,
            Key=key,
            Range=f"bytes=0-{SNIFF_BYTES - 1}",
            **({"VersionId": info["VersionId"]} if info.get("VersionId") else {}),
        )["Body"].read()
    try:
        content_type = check_type(head_bytes, name, complete=size <= SNIFF_BYTES)
    except InputError as exc:
        raise InputError(
            f"{key} not adopted: {exc.message}",
            "The object stays in the bucket; remove it if it does not belong there.",
        ) from None
    record = FileRecord(
        key=key,
        fileName=safe_file_name(name),
        originalName=name,
        contentType=content_type,
        size=size,
        category=category,
        status=FileStatus.COMPLETED,
        userId=user,
        metadata=FileMetadata(
            uploadedBy=unquote(meta.get("uploaded-by", "")) or user,
            checksum=full_object_checksum(info),
            tags=["adopted"],
        ),
        s3Info=S3Info(
            bucket=bucket,
            region=runtime.settings.s3_region,
            etag=str(info.get("ETag", "")).strip('"') or None,
            versionId=info.get("VersionId"),
        ),
        sse=info.get("ServerSideEncryption"),
        createdAt=_aware(info.get("LastModified")) or utcnow(),
    )
    result = runtime.store.files.insert_one(record.to_mongo())
    audit.record(runtime.store, runtime.operator, "adopt", key, fileId=str(result.inserted_id))
    return record.model_copy(update={"id": result.inserted_id})
