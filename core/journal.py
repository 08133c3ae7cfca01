"""The local journal: store writes that could not reach MongoDB after SES accepted a
message. Kept in SQLite in the user state dir (the file 0600 in a 0700 folder: it
holds recipient addresses) and replayed at startup and by `depllc journal replay`, so
no accepted message is ever left without its log.

Each entry names the database it belongs to (`core.db.DatabaseId`: a hash of the
URI's hosts and the database name). It is replayed only into that database, never
into an in-process store, and removed only once its write matched a document (or
inserted one): entries for another database stay in place and are listed as stale."""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bson import json_util

from core.db import DatabaseId, Store
from core.paths import state_dir

_SCHEMA = """
create table if not exists pending (
    id integer primary key autoincrement,
    at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    collection text not null,
    filter text not null,
    doc text not null,
    upsert integer not null default 0,
    attempts integer not null default 0,
    last_error text,
    db_key text,
    db_label text
)
"""
# Columns added since the first version (its files have none of them).
_ADDED_COLUMNS = {"db_key": "text", "db_label": "text"}
FILE_MODE = 0o600
FOLDER_MODE = 0o700
UNKNOWN_DATABASE = "an unknown database (written before entries named theirs)"


def journal_path() -> Path:
    return state_dir() / "journal.sqlite3"


@dataclass(frozen=True)
class Pending:
    id: int
    at: str
    collection: str
    filter: dict[str, Any]
    update: dict[str, Any]
    upsert: bool
    attempts: int
    last_error: str | None
    db_key: str | None
    db_label: str | None

    @property
    def database_label(self) -> str:
        return self.db_label or UNKNOWN_DATABASE

    def belongs_to(self, database: DatabaseId) -> bool:
        """Whether this entry may be replayed into `database` (never an in-process one)."""
        return not database.in_process and self.db_key == database.key


@dataclass(frozen=True)
class ReplayReport:
    applied: int  # written and removed from the journal
    pending: int  # for this database, still waiting (a failed or unmatched write)
    stale: int  # for another database (or an in-process store): left in place
    stopped: str | None = None  # the store error that stopped the replay

    @property
    def ok(self) -> bool:
        return self.pending == 0


def _restrict(path: Path, mode: int) -> None:
    if stat.S_IMODE(path.stat().st_mode) != mode:
        path.chmod(mode)


class Journal:
    """A durable queue of update_one calls, each for a named database."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or journal_path()

    def _connect(self) -> sqlite3.Connection:
        folder = self.path.parent
        folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        _restrict(folder, FOLDER_MODE)
        # create it 0600 before SQLite does (SQLite would follow the umask); SQLite
        # gives its side files (-journal) the database file's mode
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE))
        _restrict(self.path, FILE_MODE)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute(_SCHEMA)
        have = {row[1] for row in conn.execute("pragma table_info(pending)")}
        for column, kind in _ADDED_COLUMNS.items():
            if column not in have:
                conn.execute(f"alter table pending add column {column} {kind}")
        return conn

    def append(
        self,
        database: DatabaseId,
        collection: str,
        filter: dict[str, Any],
        update: dict[str, Any],
        upsert: bool = False,
    ) -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "insert into pending (collection, filter, doc, upsert, db_key, db_label) "
                "values (?, ?, ?, ?, ?, ?)",
                (
                    collection,
                    json_util.dumps(filter),
                    json_util.dumps(update),
                    int(upsert),
                    database.key,
                    database.label,
                ),
            )

    def pending(self) -> list[Pending]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "select id, at, collection, filter, doc, upsert, attempts, last_error, "
                "db_key, db_label from pending order by id"
            ).fetchall()
        return [
            Pending(
                r[0],
                r[1],
                r[2],
                json_util.loads(r[3]),
                json_util.loads(r[4]),
                bool(r[5]),
                r[6],
                r[7],
                r[8],
                r[9],
            )
            for r in rows
        ]

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with closing(self._connect()) as conn:
            return int(conn.execute("select count(*) from pending").fetchone()[0])

    def count_for(self, database: DatabaseId) -> int:
        """Entries that belong to `database` (what a replay there would try)."""
        return sum(1 for e in self.pending() if e.belongs_to(database))

    def drop(self, ids: list[int]) -> int:
        """Delete these entries: their writes are abandoned, never made (`depllc journal
        drop`, which asks first and audits). Returns how many were deleted."""
        with closing(self._connect()) as conn, conn:
            return sum(
                conn.execute("delete from pending where id = ?", (entry_id,)).rowcount
                for entry_id in ids
            )

    def _failed(self, entry: Pending, error: str) -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "update pending set attempts = attempts + 1, last_error = ? where id = ?",
                (error[:500], entry.id),
            )

    def replay(self, store: Store) -> ReplayReport:
        """Apply the entries that belong to `store`'s database, in order. An entry is
        removed only when its write matched a document (or, for an upsert, inserted
        one); a store error stops the replay (later writes may depend on it)."""
        from core.errors import describe

        database = store.database
        applied = pending = stale = 0
        stopped: str | None = None
        for entry in self.pending():
            if not entry.belongs_to(database):
                stale += 1
                continue
            if stopped is not None:
                pending += 1
                continue
            try:
                result = store.db[entry.collection].update_one(
                    entry.filter, entry.update, upsert=entry.upsert
                )
            except Exception as exc:
                stopped = describe(exc).text
                self._failed(entry, stopped)
                pending += 1
                continue
            if result.matched_count == 0 and result.upserted_id is None:
                self._failed(
                    entry,
                    f"no {entry.collection} document matches {json_util.dumps(entry.filter)} "
                    f"in {database.label}",
                )
                pending += 1
                continue
            with closing(self._connect()) as conn, conn:
                conn.execute("delete from pending where id = ?", (entry.id,))
            applied += 1
        return ReplayReport(applied=applied, pending=pending, stale=stale, stopped=stopped)
