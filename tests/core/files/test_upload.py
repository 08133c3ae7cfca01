"""Uploads over moto: the record comes first, S3 holds what the record says, and
every failure leaves a `failed` record, no object and no multipart upload."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from core.errors import CancelledError, InputError, ServiceError, StoreUnavailableError
from core.files.transfer import TransferTuning, transfer_client
from core.files.upload import UploadRequest, upload_file, upload_many
from core.runtime import Runtime
from core.vocabulary import FileCategory, FileStatus
from tests.core.files.conftest import (
    S3Faults,
    object_keys,
    pdf_bytes,
    pending_uploads,
    png_bytes,
)


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def only_record(runtime: Runtime) -> dict[str, Any]:
    docs = list(runtime.store.files.find())
    assert len(docs) == 1
    return docs[0]


def assert_nothing_left(runtime: Runtime) -> None:
    assert pending_uploads(runtime) == []
    assert object_keys(runtime) == []


def test_multipart_upload_records_what_s3_holds(
    runtime: Runtime, big_pdf: Path, small_tuning: TransferTuning
) -> None:
    seen: list[tuple[int, int]] = []
    headers: list[dict[str, str]] = []

    def sent(request: Any, **_: Any) -> None:
        headers.append({k.lower(): str(v, "ascii") for k, v in request.headers.items()})

    transfer_client(runtime).meta.events.register("before-send.s3.UploadPart", sent)
    request = UploadRequest(
        path=big_pdf,
        category=FileCategory.CONTRACT,
        tags=["q3", "signed"],
        clientId="683d063fe345c182ead5c02a",
        departmentId="legal",
        metadata={"ticket": "T-7"},
    )
    record = upload_file(
        runtime, request, progress=lambda d, t: seen.append((d, t)), tuning=small_tuning
    )
    data = big_pdf.read_bytes()
    assert record.status == FileStatus.COMPLETED
    assert record.size == len(data)
    assert record.metadata.checksum == sha256_b64(data)
    assert record.metadata.uploadedBy == "tester" and record.userId == "tester"
    assert record.metadata.tags == ["q3", "signed"]
    assert record.metadata.model_extra == {"ticket": "T-7"}
    assert record.key.startswith("contract/tester/") and record.key.endswith("-big.pdf")
    assert record.s3Info.etag and record.s3Info.etag.endswith("-3")  # three parts
    head = runtime.aws.s3.head_object(
        Bucket=record.s3Info.bucket, Key=record.key, ChecksumMode="ENABLED"
    )
    assert head["VersionId"] == record.s3Info.versionId
    assert head["ServerSideEncryption"] == "AES256" == record.sse
    assert head["ChecksumSHA256"]  # S3 checked SHA-256 per part
    assert head["Metadata"]["record-id"] == str(record.id)
    assert seen[-1] == (len(data), len(data))
    assert pending_uploads(runtime) == []
    # each part carries a SHA-256 S3 verifies; the body is not hashed again to sign it
    assert len(headers) == 3
    for h in headers:
        assert h["x-amz-sdk-checksum-algorithm"] == "SHA256"
        assert "UNSIGNED-PAYLOAD" in h["x-amz-content-sha256"]
    entry = runtime.store.auditlog.find_one({"action": "upload"})
    assert entry and entry["target"] == record.key and entry["details"]["size"] == len(data)


def test_single_part_checksum_matches_s3s(runtime: Runtime, make_file: Callable[..., Path]) -> None:
    path = make_file("logo.png", png_bytes())
    record = upload_file(runtime, UploadRequest(path=path, category=FileCategory.AVATAR))
    head = runtime.aws.s3.head_object(
        Bucket=record.s3Info.bucket, Key=record.key, ChecksumMode="ENABLED"
    )
    assert head["ChecksumSHA256"] == record.metadata.checksum == sha256_b64(path.read_bytes())
    assert record.contentType == "image/png" == head["ContentType"]


def test_record_exists_before_any_byte_is_sent(
    runtime: Runtime, make_file: Callable[..., Path]
) -> None:
    path = make_file("a.pdf", pdf_bytes())
    statuses: list[str] = []

    def check(params: dict[str, Any], **_: Any) -> None:
        doc = runtime.store.files.find_one({"originalName": "a.pdf"})
        statuses.append(doc["status"] if doc else "missing")

    client = transfer_client(runtime)
    client.meta.events.register("before-call.s3.PutObject", check)
    try:
        upload_file(runtime, UploadRequest(path=path))
    finally:
        client.meta.events.unregister("before-call.s3.PutObject", check)
    assert statuses == ["uploading"]


def test_mongo_down_means_no_upload_starts(
    runtime: Runtime, make_file: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_file("a.pdf", pdf_bytes())
    collection = type(runtime.store.files)

    def down(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise ServerSelectionTimeoutError("no servers")

    monkeypatch.setattr(collection, "insert_one", down)
    with pytest.raises(StoreUnavailableError, match="the upload was not started"):
        upload_file(runtime, UploadRequest(path=path))
    assert_nothing_left(runtime)


def test_caller_metadata_cannot_forge_the_uploader(
    runtime: Runtime, make_file: Callable[..., Path]
) -> None:
    # the guide spread caller metadata over {uploadedBy}: anyone could claim any upload
    path = make_file("a.pdf", pdf_bytes())
    for forged in ({"uploadedBy": "mallory"}, {"userId": "mallory"}, {"checksum": "x"}):
        with pytest.raises(InputError, match="Metadata may not set"):
            upload_file(runtime, UploadRequest(path=path, metadata=forged))
    assert runtime.store.files.count_documents({}) == 0
    assert_nothing_left(runtime)


def test_uploads_carry_the_crm_user_id_and_the_login_stays_in_operator(
    runtime: Runtime, make_file: Callable[..., Path]
) -> None:
    from dataclasses import replace

    from core.files.catalogue import get_file
    from core.files.lifecycle import soft_delete

    before = upload_file(runtime, UploadRequest(path=make_file("before.pdf", pdf_bytes())))
    assert (before.userId, before.metadata.uploadedBy, before.operator) == ("tester",) * 3
    runtime.identity = replace(runtime.whoami(), crm_user_id="64f0c0ffee")
    record = upload_file(runtime, UploadRequest(path=make_file("a.pdf", pdf_bytes())))
    doc = runtime.store.files.find_one({"_id": record.id})
    assert doc and doc["userId"] == "64f0c0ffee" and doc["metadata"]["uploadedBy"] == "64f0c0ffee"
    assert doc["operator"] == "tester" and doc["key"].split("/")[1] == "64f0c0ffee"
    head = runtime.aws.s3.head_object(Bucket=record.s3Info.bucket, Key=record.key)
    assert head["Metadata"]["uploaded-by"] == "64f0c0ffee"
    # both are the operator's own: the one uploaded under the login and the new one
    for mine in (before, record):
        soft_delete(runtime, str(mine.id))
        assert get_file(runtime, str(mine.id)).status == FileStatus.DELETED


@pytest.mark.parametrize(
    ("operation", "code", "hint"),
    [
        ("CreateMultipartUpload", "AccessDenied", "iam-policy"),
        ("UploadPart", "ExpiredToken", "aws sso login"),
    ],
)
def test_s3_errors_fail_the_record(
    runtime: Runtime,
    big_pdf: Path,
    small_tuning: TransferTuning,
    s3_faults: S3Faults,
    operation: str,
    code: str,
    hint: str,
) -> None:
    s3_faults.error(operation, code, after=1 if operation == "UploadPart" else 0)
    with pytest.raises(ServiceError, match=code) as info:
        upload_file(runtime, UploadRequest(path=big_pdf), tuning=small_tuning)
    assert hint in str(info.value)
    doc = only_record(runtime)
    assert doc["status"] == "failed" and code in doc["error"]
    s3_faults.clear()
    assert_nothing_left(runtime)


def test_network_drop_mid_upload(
    runtime: Runtime, big_pdf: Path, small_tuning: TransferTuning, s3_faults: S3Faults
) -> None:
    s3_faults.drop("UploadPart", after=1)  # the first part goes, then the line is dead
    with pytest.raises(ServiceError, match="Connection was closed"):
        upload_file(runtime, UploadRequest(path=big_pdf), tuning=small_tuning)
    assert only_record(runtime)["status"] == "failed"
    s3_faults.clear()
    assert_nothing_left(runtime)


def test_cancel_stops_and_cleans_up(
    runtime: Runtime, big_pdf: Path, small_tuning: TransferTuning
) -> None:
    cancel = threading.Event()
    with pytest.raises(CancelledError):
        upload_file(
            runtime,
            UploadRequest(path=big_pdf),
            progress=lambda d, t: cancel.set(),
            cancel=cancel,
            tuning=small_tuning,
        )
    doc = only_record(runtime)
    assert doc["status"] == "failed" and doc["error"] == "cancelled"
    assert_nothing_left(runtime)


def test_file_growing_during_upload_is_refused(
    runtime: Runtime, big_pdf: Path, small_tuning: TransferTuning
) -> None:
    grown = threading.Event()

    def grow(done: int, total: int) -> None:
        if not grown.is_set():
            grown.set()
            with big_pdf.open("ab") as fh:
                fh.write(b"more bytes")

    with pytest.raises(InputError, match="grew while uploading"):
        upload_file(runtime, UploadRequest(path=big_pdf), progress=grow, tuning=small_tuning)
    assert only_record(runtime)["status"] == "failed"
    assert_nothing_left(runtime)


def test_file_vanishing_during_upload_is_refused(
    runtime: Runtime, big_pdf: Path, small_tuning: TransferTuning
) -> None:
    def vanish(done: int, total: int) -> None:
        big_pdf.unlink(missing_ok=True)

    with pytest.raises(InputError, match="vanished while uploading"):
        upload_file(runtime, UploadRequest(path=big_pdf), progress=vanish, tuning=small_tuning)
    assert only_record(runtime)["status"] == "failed"
    assert_nothing_left(runtime)


def test_kms_encryption_from_settings(runtime: Runtime, make_file: Callable[..., Path]) -> None:
    runtime.settings = runtime.settings.model_copy(update={"s3_sse": "aws:kms"})
    record = upload_file(runtime, UploadRequest(path=make_file("a.pdf", pdf_bytes())))
    head = runtime.aws.s3.head_object(Bucket=record.s3Info.bucket, Key=record.key)
    assert head["ServerSideEncryption"] == "aws:kms" == record.sse


def test_upload_many_reports_each_file(runtime: Runtime, make_file: Callable[..., Path]) -> None:
    good = [make_file("a.pdf", pdf_bytes()), make_file("b.txt", b"notes\n")]
    bad = make_file("c.pdf", b"not a pdf\n")
    outcomes = upload_many(runtime, [UploadRequest(path=p) for p in [*good, bad]])
    assert [o.ok for o in outcomes] == [True, True, False]
    assert isinstance(outcomes[2].error, InputError)
    assert runtime.store.files.count_documents({"status": "completed"}) == 2


def test_long_non_ascii_name_fits_s3_metadata(
    runtime: Runtime, make_file: Callable[..., Path]
) -> None:
    name = "é" * 200 + ".pdf"  # allowed (<= 255 characters) but ~1.8 KB once quoted
    record = upload_file(runtime, UploadRequest(path=make_file("x.pdf", pdf_bytes()), name=name))
    head = runtime.aws.s3.head_object(Bucket=record.s3Info.bucket, Key=record.key)
    assert record.originalName == name and "original-name" not in head["Metadata"]
    assert sum(len(k) + len(v) for k, v in head["Metadata"].items()) < 2048
