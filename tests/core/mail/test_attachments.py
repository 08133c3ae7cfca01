"""Attachments: local and stored files, the guide's limits, SES's cap after base64."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from core.errors import InputError, NotFoundError
from core.mail import attachments as att
from core.mail.mime import Attachment
from core.models import FileRecord
from core.runtime import Runtime
from core.validation import EMAIL_CONSTANTS, AttachmentRef
from core.vocabulary import FileStatus


def test_local_file_is_read_with_type_and_checksum(tmp_path: Path) -> None:
    path = tmp_path / "résumé.pdf"
    path.write_bytes(b"%PDF-1.4 cv")
    item = att.read_local(str(path))
    assert item.filename == "résumé.pdf"
    assert item.content_type == "application/pdf"
    assert item.source["source"] == "local"
    assert item.source["checksum"] == att.checksum(b"%PDF-1.4 cv")


def test_missing_attachment_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Attachment not found"):
        att.read_local(str(tmp_path / "nope.pdf"))


def test_folder_is_not_an_attachment(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        att.read_local(str(tmp_path))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_attachment_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("x")
    path.chmod(0)
    with pytest.raises(InputError, match="not readable"):
        att.read_local(str(path))


def test_unreadable_attachment_via_os_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("x")

    def denied(self: Path, *args: object, **kwargs: object) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(InputError, match="not readable"):
        att.read_local(str(path))


def test_more_than_ten_attachments_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    refs = []
    for i in range(EMAIL_CONSTANTS.ATTACHMENT_MAX_COUNT + 1):
        (tmp_path / f"f{i}.txt").write_text("x")
        refs.append(AttachmentRef(path=str(tmp_path / f"f{i}.txt")))
    with pytest.raises(InputError, match="11 attachments; at most 10"):
        att.load(runtime, refs)


def test_total_over_25_mb_says_by_how_much() -> None:
    limit = EMAIL_CONSTANTS.ATTACHMENT_MAX_SIZE
    items = [
        Attachment("a.bin", "application/octet-stream", b"\0" * (limit // 2 + 1024 * 1024))
    ] * 2
    with pytest.raises(InputError) as info:
        att.check_total(items)
    assert "over by 2.0 MiB" in str(info.value)
    att.check_total(items[:1])  # half is fine


def test_message_over_40_mb_after_base64_says_by_how_much() -> None:
    raw = 31 * 1024 * 1024  # 41.3 MiB once base64-encoded
    with pytest.raises(InputError) as info:
        att.check_message_size(raw)
    text = str(info.value)
    assert "after base64" in text
    assert "over by 1.3 MiB" in text
    # 29 MiB raw is 38.7 MiB encoded: fine
    assert att.check_message_size(29 * 1024 * 1024) <= att.SES_V2_MAX_MESSAGE_BYTES


def test_stored_file_is_read_from_s3(
    runtime: Runtime, stored_file: Callable[..., FileRecord]
) -> None:
    record = stored_file()
    item = att.read_stored(runtime, str(record.id))
    assert item.filename == "contrat signé.pdf"
    assert item.data == b"%PDF-1.4 stored contract"
    assert item.source["fileId"] == str(record.id)
    assert item.source["key"] == record.key


def test_stored_file_that_is_not_completed_is_refused(
    runtime: Runtime, stored_file: Callable[..., FileRecord]
) -> None:
    record = stored_file(status=FileStatus.DELETED)
    with pytest.raises(InputError, match="only completed"):
        att.read_stored(runtime, str(record.id))


def test_unknown_stored_file(runtime: Runtime) -> None:
    with pytest.raises(NotFoundError):
        att.read_stored(runtime, "0123456789abcdef01234567")
    with pytest.raises(InputError, match="not a stored file id"):
        att.read_stored(runtime, "nope")


def test_stored_file_whose_bytes_are_gone(
    runtime: Runtime, stored_file: Callable[..., FileRecord]
) -> None:
    record = stored_file()
    runtime.store.files.update_one({"_id": record.id}, {"$unset": {"s3Info.versionId": ""}})
    runtime.aws.s3.delete_object(Bucket=record.s3Info.bucket, Key=record.key)
    with pytest.raises(NotFoundError, match="gone from S3"):
        att.read_stored(runtime, str(record.id))


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("payroll.bat", b"@echo off\r\ndel /q *\r\n", ".bat files (a Windows program or script)"),
        ("Invoice_2026_\u202efdp.bat", b"@echo off\r\n", "text-direction character (U+202E)"),
        ("page.html", b"<html><script>alert(1)</script>", ".html files (markup"),
        ("notes.txt", b"<svg onload=alert(1)>", "is an SVG image"),
        ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 60, "is a Windows executable"),
        ("empty.txt", b"", "is empty (0 bytes)"),
    ],
)
def test_local_attachments_follow_the_type_policy(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    for check in (att.read_local, att.check_local):  # sending, and the Compose picker
        with pytest.raises(InputError) as info:
            check(str(path))
        assert reason in str(info.value) and "\n" not in str(info.value)


def test_a_symlinked_attachment_is_refused_unless_followed(tmp_path: Path) -> None:
    target = tmp_path / "shadow"
    target.write_bytes(b"root:$6$secret:19000:0:99999:7:::\n")
    link = tmp_path / "invoice.txt"
    link.symlink_to(target)
    with pytest.raises(InputError, match="is a symbolic link") as info:
        att.read_local(str(link))
    assert str(info.value).startswith(f"Attachment {link} is a symbolic link (to {target})")
    with pytest.raises(InputError, match="is a symbolic link"):
        att.check_local(str(link))
    followed = att.read_local(str(link), follow_symlinks=True)
    assert followed.filename == "invoice.txt" and followed.content_type == "text/plain"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("run.bat", b"@echo off\r\ndel /q *\r\n", ".bat files (a Windows program or script)"),
        ("notes.txt", b"<html><script>alert(1)</script></html>", "is a web page (HTML)"),
    ],
)
def test_a_stored_file_the_policy_refuses_is_not_attached(
    runtime: Runtime,
    stored_file: Callable[..., FileRecord],
    name: str,
    data: bytes,
    reason: str,
) -> None:
    # stored by the CRM's web app, which checked only what the client said
    record = stored_file(name=name, data=data, content_type="text/plain")
    with pytest.raises(InputError) as info:
        att.read_stored(runtime, str(record.id))
    assert str(info.value).startswith("Not attached: ") and reason in str(info.value)
