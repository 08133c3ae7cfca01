"""The journal (issue 12, defect 1): entries name their database, are replayed only
there (never into an in-process store), removed only when their write matched, listed
as stale elsewhere; the file is 0600 in a 0700 folder."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest
from bson import ObjectId

from core.config import Settings
from core.db import Store, database_id
from core.journal import Journal, journal_path
from core.setup.doctor import Check, Status, check_journal
from tests.conftest import SERVER_LIKE_URI, server_like
from tui.cli.main import main

SENT = {"$set": {"status": "sent", "messageId": "ses-accepted-1"}}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_start_against_an_in_process_store_keeps_the_journal(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reproduction: `MONGODB_URI=mongomock://` used to drain the journal."""
    from core.runtime import open_runtime

    production = database_id("mongodb://db.internal:27017/?tls=true", "depllc")
    Journal().append(production, "emaillogs", {"_id": ObjectId()}, SENT)
    runtime = open_runtime(settings)  # settings name an in-process store
    runtime.close()
    assert Journal().count() == 1
    monkeypatch.setenv("MONGODB_URI", "mongomock://")
    assert main(["journal", "replay"]) == 2
    assert "in-process store" in capsys.readouterr().err
    assert main(["journal", "list", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["stale"] is True and entry["database"] == "db.internal:27017/depllc"
    assert Journal().count() == 1


def test_an_entry_is_removed_only_when_its_write_matched(store: Store) -> None:
    server = server_like(store)
    there = server.emaillogs.insert_one({"status": "queued"}).inserted_id
    missing = ObjectId()
    Journal().append(server.database, "emaillogs", {"_id": missing}, SENT)
    Journal().append(server.database, "emaillogs", {"_id": there}, SENT)
    report = Journal().replay(server)
    assert (report.applied, report.pending, report.stale) == (1, 1, 0)
    assert server.emaillogs.find_one({"_id": there})["status"] == "sent"
    (left,) = Journal().pending()
    assert left.filter == {"_id": missing} and left.attempts == 1
    assert left.last_error and "no emaillogs document matches" in left.last_error


def test_entries_for_another_database_stay_and_are_listed_stale(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server = server_like(store)
    log_id = server.emaillogs.insert_one({"status": "queued"}).inserted_id
    other = database_id("mongodb://u:secret@db.other:27017/", "crm")
    Journal().append(other, "emaillogs", {"_id": log_id}, SENT)
    Journal().append(server.database, "emaillogs", {"_id": log_id}, SENT)
    report = Journal().replay(server)
    assert (report.applied, report.pending, report.stale) == (1, 0, 1)
    (left,) = Journal().pending()
    assert left.db_label == "db.other:27017/crm" and left.attempts == 0
    monkeypatch.setenv("MONGODB_URI", SERVER_LIKE_URI)
    monkeypatch.setenv("MONGODB_DB", store.db.name)
    assert main(["journal", "list"]) == 0
    out = capsys.readouterr().out
    assert "stale" in out and "db.other:27017/crm" in out and "secret" not in out
    assert "1 stale: they belong to another database than db.test:27017/" in out
    check = check_journal_for(SERVER_LIKE_URI, store.db.name)
    assert check.status == Status.WARN and "1 stale (for db.other:27017/crm" in check.detail
    assert "MONGODB_URI" in check.fix


def check_journal_for(uri: str, db: str) -> Check:
    from core.aws import AwsClients
    from core.setup.doctor import DoctorEnv

    settings = Settings.model_validate({"mongodb_uri": uri, "mongodb_db": db})
    return check_journal(DoctorEnv(settings=settings, aws=AwsClients(settings), store=None))


def test_nothing_is_ever_replayed_into_an_in_process_store(store: Store) -> None:
    """Not even entries an in-process store wrote: it is gone with its process."""
    assert store.database.in_process or not store.is_mock
    if not store.is_mock:
        pytest.skip("the suite runs against a real MongoDB")
    log_id = store.emaillogs.insert_one({"status": "queued"}).inserted_id
    Journal().append(store.database, "emaillogs", {"_id": log_id}, SENT)
    report = Journal().replay(store)
    assert (report.applied, report.stale) == (0, 1)
    assert store.emaillogs.find_one({"_id": log_id})["status"] == "queued"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("mongodb://h1:27017,h2:27017/?tls=true", "mongodb://u:p@H2,h1/admin", True),
        ("mongodb://user:p@ss@db.internal/x", "mongodb://db.internal:27017", True),
        ("mongodb://db.internal", "mongodb://db.internal:27018", False),
        ("mongodb+srv://cluster.example.net", "mongodb://cluster.example.net", False),
    ],
)
def test_a_database_is_its_hosts_and_name_never_its_credentials(a: str, b: str, same: bool) -> None:
    first, second = database_id(a, "depllc"), database_id(b, "depllc")
    assert (first == second) is same
    assert database_id(a, "depllc") != database_id(a, "other")
    assert "p@ss" not in first.label + first.key and "user" not in first.label


def test_the_journal_is_private_and_fixes_an_open_file(tmp_path: Path) -> None:
    Journal().append(database_id(SERVER_LIKE_URI, "d"), "emaillogs", {"_id": 1}, SENT)
    path = journal_path()
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    path.chmod(0o644)  # as the first version left it
    path.parent.chmod(0o755)
    assert Journal().count() == 1
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700


def test_a_journal_written_before_entries_named_their_database_is_kept(
    store: Store,
) -> None:
    """The first version's file: its entries are replayed nowhere, and listed."""
    path = journal_path()
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "create table pending (id integer primary key autoincrement, at text not null "
            "default 'then', collection text not null, filter text not null, doc text not "
            "null, upsert integer not null default 0, attempts integer not null default 0, "
            "last_error text)"
        )
        conn.execute(
            "insert into pending (collection, filter, doc) values ('emaillogs', "
            '\'{"_id": 1}\', \'{"$set": {"status": "sent"}}\')'
        )
    report = Journal().replay(server_like(store))
    assert (report.applied, report.stale) == (0, 1)
    (entry,) = Journal().pending()
    assert entry.db_key is None and "unknown database" in entry.database_label
