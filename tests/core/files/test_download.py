"""Downloads over moto: verified before they appear, never outside the folder, never
over an existing file unless asked, and nothing partial left behind on any fault."""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.errors import CancelledError, InputError, NotFoundError, ServiceError
from core.files import download as download_mod
from core.files.download import download_file, download_many
from core.files.transfer import TransferTuning
from core.files.upload import UploadRequest, upload_file
from core.models import FileMetadata, FileRecord, S3Info
from core.runtime import Runtime
from core.vocabulary import FileCategory, FileStatus
from tests.core.files.conftest import S3Faults, pdf_bytes


@pytest.fixture
def uploaded(runtime: Runtime, big_pdf: Path, small_tuning: TransferTuning) -> FileRecord:
    return upload_file(runtime, UploadRequest(path=big_pdf), tuning=small_tuning)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def downloads(runtime: Runtime, record: FileRecord) -> int:
    doc = runtime.store.files.find_one({"_id": record.id})
    assert doc is not None
    return int(doc["access"]["downloadCount"])


def test_download_verifies_and_counts(
    runtime: Runtime,
    uploaded: FileRecord,
    big_pdf: Path,
    out: Path,
    small_tuning: TransferTuning,
) -> None:
    from core.files.transfer import transfer_client

    seen: list[int] = []
    calls: list[str] = []
    transfer_client(runtime).meta.events.register(
        "before-call.s3", lambda model, **_: calls.append(model.name)
    )
    result = download_file(
        runtime, str(uploaded.id), out, progress=lambda d, t: seen.append(d), tuning=small_tuning
    )
    assert calls == ["GetObject"] * 3  # three ranged GETs; the size we knew saved a HEAD
    assert result.path == out.resolve() / "big.pdf"
    assert result.path.read_bytes() == big_pdf.read_bytes()
    assert result.verified == "size + SHA-256"
    assert seen[-1] == uploaded.size
    assert listing(out) == ["big.pdf"]  # no temporary file left
    doc = runtime.store.files.find_one({"_id": uploaded.id})
    assert doc and doc["access"]["downloadCount"] == 1 and doc["access"]["lastAccessed"]


def test_refuses_to_overwrite_unless_told(
    runtime: Runtime, uploaded: FileRecord, big_pdf: Path, out: Path
) -> None:
    existing = out / "big.pdf"
    existing.write_bytes(b"mine")
    with pytest.raises(InputError, match="already exists"):
        download_file(runtime, str(uploaded.id), out)
    assert existing.read_bytes() == b"mine" and listing(out) == ["big.pdf"]
    both = download_file(runtime, str(uploaded.id), out, conflict="keep-both")
    assert both.path.name == "big (1).pdf" and existing.read_bytes() == b"mine"
    download_file(runtime, str(uploaded.id), out, conflict="overwrite")
    assert existing.read_bytes() == big_pdf.read_bytes()


def test_target_folder_missing_or_a_file(
    runtime: Runtime, uploaded: FileRecord, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="No such folder"):
        download_file(runtime, str(uploaded.id), tmp_path / "nope")
    afile = tmp_path / "afile"
    afile.write_bytes(b"")
    with pytest.raises(InputError, match="is a file, not a folder"):
        download_file(runtime, str(uploaded.id), afile)


