"""Delete (the guide's soft delete, now with who and when), restore, and purge:
every version and delete marker of the object removed from S3, behind a
confirmation that names the file (the guide's delete never removed any bytes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import audit
from core.errors import InputError, ServiceError
from core.files.catalogue import Access, get_file
from core.models import FileRecord, utcnow
from core.vocabulary import FileStatus

if TYPE_CHECKING:
    from core.runtime import Runtime


def soft_delete(runtime: Runtime, ref: str) -> FileRecord:
    record = get_file(runtime, ref, Access.CHANGE)
    if record.status == FileStatus.DELETED:
        raise InputError(f"{record.originalName} is already deleted.")
    now = utcnow()
    runtime.store.files.update_one(
        {"_id": record.id},
        {
            "$set": {
                "status": FileStatus.DELETED.value,
                "statusBeforeDelete": record.status.value,
                "deletedAt": now,
                "deletedBy": runtime.operator,
                "updatedAt": now,
            }
        },
    )
    audit.record(runtime.store, runtime.operator, "delete", record.key, fileId=str(record.id))
    return get_file(runtime, str(record.id))


def restore(runtime: Runtime, ref: str) -> FileRecord:
    record = get_file(runtime, ref, Access.CHANGE)
    extra = record.model_extra or {}
    if record.status != FileStatus.DELETED:
        raise InputError(f"{record.originalName} is not deleted.")
    if extra.get("purgedAt"):
        raise InputError(f"{record.originalName} was purged; its bytes are gone from S3.")
    previous = extra.get("statusBeforeDelete") or FileStatus.COMPLETED.value
    runtime.store.files.update_one(
        {"_id": record.id},
        {
            "$set": {"status": previous, "updatedAt": utcnow()},
            "$unset": {"deletedAt": "", "deletedBy": "", "statusBeforeDelete": ""},
        },
    )
    audit.record(runtime.store, runtime.operator, "restore", record.key, fileId=str(record.id))
    return get_file(runtime, str(record.id))


def object_versions(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    """Every version and delete marker of exactly `key` (the prefix may match more)."""
    found: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for item in page.get("Versions", []):
            if item["Key"] == key:
                found.append({**item, "IsDeleteMarker": False})
        for item in page.get("DeleteMarkers", []):
            if item["Key"] == key:
                found.append({**item, "IsDeleteMarker": True})
    return found


def purge(runtime: Runtime, ref: str, confirm: str) -> tuple[FileRecord, int]:
    """Remove every version of the object; `confirm` must be the file's name.
    Returns the record and how many versions/markers were removed. Admin only."""
    record = get_file(runtime, ref, Access.PURGE)
    if confirm.strip() != record.originalName:
        raise InputError(
            f"Confirmation {confirm!r} does not match the file's name.",
            f"Type {record.originalName!r} exactly to purge it.",
        )
    s3 = runtime.aws.s3
    bucket = record.s3Info.bucket
    items = object_versions(s3, bucket, record.key)
    removed = 0
    for start in range(0, len(items), 1000):
        batch = items[start : start + 1000]
        response = s3.delete_objects(
            Bucket=bucket,
            Delete={
                "Objects": [{"Key": record.key, "VersionId": i["VersionId"]} for i in batch],
                "Quiet": True,
            },
        )
        errors = response.get("Errors", [])
        removed += len(batch) - len(errors)
        if errors:
            first = errors[0]
            raise ServiceError(
                f"S3 kept {len(errors)} version(s) of {record.originalName}: "
                f"{first.get('Code')} {first.get('Message', '')}".strip(),
                "Check the bucket's permissions (s3:DeleteObjectVersion) and retry.",
            )
    left = object_versions(s3, bucket, record.key)
    if left:
        raise ServiceError(f"{len(left)} version(s) of {record.originalName} remain in S3.")
    now = utcnow()
    update: dict[str, Any] = {
        "status": FileStatus.DELETED.value,
        "purgedAt": now,
        "purgedBy": runtime.operator,
        "updatedAt": now,
    }
    if record.deletedAt is None:
        update |= {"deletedAt": now, "deletedBy": runtime.operator}
    runtime.store.files.update_one({"_id": record.id}, {"$set": update})
    audit.record(
        runtime.store,
        runtime.operator,
        "purge",
        record.key,
        fileId=str(record.id),
        versionsRemoved=removed,
    )
    return get_file(runtime, str(record.id)), removed
