"""The local journal: store writes that could not reach MongoDB after SES accepted a
message. Kept in SQLite in the user state dir and replayed at startup and by
`depllc journal replay`, so no accepted message is ever left without its log."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bson import json_util

from core.config import state_dir
from core.db import Store

_SCHEMA = """
create table if not exists pending (
    id integer primary key autoincrement,
    at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    collection text not null,
    filter text not null,
    doc text not null,
    upsert integer not null default 0,
    attempts integer not null default 0,
    last_error text
)
"""


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


class Journal:
    """A durable queue of update_one calls."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or journal_path()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute(_SCHEMA)
        return conn

    def append(
        self, collection: str, filter: dict[str, Any], update: dict[str, Any], upsert: bool = False
    ) -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "insert into pending (collection, filter, doc, upsert) values (?, ?, ?, ?)",
                (collection, json_util.dumps(filter), json_util.dumps(update), int(upsert)),
            )

    def pending(self) -> list[Pending]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "select id, at, collection, filter, doc, upsert, attempts, last_error "
                "from pending order by id"
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
            )
            for r in rows
        ]

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with closing(self._connect()) as conn:
            return int(conn.execute("select count(*) from pending").fetchone()[0])

    def replay(self, store: Store) -> tuple[int, int]:
        """Apply pending writes in order; return (applied, still pending)."""
        applied = 0
        for entry in self.pending():
            try:
                store.db[entry.collection].update_one(
                    entry.filter, entry.update, upsert=entry.upsert
                )
            except Exception as exc:
                with closing(self._connect()) as conn, conn:
                    conn.execute(
                        "update pending set attempts = attempts + 1, last_error = ? where id = ?",
                        (str(exc)[:500], entry.id),
                    )
                break  # keep order: later writes may depend on this one
            with closing(self._connect()) as conn, conn:
                conn.execute("delete from pending where id = ?", (entry.id,))
            applied += 1
        return applied, self.count()