def test_target_folder_read_only(
    runtime: Runtime, uploaded: FileRecord, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: answer as the kernel would for a user
        monkeypatch.setattr(download_mod.os, "access", lambda path, mode: False)
    try:
        with pytest.raises(InputError, match="read-only"):
            download_file(runtime, str(uploaded.id), out)
    finally:
        out.chmod(0o755)
    assert listing(out) == []


def test_disk_full_leaves_nothing(
    runtime: Runtime,
    uploaded: FileRecord,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_tuning: TransferTuning,
) -> None:
    from core.files import transfer

    calls = [0]

    def full(fd: int, data: Any, offset: int) -> int:
        calls[0] += 1
        if calls[0] > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return os.pwrite(fd, data, offset)

    monkeypatch.setattr(transfer, "_pwrite", full)
    with pytest.raises(ServiceError, match="Disk full") as info:
        download_file(runtime, str(uploaded.id), out, tuning=small_tuning)
    assert "nothing was kept" in str(info.value)
    assert listing(out) == []
    assert downloads(runtime, uploaded) == 0


def test_checksum_mismatch_discards_the_file(
    runtime: Runtime, uploaded: FileRecord, out: Path
) -> None:
    runtime.store.files.update_one(
        {"_id": uploaded.id}, {"$set": {"metadata.checksum": "AAAA" + "A" * 40}}
    )
    with pytest.raises(ServiceError, match=r"Checksum mismatch.*discarded"):
        download_file(runtime, str(uploaded.id), out)
    assert listing(out) == []
    assert downloads(runtime, uploaded) == 0


def put_record(runtime: Runtime, key: str, name: str, data: bytes) -> FileRecord:
    bucket = runtime.settings.aws_s3_bucket
    assert bucket
    put = runtime.aws.s3.put_object(Bucket=bucket, Key=key, Body=data)
    record = FileRecord(
        key=key,
        fileName="x",
        originalName=name,
        contentType="application/pdf",
        size=len(data),
        category=FileCategory.GENERAL,
        status=FileStatus.COMPLETED,
        userId="tester",
        metadata=FileMetadata(uploadedBy="tester"),
        s3Info=S3Info(bucket=bucket, region="us-east-1", versionId=put.get("VersionId")),
    )
    rid = runtime.store.files.insert_one(record.to_mongo()).inserted_id
    return record.model_copy(update={"id": rid})


@pytest.mark.parametrize(
    ("key", "name", "lands_as"),
    [
        ("../../escape.pdf", "../../escape.pdf", "escape.pdf"),
        ("/etc/passwd", "/etc/passwd", "passwd"),
        ("general/tester/../../../x.pdf", "..", "x.pdf"),
        ("a/b/evil\x1b[2J.pdf", "evil\x1b[2J.pdf", "evil_[2J.pdf"),
    ],
)
def test_keys_with_path_parts_stay_inside_the_folder(
    runtime: Runtime, out: Path, key: str, name: str, lands_as: str
) -> None:
    record = put_record(runtime, key, name, pdf_bytes())
    result = download_file(runtime, str(record.id), out)
    assert result.path.parent == out.resolve()
    assert listing(out) == [lands_as]
    assert result.verified == "size (no checksum recorded)"
    assert not (out.parent / "escape.pdf").exists()


def test_missing_object(runtime: Runtime, uploaded: FileRecord, out: Path) -> None:
    runtime.aws.s3.delete_object(
        Bucket=uploaded.s3Info.bucket, Key=uploaded.key, VersionId=uploaded.s3Info.versionId
    )
    with pytest.raises(NotFoundError, match="missing from S3"):
        download_file(runtime, str(uploaded.id), out)
    assert listing(out) == []


@pytest.mark.parametrize("code", ["AccessDenied", "ExpiredToken", "NoSuchKey"])
def test_s3_errors_leave_nothing(
    runtime: Runtime, uploaded: FileRecord, out: Path, s3_faults: S3Faults, code: str
) -> None:
    s3_faults.error("GetObject", code, status=404 if code == "NoSuchKey" else 403)
    with pytest.raises(ServiceError, match=code):
        download_file(runtime, str(uploaded.id), out)
    assert listing(out) == []
    assert downloads(runtime, uploaded) == 0


def test_network_drop_mid_download(
    runtime: Runtime,
    uploaded: FileRecord,
    out: Path,
    s3_faults: S3Faults,
    small_tuning: TransferTuning,
) -> None:
    s3_faults.drop("GetObject", after=1)
    with pytest.raises(ServiceError, match="Connection was closed"):
        download_file(runtime, str(uploaded.id), out, tuning=small_tuning)
    assert listing(out) == []


def test_cancel_mid_download(
    runtime: Runtime, uploaded: FileRecord, out: Path, small_tuning: TransferTuning
) -> None:
    cancel = threading.Event()
    with pytest.raises(CancelledError):
        download_file(
            runtime,
            str(uploaded.id),
            out,
            progress=lambda d, t: cancel.set(),
            cancel=cancel,
            tuning=small_tuning,
        )
    assert listing(out) == []


def test_deleted_or_unfinished_files_are_refused(
    runtime: Runtime, uploaded: FileRecord, out: Path
) -> None:
    runtime.store.files.update_one({"_id": uploaded.id}, {"$set": {"status": "deleted"}})
    with pytest.raises(InputError, match="is deleted"):
        download_file(runtime, str(uploaded.id), out)
    runtime.store.files.update_one({"_id": uploaded.id}, {"$set": {"status": "uploading"}})
    with pytest.raises(InputError, match="not completed"):
        download_file(runtime, str(uploaded.id), out)


def test_several_files_with_bounded_concurrency(
    runtime: Runtime,
    make_file: Callable[..., Path],
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = [
        upload_file(runtime, UploadRequest(path=make_file(f"f{i}.pdf", pdf_bytes(i * 100))))
        for i in range(5)
    ]
    active, peak, lock = [0], [0], threading.Lock()
    real = download_mod.download_file

    def tracked(*args: Any, **kwargs: Any) -> Any:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            threading.Event().wait(0.05)
            return real(*args, **kwargs)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(download_mod, "download_file", tracked)
    refs = [str(r.id) for r in records] + ["000000000000000000000000"]
    outcomes = download_many(runtime, refs, out, max_parallel=2)
    assert [o.ok for o in outcomes] == [True] * 5 + [False]
    assert isinstance(outcomes[-1].error, NotFoundError)
    assert 1 < peak[0] <= 2
    assert listing(out) == [f"f{i}.pdf" for i in range(5)]


def test_keep_both_takes_the_next_free_name_if_one_appears(
    runtime: Runtime, uploaded: FileRecord, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (out / "big.pdf").write_bytes(b"mine")
    real = download_mod._place

    def racing(tmp: str, path: Path, conflict: Any) -> Path:
        if not (out / "big (1).pdf").exists():
            (out / "big (1).pdf").write_bytes(b"someone else")  # lands first
        return real(tmp, path, conflict)

    monkeypatch.setattr(download_mod, "_place", racing)
    result = download_file(runtime, str(uploaded.id), out, conflict="keep-both")
    assert result.path.name == "big (2).pdf"
    assert (out / "big (1).pdf").read_bytes() == b"someone else"


def test_mongo_down_after_a_download_keeps_the_file_and_says_so(
    runtime: Runtime, uploaded: FileRecord, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pymongo.errors import ServerSelectionTimeoutError

    def down(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise ServerSelectionTimeoutError("no servers")

    monkeypatch.setattr(type(runtime.store.files), "update_one", down)
    result = download_file(runtime, str(uploaded.id), out)
    assert result.path.exists() and result.warning and "MongoDB down" in result.warning


def test_mongo_down_before_a_download_refuses(
    runtime: Runtime, uploaded: FileRecord, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pymongo.errors import ServerSelectionTimeoutError

    from core.errors import StoreUnavailableError

    def down(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise ServerSelectionTimeoutError("no servers")

    monkeypatch.setattr(type(runtime.store.files), "find_one", down)
    with pytest.raises(StoreUnavailableError, match="MongoDB is unreachable"):
        download_file(runtime, str(uploaded.id), out)
    assert listing(out) == []
