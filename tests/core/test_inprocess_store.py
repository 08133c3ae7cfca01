"""The in-process store's fast paths (core/inprocess_store.py) give mongomock's own
answers: a document by `_id`, a duplicate refused on insert and on update (the update
undone), other filters and indexes as before; bulk_write takes pymongo's UpdateOne."""

from __future__ import annotations

import time
from pathlib import Path

import bson
import pytest
from bson import ObjectId
from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from core.db import Store, connect
from core.sandbox_lasting import save_store


@pytest.fixture
def mock_store() -> Store:
    store = connect("mongomock://", "inprocess")
    store.ensure_indexes()
    return store


def test_a_document_by_its_id(mock_store: Store) -> None:
    logs = mock_store.emaillogs
    oid = logs.insert_one({"messageId": "m-1", "status": "queued"}).inserted_id
    logs.insert_one({"_id": "text-id", "messageId": "m-2"})
    assert logs.find_one({"_id": oid})["messageId"] == "m-1"  # type: ignore[index]
    assert logs.find_one({"_id": "text-id"})["messageId"] == "m-2"  # type: ignore[index]
    assert logs.find_one({"_id": ObjectId()}) is None
    assert logs.find_one({"_id": str(oid)}) is None  # a string is not the ObjectId
    assert logs.count_documents({"_id": {"$in": [oid, "text-id"]}}) == 2
    assert logs.update_one({"_id": oid}, {"$set": {"status": "sent"}}).matched_count == 1
    assert logs.update_one({"_id": ObjectId()}, {"$set": {"status": "sent"}}).matched_count == 0
    assert logs.find_one({"_id": oid}, {"status": 1}) == {"_id": oid, "status": "sent"}


def test_a_duplicate_is_refused_on_insert_and_update(mock_store: Store) -> None:
    logs = mock_store.emaillogs
    logs.insert_one({"messageId": "m-1"})
    second = logs.insert_one({"messageId": "m-2"}).inserted_id
    with pytest.raises(DuplicateKeyError):
        logs.insert_one({"messageId": "m-1"})
    with pytest.raises(DuplicateKeyError):
        logs.update_one({"_id": second}, {"$set": {"messageId": "m-1"}})
    assert logs.find_one({"_id": second})["messageId"] == "m-2"  # type: ignore[index]
    assert logs.count_documents({}) == 2
    # a unique index on a field another index shape holds: mongomock's own check
    mock_store.db["other"].create_index([("a.b", 1)], unique=True)
    mock_store.db["other"].insert_one({"a": {"b": 1}})
    with pytest.raises(DuplicateKeyError):
        mock_store.db["other"].insert_one({"a": {"b": 1}})


def test_bulk_write_takes_update_one(mock_store: Store) -> None:
    logs = mock_store.emaillogs
    ids = logs.insert_many([{"messageId": f"q-{i}"} for i in range(3)]).inserted_ids
    result = logs.bulk_write(
        [UpdateOne({"_id": oid}, {"$set": {"messageId": f"ses-{i}"}}) for i, oid in enumerate(ids)],
        ordered=False,
    )
    assert result.matched_count == 3
    assert sorted(d["messageId"] for d in logs.find()) == ["ses-0", "ses-1", "ses-2"]


def test_recording_a_batch_in_a_large_store_is_quick(tmp_path: Path) -> None:
    """What a signal during a sandbox's bulk send waits for: 50 outcomes written into a
    store of 4,000 logs, then the store saved (1.3 s and 1.3 s before; 2 s is all a
    signalled command has)."""
    store = connect("mongomock://", "large")
    logs = store.emaillogs
    logs.insert_many(
        [{"messageId": f"m-{i}", "status": "sent", "to": [f"c{i}@x.com"]} for i in range(4000)]
    )
    store.ensure_indexes()  # after the insert, as the sandbox's seed does
    ids = [d["_id"] for d in logs.find({}, {"_id": 1}).limit(50)]
    started = time.process_time()  # CPU time: the machine's load does not count
    logs.bulk_write([UpdateOne({"_id": oid}, {"$set": {"messageId": f"ses-{oid}"}}) for oid in ids])
    written = time.process_time() - started
    started = time.process_time()
    save_store(store, tmp_path / "saved")
    saved = time.process_time() - started
    assert written < 0.6 and saved < 0.6, (written, saved)
    saved_logs = list(bson.decode_file_iter((tmp_path / "saved" / "emaillogs.bson").open("rb")))
    assert len(saved_logs) == 4000
    assert sum(1 for d in saved_logs if d["messageId"].startswith("ses-")) == 50
