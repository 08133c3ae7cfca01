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
from core.runtime import Runtime
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


# --- journal drop: entries an operator abandons, asked for and audited -----------------


@pytest.fixture
def cli_runtime(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    from tui.cli.context import CommandContext

    monkeypatch.setattr(CommandContext, "runtime", lambda self, seed=True: runtime)
    monkeypatch.setattr(CommandContext, "close", lambda self: None)
    monkeypatch.setenv("MONGODB_URI", SERVER_LIKE_URI)
    monkeypatch.setenv("MONGODB_DB", runtime.store.db.name)
    return runtime


def _two_entries(runtime: Runtime) -> tuple[int, int]:
    """One entry for the configured database, one stale (another database's)."""
    here = server_like(runtime.store).database
    Journal().append(here, "emaillogs", {"_id": ObjectId()}, SENT)
    Journal().append(database_id("mongodb://db.old:27017", "crm"), "emaillogs", {"_id": 1}, SENT)
    mine, stale = Journal().pending()
    return mine.id, stale.id


def test_drop_by_id_keeps_the_entry_whole_in_the_audit_log(
    cli_runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    mine, stale = _two_entries(cli_runtime)
    assert main(["journal", "drop", str(mine), "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"dropped": [mine], "left": 1}
    assert [e.id for e in Journal().pending()] == [stale]
    (entry,) = cli_runtime.store.auditlog.find({"action": "journal-drop"})
    assert entry["target"] == str(mine) and entry["operator"] == cli_runtime.operator
    (dropped,) = entry["details"]["entries"]
    assert dropped["update"] == SENT and dropped["collection"] == "emaillogs"


def test_drop_stale_drops_only_the_entries_of_another_database(
    cli_runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    mine, _ = _two_entries(cli_runtime)
    assert main(["journal", "drop", "--stale", "--yes"]) == 0
    assert "Dropped 1 journal entry (kept whole in the audit log" in capsys.readouterr().out
    assert [e.id for e in Journal().pending()] == [mine]
    assert main(["journal", "drop", "--stale", "--yes"]) == 0
    assert "nothing to drop" in capsys.readouterr().out


def test_drop_asks_first(
    cli_runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mine, _ = _two_entries(cli_runtime)
    # no terminal to ask and no --yes: refused
    assert main(["journal", "drop", str(mine)]) == 2
    assert "Pass --yes" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["n", "y"])
    monkeypatch.setattr("builtins.input", lambda question: next(answers))
    assert main(["journal", "drop", str(mine)]) == 1
    assert "Nothing was dropped" in capsys.readouterr().out and Journal().count() == 2
    assert main(["journal", "drop", str(mine)]) == 0
    shown = capsys.readouterr().out
    assert f"{mine:>5}  pending" in shown and "Dropped 1 journal entry" in shown
    assert Journal().count() == 1
    assert cli_runtime.store.auditlog.count_documents({"action": "journal-drop"}) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["journal", "drop", "999", "--yes"],  # no such entry
        ["journal", "drop", "--yes"],  # nothing named
        ["journal", "drop", "1", "--stale", "--yes"],  # both
        ["--sandbox", "journal", "drop", "--stale", "--yes"],  # the sandbox has no journal
    ],
)
def test_drop_refuses_bad_usage_and_drops_nothing(
    cli_runtime: Runtime, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    _two_entries(cli_runtime)
    assert main(argv) == 2
    assert capsys.readouterr().err.count("\n") >= 1
    assert Journal().count() == 2
    assert cli_runtime.store.auditlog.count_documents({}) == 0


def test_drop_without_its_audit_entry_drops_nothing(
    cli_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pymongo.errors import ServerSelectionTimeoutError

    from core import audit

    def down(*_args: object, **_kwargs: object) -> None:
        raise ServerSelectionTimeoutError("db.internal:27017: connection refused")

    monkeypatch.setattr(audit, "record", down)
    _two_entries(cli_runtime)
    assert main(["journal", "drop", "--stale", "--yes"]) == 1
    assert Journal().count() == 2
