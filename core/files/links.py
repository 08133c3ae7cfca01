"""Links: a presigned GET for a stored file (expiry the operator picks, at most the
7 days SigV4 allows, the original name as Content-Disposition per RFC 6266), and a
presigned POST for someone else's upload with the size cap and content type in the
signed policy (the guide's presigned PUT could not cap the size). The POST creates
the `uploading` record; completing it asks S3 (HEAD), not the client."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from core import audit
from core.errors import InputError, NotFoundError
from core.files.catalogue import Access, get_file
from core.files.checks import SNIFF_BYTES, check_claim, check_tags, check_type
from core.files.keys import make_key
from core.files.transfer import error_code
from core.files.upload import (
    abort_multipart,
    bucket_of,
    full_object_checksum,
    head,
    insert_record,
    sse_args,
)
from core.models import FileMetadata, FileRecord, S3Info, utcnow
from core.validation import GenerateUploadUrlRequest, safe_file_name
from core.vocabulary import FileStatus

if TYPE_CHECKING:
    from core.runtime import Runtime

DEFAULT_EXPIRY = 3600
MAX_EXPIRY = 7 * 24 * 3600  # SigV4's limit
UPLOAD_URL_EXPIRY = 900  # the guide's 15 minutes


def check_expiry(seconds: int) -> int:
    if seconds < 1 or seconds > MAX_EXPIRY:
        raise InputError(
            f"Link expiry {seconds}s is out of range.", "Pick between 1 second and 7 days."
        )
    return seconds


def parse_duration(text: str) -> int:
    """`90`, `90s`, `15m`, `1h`, `7d` -> seconds."""
    value = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    try:
        if value and value[-1] in units:
            number = float(value[:-1])
            if not math.isfinite(number):  # `inf`, `nan`: float() takes them
                raise ValueError(value)
            return int(number * units[value[-1]])
        return int(value)
    except ValueError:
        raise InputError(f"expires: bad duration {text!r}.", "Use e.g. 30m, 1h, 7d.") from None


def content_disposition(name: str, inline: bool = False) -> str:
    """RFC 6266: an ASCII fallback plus `filename*` in UTF-8 for the real name."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@dataclass(frozen=True)
class PresignedLink:
    url: str
    expires_at: datetime
    record: FileRecord


def presign_get(
    runtime: Runtime, ref: str, expires_in: int = DEFAULT_EXPIRY, inline: bool = False
) -> PresignedLink:
    check_expiry(expires_in)
    record = get_file(runtime, ref)
    if record.status != FileStatus.COMPLETED:
        raise InputError(f"{record.originalName} is {record.status.value}; no link for it.")
    params: dict[str, Any] = {
        "Bucket": record.s3Info.bucket,
        "Key": record.key,
        "ResponseContentDisposition": content_disposition(record.originalName, inline),
        "ResponseContentType": record.contentType,
    }
    url: str = runtime.aws.s3.generate_presigned_url(
        "get_object", Params=params, ExpiresIn=expires_in
    )
    expires_at = utcnow() + timedelta(seconds=expires_in)
    audit.record(
        runtime.store,
        runtime.operator,
        "presign",
        record.key,
        fileId=str(record.id),
        expiresIn=expires_in,
    )
    return PresignedLink(url=url, expires_at=expires_at, record=record)


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]
    record: FileRecord
    expires_at: datetime
    max_size: int


def presign_post(
    runtime: Runtime,
    request: GenerateUploadUrlRequest,
    expires_in: int = UPLOAD_URL_EXPIRY,
    tags: list[str] | None = None,
) -> PresignedPost:
    """An upload form for someone else: creates the `uploading` record first."""
    from core.files.upload import SYSTEM_METADATA

    check_expiry(expires_in)
    check_claim(request.fileName, request.contentType)  # a .png promised as a PDF: no
    max_size = min(request.maxSizeBytes, runtime.settings.file_max_size)
    forged = sorted(SYSTEM_METADATA & set(request.metadata or {}))
    if forged:
        raise InputError(f"Metadata may not set {', '.join(forged)}: the console records those.")
    user_id = runtime.user_id  # the CRM user id (the login stays in `operator`)
    expires_at = utcnow() + timedelta(seconds=expires_in)
    record = FileRecord(
        key=make_key(request.category.value, user_id, request.fileName),
        fileName=safe_file_name(request.fileName),
        originalName=request.fileName,
        contentType=request.contentType,
        size=0,
        category=request.category,
        status=FileStatus.UPLOADING,
        isPublic=request.isPublic,
        userId=user_id,
        clientId=request.clientId,
        departmentId=request.departmentId,
        metadata=FileMetadata(
            **(request.metadata or {}), uploadedBy=user_id, tags=check_tags(tags or [])
        ),
        operator=runtime.operator,
        s3Info=S3Info(bucket=bucket_of(runtime), region=runtime.settings.s3_region),
        sse=runtime.settings.s3_sse,
        uploadExpiresAt=expires_at,
        maxSize=max_size,
    )
    record = insert_record(runtime, record)
    sse = sse_args(runtime)
    fields: dict[str, str] = {"Content-Type": request.contentType}
    conditions: list[Any] = [
        ["content-length-range", 1, max_size],
        {"Content-Type": request.contentType},
    ]
    for name, value in (("x-amz-server-side-encryption", sse["ServerSideEncryption"]),):
        fields[name] = value
        conditions.append({name: value})
    if "SSEKMSKeyId" in sse:
        fields["x-amz-server-side-encryption-aws-kms-key-id"] = sse["SSEKMSKeyId"]
        conditions.append({"x-amz-server-side-encryption-aws-kms-key-id": sse["SSEKMSKeyId"]})
    fields["x-amz-meta-record-id"] = str(record.id)
    conditions.append({"x-amz-meta-record-id": str(record.id)})
    post = runtime.aws.s3.generate_presigned_post(
        Bucket=record.s3Info.bucket,
        Key=record.key,
        Fields=fields,
        Conditions=conditions,
        ExpiresIn=expires_in,
    )
    audit.record(
        runtime.store,
        runtime.operator,
        "presign-upload",
        record.key,
        fileId=str(record.id),
        maxSize=max_size,
        contentType=request.contentType,
        expiresIn=expires_in,
    )
    return PresignedPost(
        url=post["url"],
        fields=dict(post["fields"]),
        record=record,
        expires_at=expires_at,
        max_size=max_size,
    )


