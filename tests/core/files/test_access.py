"""One access check for every path that uses a file record: each path x role x kind
of file (own, another user's private, another user's public, own but deleted) gives
the expected outcome. The refusal messages are checked once, at the end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId

from core.errors import AccessDeniedError, InputError, NotFoundError
from core.files.catalogue import get_file
from core.files.download import download_file
from core.files.lifecycle import purge, soft_delete
from core.files.links import presign_get
from core.files.metadata import update_metadata
from core.files.preview import preview
from core.files.versions import list_versions, restore_version
from core.mail import attachments as att
from core.mail import send as mail
from core.mail.resend import prepare_resend
from core.models import FileMetadata, FileRecord, S3Info, utcnow
from core.runtime import Runtime
from core.validation import AttachmentRef, SendEmailRequest
from core.vocabulary import FileCategory, FileStatus

KINDS = ("own", "other private", "other public", "deleted")
ROLES = ("operator", "support", "admin")


def as_role(runtime: Runtime, role: str) -> None:
    runtime.identity = replace(runtime.whoami(), role=role)


def make_files(runtime: Runtime) -> dict[str, FileRecord]:
    """The four kinds, each a completed record with its bytes in S3 (two versions)."""
    bucket = runtime.settings.aws_s3_bucket
    assert bucket
    owners = {"own": "tester", "other private": "bob", "other public": "bob", "deleted": "tester"}
    records: dict[str, FileRecord] = {}
    for kind, owner in owners.items():
        key = f"general/{owner}/{ObjectId()}-notes.txt"
        runtime.aws.s3.put_object(Bucket=bucket, Key=key, Body=b"first notes\n")
        put = runtime.aws.s3.put_object(Bucket=bucket, Key=key, Body=b"client notes\n")
        record = FileRecord(
            key=key,
            fileName="notes.txt",
            originalName="notes.txt",
            contentType="text/plain",
            size=13,
            category=FileCategory.GENERAL,
            status=FileStatus.DELETED if kind == "deleted" else FileStatus.COMPLETED,
            isPublic=kind == "other public",
            userId=owner,
            metadata=FileMetadata(uploadedBy=owner),
            s3Info=S3Info(bucket=bucket, region="us-east-1", versionId=put["VersionId"]),
            deletedAt=utcnow() if kind == "deleted" else None,
        )
        record.id = runtime.store.files.insert_one(record.to_mongo()).inserted_id
        records[kind] = record
    return records


def first_version(runtime: Runtime, record: FileRecord) -> str:
    listed = runtime.aws.s3.list_object_versions(Bucket=record.s3Info.bucket, Prefix=record.key)
    return next(
        str(v["VersionId"]) for v in listed["Versions"] if v["VersionId"] != record.s3Info.versionId
    )


def resend_with(runtime: Runtime, record: FileRecord, _folder: Path) -> Any:
    """A logged message (sent by someone) that carried the file; resend it."""
    sent = mail.send(
        runtime,
        SendEmailRequest.model_validate(
            {
                "to": ["c@example.com"],
                "subject": "s",
                "textContent": "t",
                "category": "notification",
            }
        ),
    )
    entry = {"filename": "notes.txt", "source": "stored", "fileId": str(record.id)}
    runtime.store.emaillogs.update_one(
        {"_id": ObjectId(sent.log_ids[0])}, {"$set": {"attachments": [entry]}}
    )
    return prepare_resend(runtime, sent.log_ids[0])


Path_ = Callable[[Runtime, FileRecord, Path], Any]

PATHS: dict[str, Path_] = {
    "download": lambda rt, r, tmp: download_file(rt, str(r.id), tmp),
    "link": lambda rt, r, tmp: presign_get(rt, str(r.id)),
    "preview": lambda rt, r, tmp: preview(rt, str(r.id)),
    "attach": lambda rt, r, tmp: att.load(rt, [AttachmentRef(fileId=str(r.id))]),
    "attach picker": lambda rt, r, tmp: r.id in {f.id for f in att.attachable_files(rt)},
    "resend": resend_with,
    "versions": lambda rt, r, tmp: list_versions(rt, str(r.id)),
    "tags view": lambda rt, r, tmp: update_metadata(rt, str(r.id)),
    "tag edit": lambda rt, r, tmp: update_metadata(rt, str(r.id), add_tags=["x"]),
    "delete": lambda rt, r, tmp: soft_delete(rt, str(r.id)),
    "restore version": lambda rt, r, tmp: restore_version(rt, str(r.id), first_version(rt, r)),
    "purge": lambda rt, r, tmp: purge(rt, str(r.id), r.originalName),
}

# ok: allowed; hidden: not found / not listed (the operator may not read it);
# denied: readable, but the role may not do this; gone: refused because it is deleted.
ok, hidden, denied, gone = "ok", "hidden", "denied", "gone"
READ = {"operator": (ok, hidden, ok, ok), "support": (ok,) * 4, "admin": (ok,) * 4}
SENDS = {  # a deleted file is neither downloaded, linked nor attached
    "operator": (ok, hidden, ok, gone),
    "support": (ok, ok, ok, gone),
    "admin": (ok, ok, ok, gone),
}
EXPECTED: dict[str, dict[str, tuple[str, ...]]] = {
    "download": SENDS,
    "link": SENDS,
    "preview": READ,
    "attach": SENDS,
    "attach picker": {role: (*row[:3], hidden) for role, row in SENDS.items()},
    "resend": SENDS,
    "versions": READ,
    "tags view": READ,
    "tag edit": {
        "operator": (ok, hidden, denied, ok),
        "support": (ok, denied, denied, ok),
        "admin": (ok, ok, ok, ok),
    },
    "delete": {
        "operator": (ok, hidden, denied, gone),
        "support": (ok, denied, denied, gone),
        "admin": (ok, ok, ok, gone),
    },
    "restore version": {
        "operator": (ok, hidden, denied, gone),
        "support": (ok, denied, denied, gone),
        "admin": (ok, ok, ok, gone),
    },
    "purge": {
        "operator": (denied, hidden, denied, denied),
        "support": (denied,) * 4,
        "admin": (ok,) * 4,
    },
}


def outcome(call: Callable[[], Any]) -> str:
    try:
        result = call()
    except AccessDeniedError:
        return denied
    except NotFoundError as exc:
        assert "not yours and not public" in str(exc)
        return hidden
    except InputError as exc:
        assert "deleted" in str(exc), exc
        return gone
    return hidden if result is False else ok


@pytest.mark.parametrize("path", PATHS)
def test_every_path_applies_the_access_rule(path: str, runtime: Runtime, tmp_path: Path) -> None:
    seen: dict[str, tuple[str, ...]] = {}
    for role in ROLES:
        records = make_files(runtime)  # fresh: some paths change them
        as_role(runtime, role)
        row = []
        for kind in KINDS:
            folder = tmp_path / role / kind
            folder.mkdir(parents=True)
            row.append(outcome(lambda: PATHS[path](runtime, records[kind], folder)))  # noqa: B023
        seen[role] = tuple(row)
    assert seen == EXPECTED[path]


def test_the_refusals_say_why(runtime: Runtime) -> None:
    records = make_files(runtime)
    other = str(records["other private"].id)
    with pytest.raises(NotFoundError) as hidden_file:
        att.read_stored(runtime, other)  # send --attach-stored: as a download would
    assert str(hidden_file.value) == (
        f"No file {other} (or it is not yours and not public). List files with `depllc files list`."
    )
    as_role(runtime, "support")
    assert att.read_stored(runtime, other).data == b"client notes\n"
    with pytest.raises(AccessDeniedError) as not_theirs:
        soft_delete(runtime, other)
    assert str(not_theirs.value) == (
        "notes.txt belongs to bob; only its uploader or an admin may change it."
    )
    with pytest.raises(AccessDeniedError) as not_admin:
        purge(runtime, str(records["own"].id), "notes.txt")
    assert str(not_admin.value) == "Only an admin may purge notes.txt (your role: support)."
    assert get_file(runtime, str(records["own"].id)).status == FileStatus.COMPLETED


@pytest.mark.parametrize(("role", "hidden"), [("operator", 1), ("support", 0), ("admin", 0)])
def test_the_files_a_role_hides_are_counted(runtime: Runtime, role: str, hidden: int) -> None:
    from core.files.catalogue import visibility
    from core.validation import FileQuery

    make_files(runtime)
    as_role(runtime, role)
    seen = visibility(runtime, FileQuery())  # not deleted: own, other private, other public
    assert (seen.shown, seen.hidden) == (3 - hidden, hidden)
    expected = "1 private file of other users hidden (role operator)" if hidden else ""
    assert seen.describe() == expected
