"""MongoDB access: one client per process (pymongo, or mongomock for `mongomock://`),
the collections the CRM shares with this console, and their indexes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError
from core.models import (
    AUDIT_COLLECTION,
    EMAIL_COLLECTION,
    FILE_COLLECTION,
    OPERATOR_COLLECTION,
    SUPPRESSION_COLLECTION,
    UNMATCHED_EVENT_COLLECTION,
)

if TYPE_CHECKING:
    from pymongo.collection import Collection
    from pymongo.database import Database

MOCK_SCHEME = "mongomock://"

# (keys, options). The guide's indexes (phase 2) first, then what our queries need.
EMAIL_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("messageId", 1)], {"unique": True}),
    ([("category", 1)], {}),
    ([("status", 1)], {}),
    ([("userId", 1)], {}),
    ([("clientId", 1)], {}),
    ([("category", 1), ("status", 1), ("createdAt", -1)], {}),
    ([("userId", 1), ("createdAt", -1)], {}),
    ([("events.type", 1), ("events.timestamp", -1)], {}),
    # keyset pagination and per-filter pages: (filter, createdAt, _id)
    ([("createdAt", -1), ("_id", -1)], {}),
    ([("status", 1), ("createdAt", -1), ("_id", -1)], {}),
    ([("priority", 1), ("createdAt", -1), ("_id", -1)], {}),
    ([("clientId", 1), ("createdAt", -1), ("_id", -1)], {}),
    ([("to", 1), ("createdAt", -1)], {}),
    ([("recipientStatus.email", 1)], {}),
    # log screen (issue 4): each filter shape pages on (createdAt, _id) from an index
    ([("category", 1), ("createdAt", -1), ("_id", -1)], {}),
    ([("userId", 1), ("createdAt", -1), ("_id", -1)], {}),
    ([("to", 1), ("createdAt", -1), ("_id", -1)], {}),
    ([("cc", 1), ("createdAt", -1), ("_id", -1)], {}),
    ([("bcc", 1), ("createdAt", -1), ("_id", -1)], {}),
    ([("subject", 1), ("createdAt", -1), ("_id", -1)], {}),  # sort by subject
    # a re-run of a bulk CSV finds the rows its earlier run sent (issue 12)
    ([("customData.bulkRun", 1), ("customData.row", 1)], {"sparse": True}),
]
FILE_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("key", 1)], {"unique": True}),
    ([("category", 1)], {}),
    ([("status", 1)], {}),
    ([("userId", 1)], {}),
    ([("clientId", 1)], {}),
    ([("departmentId", 1)], {}),
    ([("userId", 1), ("category", 1), ("status", 1)], {}),
    ([("status", 1), ("createdAt", -1)], {}),
    ([("metadata.tags", 1)], {}),
    ([("departmentId", 1), ("createdAt", -1)], {}),
    ([("createdAt", -1), ("_id", -1)], {}),
    # files catalogue: keyset pages per sort field, visibility, stuck uploads (reconcile)
    ([("fileName", 1), ("_id", 1)], {}),
    ([("size", 1), ("_id", 1)], {}),
    ([("category", 1), ("_id", 1)], {}),
    ([("isPublic", 1), ("createdAt", -1)], {}),
    ([("status", 1), ("updatedAt", 1)], {}),
    # the case view (core/case.py): a client's files, or one user's uploads, newest first
    ([("clientId", 1), ("createdAt", -1), ("_id", -1)], {}),
    ([("userId", 1), ("createdAt", -1), ("_id", -1)], {}),
]
SUPPRESSION_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("email", 1)], {"unique": True}),
    ([("at", -1)], {}),
]
AUDIT_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("at", -1)], {}),
    # one target's entries newest first, keyset-paged (audit.find, the case view)
    ([("target", 1), ("at", -1), ("_id", -1)], {}),
]
# Events kept for a message with no log yet, and bodies set aside, are removed by
# MongoDB this long after they arrived (a log appears within seconds of its send; a
# person looks at a set-aside body within days). Nothing outside can fill it forever.
KEPT_EVENT_DAYS = 14
UNMATCHED_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("eventId", 1)], {"unique": True}),
    ([("messageId", 1)], {}),
    ([("state", 1), ("receivedAt", -1)], {}),  # re-matching and listing: newest first
    ([("receivedAt", 1)], {"expireAfterSeconds": KEPT_EVENT_DAYS * 24 * 3600}),  # TTL
]
OPERATOR_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("arn", 1)], {"unique": True}),
]

ALL_INDEXES = {
    EMAIL_COLLECTION: EMAIL_INDEXES,
    FILE_COLLECTION: FILE_INDEXES,
    SUPPRESSION_COLLECTION: SUPPRESSION_INDEXES,
    AUDIT_COLLECTION: AUDIT_INDEXES,
    UNMATCHED_EVENT_COLLECTION: UNMATCHED_INDEXES,
    OPERATOR_COLLECTION: OPERATOR_INDEXES,
}


def all_of(*clauses: dict[str, Any] | None) -> dict[str, Any]:
    """The filter matching every clause given (empty and None ones left out): the
    clause itself when there is one, `{}` (everything) when there is none."""
    present = [c for c in clauses if c]
    if not present:
        return {}
    return present[0] if len(present) == 1 else {"$and": present}


def time_span(field: str, start: datetime | None, end: datetime | None) -> dict[str, Any] | None:
    """The clause for `start <= field < end` (either bound may be missing; None when
    both are): every list's since/until, a half-open range, so consecutive periods
    never count a record twice."""
    span: dict[str, datetime] = {}
    if start is not None:
        span["$gte"] = start
    if end is not None:
        span["$lt"] = end
    return {field: span} if span else None


def index_name(keys: list[tuple[str, int]]) -> str:
    """The name MongoDB gives an index by default (`field_1_other_-1`)."""
    return "_".join(f"{field}_{direction}" for field, direction in keys)


@dataclass(frozen=True)
class DatabaseId:
    """Which database a write belongs to: a hash of the URI's hosts and the database
    name (never its credentials or options), with a readable label."""

    key: str
    label: str

    @property
    def in_process(self) -> bool:
        return self.key == IN_PROCESS


IN_PROCESS = "in-process"
_DEFAULT_PORT = 27017


def database_id(uri: str, db_name: str) -> DatabaseId:
    """The identity of `db_name` on the server(s) `uri` names. The same hosts in any
    order, with or without the default port, credentials or options, are one
    database; an in-process store (`mongomock://`) is never any server's."""
    if uri.startswith(MOCK_SCHEME):
        return DatabaseId(IN_PROCESS, f"in-process store {uri}{db_name}")
    from core.mongo_uri import parse

    scheme, _, rest = uri.partition("://")
    parts = parse(uri)  # the hosts, whatever the password holds (an unescaped `/`, `@`)
    authority = parts.hosts if parts is not None else rest.split("/", 1)[0].rpartition("@")[2]
    hosts = []
    for host in authority.lower().split(","):
        host = host.strip()
        if host and scheme == "mongodb" and (":" not in host or host.endswith("]")):
            host = f"{host}:{_DEFAULT_PORT}"
        if host:
            hosts.append(host)
    where = f"{','.join(sorted(hosts))}/{db_name}"
    digest = hashlib.sha256(f"{scheme}://{where}".encode()).hexdigest()[:16]
    return DatabaseId(f"sha256:{digest}", where)


