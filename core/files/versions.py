"""Versions of an object (the bucket is versioned): list them, download one (through
`download.download_file(version_id=...)`), restore one as the current version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from core import audit
from core.errors import InputError, NotFoundError
from core.files.catalogue import Access, check_access, get_file
from core.files.lifecycle import object_versions
from core.files.upload import full_object_checksum, head, sse_args
from core.models import FileRecord, utcnow
from core.vocabulary import FileStatus

if TYPE_CHECKING:
    from core.runtime import Runtime


@dataclass(frozen=True)
class ObjectVersion:
    version_id: str
    size: int
    last_modified: datetime
    etag: str
    is_latest: bool
    is_delete_marker: bool
    is_recorded: bool  # the version the catalogue record points at


def list_versions(runtime: Runtime, ref: str) -> tuple[FileRecord, list[ObjectVersion]]:
    record = get_file(runtime, ref)
    items = object_versions(runtime.aws.s3, record.s3Info.bucket, record.key)
    versions = [
        ObjectVersion(
            version_id=str(i["VersionId"]),
            size=int(i.get("Size", 0)),
            last_modified=i["LastModified"],
            etag=str(i.get("ETag", "")).strip('"'),
            is_latest=bool(i.get("IsLatest")),
            is_delete_marker=bool(i["IsDeleteMarker"]),
            is_recorded=str(i["VersionId"]) == record.s3Info.versionId,
        )
        for i in items
    ]
    versions.sort(key=lambda v: v.last_modified, reverse=True)
    return record, versions


def restore_version(runtime: Runtime, ref: str, version_id: str) -> FileRecord:
    """Copy `version_id` over the key (a new, current version) and record it."""
    record, versions = list_versions(runtime, ref)
    check_access(runtime, record, Access.CHANGE, ref)
    if record.status == FileStatus.DELETED:
        raise InputError(f"{record.originalName} is deleted.", "Restore the file first.")
    match = next((v for v in versions if v.version_id == version_id), None)
    if match is None:
        raise NotFoundError(f"{record.originalName} has no version {version_id}.")
    if match.is_delete_marker:
        raise InputError("That version is a delete marker; pick one holding data.")
    s3 = runtime.aws.s3
    bucket = record.s3Info.bucket
    response = s3.copy_object(
        Bucket=bucket,
        Key=record.key,
        CopySource={"Bucket": bucket, "Key": record.key, "VersionId": version_id},
        MetadataDirective="COPY",
        ChecksumAlgorithm="SHA256",
        **sse_args(runtime),
    )
    new_version = response.get("VersionId")
    info = head(s3, bucket, record.key, new_version)
    copied = response.get("CopyObjectResult", {}).get("ChecksumSHA256")
    checksum = full_object_checksum(info) or (copied if copied and "-" not in copied else None)
    runtime.store.files.update_one(
        {"_id": record.id},
        {
            "$set": {
                "size": int(info["ContentLength"]),
                "status": FileStatus.COMPLETED.value,
                "metadata.checksum": checksum,
                "s3Info.etag": str(info.get("ETag", "")).strip('"') or None,
                "s3Info.versionId": info.get("VersionId"),
                "updatedAt": utcnow(),
            }
        },
    )
    audit.record(
        runtime.store,
        runtime.operator,
        "restore-version",
        record.key,
        fileId=str(record.id),
        fromVersion=version_id,
        newVersion=new_version,
    )
    return get_file(runtime, str(record.id))