def complete_upload(runtime: Runtime, ref: str) -> FileRecord:
    """Complete an `uploading` record from what S3 holds (HEAD decides, not the
    client): size within the cap, the bytes' type the one promised and within the
    type policy (checks.check_type). Refused objects are deleted and the record marked
    `failed` with the reason."""
    from core.files.upload import _discard_object

    record = get_file(runtime, ref, Access.CHANGE)
    if record.status != FileStatus.UPLOADING:
        return record
    s3 = runtime.aws.s3
    bucket = record.s3Info.bucket
    try:
        info = head(s3, bucket, record.key)
    except Exception as exc:
        code = error_code(exc)
        if code not in {"404", "NoSuchKey"}:
            raise
        extra = record.model_extra or {}
        expires = extra.get("uploadExpiresAt")
        if isinstance(expires, datetime) and expires.tzinfo is None:
            from datetime import UTC

            expires = expires.replace(tzinfo=UTC)
        if isinstance(expires, datetime) and expires < utcnow():
            _set_failed(runtime, record, "never uploaded (the upload link expired)")
            abort_multipart(s3, bucket, record.key)
            raise NotFoundError(
                f"{record.originalName} was never uploaded; the link expired. Marked failed."
            ) from None
        raise NotFoundError(
            f"{record.originalName} is not in S3 yet.", "Try again after the upload."
        ) from None
    size = int(info["ContentLength"])
    cap = int((record.model_extra or {}).get("maxSize") or runtime.settings.file_max_size)
    name = record.originalName
    problem = None  # a sentence naming the file
    if size == 0:
        problem = f"{name}: the uploaded object is empty"
    elif size > cap:
        problem = f"{name}: the uploaded object is {size} bytes, over the {cap}-byte cap"
    else:
        head_bytes = s3.get_object(
            Bucket=bucket, Key=record.key, Range=f"bytes=0-{SNIFF_BYTES - 1}"
        )["Body"].read()
        try:
            sniffed = check_type(head_bytes, name, complete=size <= SNIFF_BYTES)
        except InputError as exc:
            problem = exc.message.rstrip(".")
        else:
            if sniffed != record.contentType and not (
                sniffed.startswith("text/") and record.contentType.startswith("text/")
            ):
                problem = f"{name}: the content is {sniffed}, not the promised {record.contentType}"
    if problem:
        _discard_object(s3, bucket, record.key)
        _set_failed(runtime, record, problem)
        raise InputError(f"{problem}; the object was deleted.")
    runtime.store.files.update_one(
        {"_id": record.id},
        {
            "$set": {
                "size": size,
                "status": FileStatus.COMPLETED.value,
                "metadata.checksum": full_object_checksum(info),
                "s3Info.etag": str(info.get("ETag", "")).strip('"') or None,
                "s3Info.versionId": info.get("VersionId"),
                "sse": info.get("ServerSideEncryption") or record.sse,
                "updatedAt": utcnow(),
            }
        },
    )
    audit.record(
        runtime.store,
        runtime.operator,
        "complete-upload",
        record.key,
        fileId=str(record.id),
        size=size,
    )
    return get_file(runtime, str(record.id))


def _set_failed(runtime: Runtime, record: FileRecord, reason: str) -> None:
    runtime.store.files.update_one(
        {"_id": record.id},
        {"$set": {"status": FileStatus.FAILED.value, "error": reason, "updatedAt": utcnow()}},
    )
    audit.record(runtime.store, runtime.operator, "upload-failed", record.key, reason=reason)
