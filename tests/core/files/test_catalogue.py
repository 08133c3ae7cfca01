"""Catalogue: the access rule, escaped search, filters and keyset pagination."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from core.errors import InputError, NotFoundError
from core.files.catalogue import Access, get_file, list_files
from core.models import FileMetadata, FileRecord, S3Info, utcnow
from core.runtime import Runtime
from core.validation import FileQuery
from core.vocabulary import FileCategory, FileStatus


def add(runtime: Runtime, name: str, **fields: Any) -> FileRecord:
    values: dict[str, Any] = {
        "key": f"general/{fields.get('userId', 'tester')}/1-0-{name}",
        "fileName": name,
        "originalName": name,
        "contentType": "application/pdf",
        "size": 100,
        "category": FileCategory.GENERAL,
        "status": FileStatus.COMPLETED,
        "userId": "tester",
        "metadata": FileMetadata(uploadedBy=fields.get("userId", "tester")),
        "s3Info": S3Info(bucket="b", region="us-east-1"),
    }
    values.update(fields)
    record = FileRecord(**values)
    rid = runtime.store.files.insert_one(record.to_mongo()).inserted_id
    return record.model_copy(update={"id": rid})


def names(runtime: Runtime, **query: Any) -> list[str]:
    page = list_files(runtime, FileQuery(**query))
    return [r.originalName for r in page.items]


def test_access_rule_own_and_public_admin_sees_all(runtime: Runtime) -> None:
    add(runtime, "mine.pdf")
    add(runtime, "theirs.pdf", userId="bob")
    add(runtime, "shared.pdf", userId="bob", isPublic=True)
    assert sorted(names(runtime)) == ["mine.pdf", "shared.pdf"]
    hidden = runtime.store.files.find_one({"originalName": "theirs.pdf"})
    assert hidden
    with pytest.raises(NotFoundError, match="not yours and not public"):
        get_file(runtime, str(hidden["_id"]))
    shared = runtime.store.files.find_one({"originalName": "shared.pdf"})
    assert shared
    with pytest.raises(InputError, match="belongs to bob"):
        get_file(runtime, str(shared["_id"]), Access.CHANGE)
    runtime.identity = replace(runtime.whoami(), role="admin")
    assert sorted(names(runtime)) == ["mine.pdf", "shared.pdf", "theirs.pdf"]
    assert get_file(runtime, str(hidden["_id"]), Access.CHANGE).userId == "bob"


def test_search_is_literal_not_a_regex(runtime: Runtime) -> None:
    # the guide passed the user's text to $regex: `.*` matched everything
    add(runtime, "invoice.pdf")
    add(runtime, "a.*b.pdf")
    assert names(runtime, search=".*") == ["a.*b.pdf"]
    assert names(runtime, search="INVOICE") == ["invoice.pdf"]
    assert names(runtime, search="(a+)+$") == []


def test_filters(runtime: Runtime) -> None:
    now = utcnow()
    add(runtime, "old.pdf", createdAt=now - timedelta(days=10), clientId="c1")
    add(
        runtime,
        "inv.pdf",
        category=FileCategory.INVOICE,
        clientId="c1",
        departmentId="fin",
        metadata=FileMetadata(uploadedBy="tester", tags=["q3", "paid"]),
    )
    add(runtime, "gone.pdf", status=FileStatus.DELETED)
    add(runtime, "wip.pdf", status=FileStatus.UPLOADING)
    assert names(runtime, category="invoice") == ["inv.pdf"]
    assert sorted(names(runtime, clientId="c1")) == ["inv.pdf", "old.pdf"]
    assert names(runtime, departmentId="fin") == ["inv.pdf"]
    assert names(runtime, tags=["q3", "paid"]) == ["inv.pdf"]
    assert names(runtime, tags=["q3", "unpaid"]) == []
    assert names(runtime, startDate=now - timedelta(days=1), clientId="c1") == ["inv.pdf"]
    assert names(runtime, endDate=now - timedelta(days=1)) == ["old.pdf"]
    assert "gone.pdf" not in names(runtime)
    assert names(runtime, status="deleted") == ["gone.pdf"]
    assert names(runtime, status="uploading") == ["wip.pdf"]
    assert "gone.pdf" in names(runtime, includeDeleted=True)
    assert names(runtime, userId="bob") == []


@pytest.mark.parametrize(
    ("sort_by", "order"), [("size", "asc"), ("createdAt", "desc"), ("fileName", "desc")]
)
def test_keyset_pagination_visits_each_once(runtime: Runtime, sort_by: str, order: str) -> None:
    base = utcnow()
    for i in range(23):
        add(runtime, f"f{i:02d}.pdf", size=(i % 5) * 10, createdAt=base - timedelta(seconds=i % 4))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = list_files(runtime, FileQuery(limit=5, sortBy=sort_by, sortOrder=order), cursor)
        seen += [r.originalName for r in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 5 and len(seen) == 23 and len(set(seen)) == 23
    everything = list_files(runtime, FileQuery(limit=100, sortBy=sort_by, sortOrder=order))
    assert seen == [r.originalName for r in everything.items]


def test_bad_cursor(runtime: Runtime) -> None:
    with pytest.raises(InputError, match="cursor"):
        list_files(runtime, FileQuery(), "not-a-cursor")
