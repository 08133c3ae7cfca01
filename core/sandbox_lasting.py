"""A sandbox that lasts between commands: `depllc sandbox up | status | down`.

`up` starts the sandbox's moto server detached (its own session, so it outlives the
command and a closed terminal) and provisions and seeds it once. The store stays an
in-process mongomock store, kept on disk in the state folder between commands: loaded
when a `--sandbox` command or the console starts, saved (atomically, one BSON file per
collection) when it ends. An exclusive lock on the folder guards the store for as long
as a process holds it, so the console and a command never overwrite each other's
writes: a second one waits a few seconds, then is refused with who holds it.

`down` stops the server and removes the store with it: moto keeps its objects in memory
only, so a store that outlived them would hold records claiming files that are not there.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from core.config import Settings
from core.errors import ConfigError
from core.paths import state_dir

if TYPE_CHECKING:
    from core.db import Store
    from core.sandbox import Progress, Sandbox

LOCK_WAIT_S = 5.0


def folder() -> Path:
    return state_dir() / "sandbox"


@dataclass(frozen=True)
class LastingSandbox:
    pid: int
    port: int
    queue_url: str
    database: str
    started_at: float

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _info_file() -> Path:
    return folder() / "server.json"


def _store_dir() -> Path:
    return folder() / "store"


def _alive(info: LastingSandbox) -> bool:
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's: the port check decides
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", info.port)) == 0


def find_lasting() -> LastingSandbox | None:
    """The lasting sandbox when one is up (its server answers), else None."""
    try:
        info = LastingSandbox(**json.loads(_info_file().read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return info if _alive(info) else None


# --- the store on disk ---------------------------------------------------------------


def save_store(store: Store, into: Path | None = None) -> int:
    """Write every collection of `store` (one BSON file each, renamed into place when
    whole); returns the number of documents written."""
    import bson

    from core.inprocess_store import stored_documents

    target = into or _store_dir()
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    names = set(store.db.list_collection_names())
    written = 0
    for name in names:
        part = target / f".{name}.bson.part"
        with part.open("wb") as out:
            for doc in stored_documents(store.db[name]):
                out.write(bson.encode(doc))
                written += 1
        part.replace(target / f"{name}.bson")
    for stale in target.glob("*.bson"):
        if stale.stem not in names:
            stale.unlink()
    return written


def load_store(store: Store, source: Path | None = None) -> int:
    """Fill an empty `store` from the files `save_store` wrote; returns documents read."""
    from bson import decode_file_iter
    from bson.codec_options import CodecOptions

    options: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)
    read = 0
    for file in sorted((source or _store_dir()).glob("*.bson")):
        with file.open("rb") as data:
            docs = list(decode_file_iter(data, options))
        if docs:
            store.db[file.stem].insert_many(docs)
            read += len(docs)
    store.ensure_indexes()  # after the bulk insert, as the fresh sandbox does
    return read


# --- the lock ------------------------------------------------------------------------


def _lock(wait_s: float = LOCK_WAIT_S) -> IO[str]:
    """Hold the sandbox's store exclusively; wait up to `wait_s`, then refuse."""
    folder().mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = (folder() / "lock").open("a+")
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                raise ConfigError(
                    f"The lasting sandbox is in use by {holder}.",
                    "Close that console or wait for that command, then retry.",
                ) from None
            time.sleep(0.1)
            continue
        handle.seek(0)
        handle.truncate()
        handle.write(f"depllc pid {os.getpid()}")
        handle.flush()
        return handle


def _unlock(handle: IO[str]) -> None:
    with contextlib.suppress(OSError):
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


# --- up, attach, down ----------------------------------------------------------------


def up(settings: Settings, progress: Progress | None = None) -> tuple[LastingSandbox, bool]:
    """Start the lasting sandbox, or find the one that is up; (it, whether started)."""
    running = find_lasting()
    if running is not None:
        return running, False
    from core.sandbox import start_sandbox, stop_server

    handle = _lock()
    try:
        sandbox = start_sandbox(settings, progress=progress, detached=True)
        assert sandbox.server is not None
        try:
            save_store(sandbox.store)
            info = LastingSandbox(
                pid=sandbox.server.pid,
                port=int(sandbox.endpoint_url.rsplit(":", 1)[1]),
                queue_url=sandbox.settings.ses_events_queue_url or "",
                database=settings.database,
                started_at=time.time(),
            )
            part = _info_file().with_suffix(".part")
            part.write_text(json.dumps(asdict(info)))
            part.replace(_info_file())
        except BaseException:
            stop_server(sandbox.server)
            raise
        # The server runs on in its own session; this process only stops reading it.
        for stream in (sandbox.server.stdout, sandbox.server.stderr):
            if stream is not None:
                stream.close()
        return info, True
    finally:
        _unlock(handle)


def attach(settings: Settings, info: LastingSandbox, progress: Progress | None = None) -> Sandbox:
    """Open the lasting sandbox for this process: lock it, load its store; the returned
    Sandbox's `stop` saves the store and releases the lock."""
    from core.db import connect
    from core.sandbox import Sandbox, sandbox_settings

    say = progress or (lambda _text: None)
    say("opening the lasting sandbox…")
    handle = _lock()
    try:
        store = connect(f"mongomock://lasting-{uuid.uuid4().hex[:8]}", settings.database)
        load_store(store)
    except BaseException:
        _unlock(handle)
        raise

    def release() -> None:
        try:
            save_store(store)
        finally:
            _unlock(handle)

    return Sandbox(
        settings=sandbox_settings(settings, store, info.queue_url),
        endpoint_url=info.endpoint_url,
        store=store,
        server=None,
        release=release,
    )


def down() -> LastingSandbox | None:
    """Stop the lasting sandbox's server and remove its store; returns what was
    stopped, or None when none was up."""
    info = find_lasting()
    handle = _lock()
    try:
        if info is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(info.pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while _alive(info) and time.monotonic() < deadline:
                time.sleep(0.05)
        _info_file().unlink(missing_ok=True)
        for file in _store_dir().glob("*.bson"):
            file.unlink()
    finally:
        _unlock(handle)
    return info


def status() -> dict[str, Any]:
    """What `depllc sandbox status` shows: up or down, where, and what the store holds."""
    info = find_lasting()
    files = sorted(_store_dir().glob("*.bson")) if _store_dir().is_dir() else []
    return {
        "up": info is not None,
        "endpoint": info.endpoint_url if info else None,
        "pid": info.pid if info else None,
        "started_at": info.started_at if info else None,
        "folder": str(folder()),
        "store_files": [f.stem for f in files],
        "store_bytes": sum(f.stat().st_size for f in files),
    }