@dataclass
class Store:
    """The CRM database and the console's collections."""

    db: Database[dict[str, Any]]
    uri_label: str

    @property
    def emaillogs(self) -> Collection[dict[str, Any]]:
        return self.db[EMAIL_COLLECTION]

    @property
    def files(self) -> Collection[dict[str, Any]]:
        return self.db[FILE_COLLECTION]

    @property
    def suppressions(self) -> Collection[dict[str, Any]]:
        return self.db[SUPPRESSION_COLLECTION]

    @property
    def auditlog(self) -> Collection[dict[str, Any]]:
        return self.db[AUDIT_COLLECTION]

    @property
    def unmatched_events(self) -> Collection[dict[str, Any]]:
        return self.db[UNMATCHED_EVENT_COLLECTION]

    @property
    def operators(self) -> Collection[dict[str, Any]]:
        return self.db[OPERATOR_COLLECTION]

    @property
    def is_mock(self) -> bool:
        return self.uri_label.startswith(MOCK_SCHEME)

    @property
    def database(self) -> DatabaseId:
        """Which database this is (the journal tags its entries with it)."""
        return database_id(self.uri_label, self.db.name)

    def ping(self) -> None:
        """Raise StoreUnavailableError when the server cannot be reached."""
        from core.errors import StoreUnavailableError

        try:
            self.db.command("ping")
        except Exception as exc:
            raise StoreUnavailableError(
                f"MongoDB is unreachable ({self.uri_label}).",
                "Check MONGODB_URI and that the server is up (`depllc doctor`).",
            ) from exc

    def bulk_insert(self, target: Collection[dict[str, Any]], docs: list[dict[str, Any]]) -> None:
        """insert_many. On the in-process store the collection's unique indexes are
        built after the documents: mongomock checks each insert against every document
        (quadratic: 13 of the sandbox seed's 27 profiled seconds), an index build once."""
        if not docs:
            return
        if not self.is_mock:
            target.insert_many(docs)
            return
        unique = [name for name, spec in target.index_information().items() if spec.get("unique")]
        for name in unique:
            target.drop_index(name)
        target.insert_many(docs)
        if unique:
            self.ensure_indexes()

    def ensure_indexes(self) -> list[str]:
        """Create missing indexes (idempotent); return the names created."""
        created: list[str] = []
        for collection, specs in ALL_INDEXES.items():
            existing = set(self.db[collection].index_information())
            for keys, options in specs:
                name = index_name(keys)
                if name not in existing:
                    self.db[collection].create_index(keys, name=name, **options)
                    created.append(f"{collection}.{name}")
        return created

    def missing_indexes(self) -> list[str]:
        missing: list[str] = []
        for collection, specs in ALL_INDEXES.items():
            existing = set(self.db[collection].index_information())
            missing += [
                f"{collection}.{index_name(k)}" for k, _ in specs if index_name(k) not in existing
            ]
        return missing


