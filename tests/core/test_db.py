"""The store: the guide's indexes (and ours) are created once, idempotently, and the
unique ones hold; `mongomock://` stores are in-process."""

from __future__ import annotations

import pytest

from core.db import ALL_INDEXES, MOCK_SCHEME, Store, connect, index_name
from core.errors import StoreUnavailableError


def test_ensure_indexes_is_idempotent(store: Store) -> None:
    # the fixture already ran it once: nothing is left to create, nothing is missing
    assert store.ensure_indexes() == []
    assert store.missing_indexes() == []
    for collection, specs in ALL_INDEXES.items():
        names = set(store.db[collection].index_information())
        assert {index_name(keys) for keys, _ in specs} <= names


def test_a_fresh_database_gets_every_index(mongo_uri: str) -> None:
    import uuid

    name = f"depllc_test_{uuid.uuid4().hex[:10]}"
    fresh = connect(mongo_uri, name)
    try:
        expected = sum(len(specs) for specs in ALL_INDEXES.values())
        assert len(fresh.missing_indexes()) == expected
        created = fresh.ensure_indexes()
        assert len(created) == expected
        assert "emaillogs.messageId_1" in created
        assert fresh.ensure_indexes() == []
    finally:
        if not fresh.is_mock:
            fresh.db.client.drop_database(name)


def test_the_guides_indexes_are_there(store: Store) -> None:
    logs = store.emaillogs.index_information()
    assert logs["messageId_1"].get("unique")
    for name in ("category_1_status_1_createdAt_-1", "userId_1_createdAt_-1"):
        assert name in logs
    assert "events.type_1_events.timestamp_-1" in logs
    files = store.files.index_information()
    assert files["key_1"].get("unique")
    assert "userId_1_category_1_status_1" in files
    assert store.suppressions.index_information()["email_1"].get("unique")


def test_unique_message_ids_are_enforced(store: Store) -> None:
    from pymongo.errors import DuplicateKeyError

    store.emaillogs.insert_one({"messageId": "m-1"})
    with pytest.raises(DuplicateKeyError):
        store.emaillogs.insert_one({"messageId": "m-1"})


def test_named_mock_stores_persist_and_bare_ones_are_fresh() -> None:
    named = connect(f"{MOCK_SCHEME}shared-test", "db")
    named.files.insert_one({"key": "k"})
    assert connect(f"{MOCK_SCHEME}shared-test", "db").files.count_documents({}) == 1
    bare = connect(MOCK_SCHEME, "db")
    bare.files.insert_one({"key": "k"})
    assert connect(MOCK_SCHEME, "db").files.count_documents({}) == 0
    assert bare.is_mock and bare.uri_label == MOCK_SCHEME
    bare.ping()


def test_an_unreachable_server_is_a_readable_error() -> None:
    store = connect("mongodb://user:pw@127.0.0.1:9/crm", "crm", timeout_ms=200)
    assert "pw" not in store.uri_label
    with pytest.raises(StoreUnavailableError, match="MongoDB is unreachable"):
        store.ping()


def test_bulk_insert_keeps_the_unique_indexes(store: Store) -> None:
    from pymongo.errors import DuplicateKeyError

    before = store.suppressions.index_information()
    store.bulk_insert(store.suppressions, [{"email": f"a{n}@x.example"} for n in range(50)])
    assert store.suppressions.index_information() == before
    assert store.suppressions.count_documents({}) == 50
    with pytest.raises(DuplicateKeyError):
        store.suppressions.insert_one({"email": "a7@x.example"})
    with pytest.raises(DuplicateKeyError):  # a duplicate inside one bulk load is refused too
        store.bulk_insert(store.suppressions, [{"email": "b@x.example"}, {"email": "b@x.example"}])
