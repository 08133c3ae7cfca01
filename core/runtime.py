"""The running services: settings, AWS clients and the store, connected to a real
account or to the embedded sandbox. Both front ends open one `Runtime`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.aws import AwsClients
from core.config import Settings
from core.db import MOCK_SCHEME, Store, connect

if TYPE_CHECKING:
    from core.identity import Identity
    from core.journal import ReplayReport
    from core.models import EmailLog
    from core.sandbox import Sandbox
    from core.vocabulary import Role

Progress = Callable[[str], None]


@dataclass
class Runtime:
    settings: Settings
    aws: AwsClients
    store: Store
    sandbox: Sandbox | None = None
    # Who acts: given (the sandbox, tests) or resolved on first use (core/identity.py).
    identity: Identity | None = None
    # Called with each log after SES accepted it (the sandbox's mailbox simulator
    # registers here to publish realistic events for simulator addresses).
    sent_hooks: list[Callable[[EmailLog], None]] = field(default_factory=list)
    _closed: bool = field(default=False, repr=False)
    _identity_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def whoami(self) -> Identity:
        """The operator's identity; connected, one STS call and one list read, once."""
        with self._identity_lock:
            if self.identity is None:
                from core.identity import connected_identity, sandbox_identity

                self.identity = (
                    sandbox_identity(self.settings)
                    if self.sandbox is not None
                    else connected_identity(self.settings, self.aws, self.store)
                )
            return self.identity

    @property
    def operator(self) -> str:
        """Who acts, as the console's own `operator` and audit fields record it."""
        return self.whoami().login

    @property
    def role(self) -> Role:
        """`operator`, `support` or `admin`: what the access check allows
        (`core.files.catalogue.check_access`)."""
        return self.whoami().role

    @property
    def crm_user_id(self) -> str | None:
        """The operator's CRM user id: the `userId` of the logs this console sends."""
        return self.whoami().crm_user_id

    @property
    def user_id(self) -> str:
        """The `userId` of files this console uploads (the CRM user id, else the login)."""
        return self.whoami().user_id

    @property
    def owner_ids(self) -> tuple[str, ...]:
        """The `userId` values of this operator's own files."""
        return self.whoami().owner_ids

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox is not None

    def target_label(self) -> str:
        """Where the console is connected, for the header: never a secret."""
        if self.sandbox is not None:
            # The header shows the SANDBOX badge itself; this says what it runs on.
            host = self.sandbox.endpoint_url.removeprefix("http://")
            store = "in-process store" if self.sandbox.server else "lasting store"
            return f"moto {host} · {store} · nothing leaves this machine"
        db = f"{self.store.uri_label} · db {self.settings.database}"
        return f"{self.aws.describe_target()} · {db}"

    def notify_sent(self, log: EmailLog) -> None:
        for hook in self.sent_hooks:
            hook(log)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.sandbox is not None:
            self.sandbox.stop()


_lock = threading.Lock()


def open_runtime(
    settings: Settings, progress: Progress | None = None, seed: bool = True
) -> Runtime:
    """Connect to what the settings name, or start a fresh seeded sandbox."""
    from core.errors import ConfigError

    if settings.wants_sandbox:
        from core.sandbox import require_sandbox_extra, start_sandbox
        from core.sandbox_lasting import attach, find_lasting

        require_sandbox_extra()
        lasting = find_lasting()  # `depllc sandbox up` runs one: use it
        with _lock:
            if lasting is not None:
                sandbox = attach(settings, lasting, progress)
            else:
                sandbox = start_sandbox(settings, progress=progress, seed=seed)
        from core.identity import sandbox_identity

        runtime = Runtime(
            settings=sandbox.settings,
            aws=AwsClients(sandbox.settings, endpoint_url=sandbox.endpoint_url, sandbox=True),
            store=sandbox.store,
            sandbox=sandbox,
            identity=sandbox_identity(sandbox.settings),
        )
        from core.events.simulator import register as register_mailbox_simulator

        register_mailbox_simulator(runtime)  # SES mailbox simulator addresses -> events
        return runtime
    if not settings.mongodb_uri:
        raise ConfigError(
            "MONGODB_URI is not set.",
            "Set it (or MONGODB_URI=mongomock:// for an in-process store), or use --sandbox.",
        )
    from core.identity import refuse_overrides

    refuse_overrides(settings)
    store = connect(settings.mongodb_uri, settings.database)
    if settings.mongodb_uri.startswith(MOCK_SCHEME):
        store.ensure_indexes()
    replay_journal(store, progress)
    return Runtime(settings=settings, aws=AwsClients(settings), store=store)


def replay_journal(store: Store, progress: Progress | None = None) -> ReplayReport | None:
    """Replay log writes journalled while MongoDB was unreachable, those that belong to
    this database only (never into an in-process store). Connected mode only: the
    sandbox's store is not where they belong. A write that still fails stays pending;
    entries for another database stay too (`depllc doctor` and `depllc journal list`
    show both). None when the journal cannot be read."""
    import sqlite3

    from core.journal import Journal, ReplayReport

    journal = Journal()
    try:
        mine = journal.count_for(store.database)
        if mine == 0:
            return ReplayReport(applied=0, pending=0, stale=journal.count())
        if progress is not None:
            progress(f"replaying {mine} journalled log writes…")
        return journal.replay(store)
    except (sqlite3.Error, OSError):
        return None  # an unreadable journal must not stop startup; doctor reports it