_MOCK_CLIENTS: dict[str, Any] = {}


def connect(uri: str, db_name: str, timeout_ms: int = 5000) -> Store:
    """Open the store. `mongomock://` (optionally `mongomock://name`) is in-process.
    `timeout_ms` is the default for server selection and connecting; the URI's own
    `serverSelectionTimeoutMS` / `connectTimeoutMS` win."""
    from core.mongo_uri import mask_uri, parse

    if uri.startswith(MOCK_SCHEME):
        from core.sandbox import require_sandbox_extra

        require_sandbox_extra()
        import mongomock

        from core import inprocess_store

        inprocess_store.install()
        client = _MOCK_CLIENTS.get(uri)
        if client is None:
            client = mongomock.MongoClient(tz_aware=True)
            if uri != MOCK_SCHEME:  # named stores persist for the process; bare is fresh
                _MOCK_CLIENTS[uri] = client
        return Store(db=client[db_name], uri_label=uri)

    import pymongo
    from pymongo.errors import ConfigurationError

    parts = parse(uri)
    defaults: dict[str, Any] = {
        "serverSelectionTimeoutMS": timeout_ms,
        "connectTimeoutMS": timeout_ms,
    }
    if parts is not None:
        defaults = {k: v for k, v in defaults.items() if parts.option(k) is None}
    try:
        real: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            uri, tz_aware=True, appname="depllc-console", **defaults
        )
    except ConfigurationError as exc:
        raise uri_error(uri, exc) from None
    return Store(db=real[db_name], uri_label=mask_uri(uri))


def uri_error(uri: str, exc: Exception) -> ConfigError:
    """pymongo's refusal of a URI as one line without a secret in it."""
    from core.mongo_uri import scrub

    text = scrub(str(exc), uri)
    if "must be escaped" in text:  # a `@`, `:` or `/` in the user name or password
        return ConfigError(
            "MONGODB_URI: the user name or password holds a character that must be "
            "percent-encoded (@ as %40, : as %3A, / as %2F, % as %25).",
            "Encode it, e.g. python3 -c 'import urllib.parse,sys; "
            "print(urllib.parse.quote_plus(sys.argv[1]))' 'PASSWORD'.",
        )
    return ConfigError(f"MONGODB_URI is not valid: {text}")


# Keyset paging on (at, _id), newest first: the audit log and the suppression list.
AT_NEWEST = [("at", -1), ("_id", -1)]
AtCursor = tuple[datetime, Any]


def newest_page(
    collection: Collection[dict[str, Any]],
    spec: dict[str, Any],
    limit: int,
    after: AtCursor | None = None,
) -> tuple[list[dict[str, Any]], AtCursor | None]:
    """One page of `spec`'s documents, newest first, after `after`: the documents and
    where the next page starts (None: this is the last page)."""
    if after is not None:
        at, last_id = after
        below = {"$or": [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": last_id}}]}
        spec = {"$and": [spec, below]} if spec else below
    docs = list(collection.find(spec).sort(AT_NEWEST).limit(limit + 1))
    more = len(docs) > limit
    return docs[:limit], (docs[limit - 1]["at"], docs[limit - 1]["_id"]) if more else None
