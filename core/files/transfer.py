"""The transfer machinery shared by uploads and downloads: s3transfer's manager with
our tuning, progress and cancel plumbing, and the streams that hash the bytes as they
pass (so a file is read once, and what was hashed is what was sent or written)."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import CancelledError

if TYPE_CHECKING:
    from s3transfer.futures import TransferFuture
    from s3transfer.manager import TransferManager

    from core.runtime import Runtime

MiB = 1024 * 1024
HASH_BLOCK = 4 * MiB  # bytes hashed per step by the hashing threads

# (bytes done, bytes total): called from transfer threads, often; keep it cheap.
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class TransferTuning:
    """s3transfer knobs, picked with benchmarks/transfer.py. Parts are read from the
    file by the worker threads (nothing buffered) and downloads stream through a
    bounded IO queue, so big parts cost no memory: with `adaptive`, a transfer is cut
    into about two parts per thread, between 8 and 64 MiB each (fewer requests and
    less thread contention than the AWS CLI's 8 MiB x 10 threads). Downloads move
    1 MiB per read and queued write (s3transfer's default is 256 KiB): a quarter of
    the tasks, thread hand-offs and writer bookkeeping, which cut the download's CPU
    by ~0.5 s per GiB on a 2-CPU machine; the queue holds at most 16 of them. Peak
    RSS stays well under 150 MB."""

    multipart_threshold: int = 16 * MiB
    part_size: int = 16 * MiB
    concurrency: int = 6
    in_memory_parts: int = 4
    io_chunk_size: int = 1 * MiB
    download_attempts: int = 5
    adaptive: bool = True

    def part_size_for(self, size: int | None) -> int:
        if not self.adaptive or not size:
            return self.part_size
        wanted = size // (self.concurrency * 2)
        return max(8 * MiB, min(64 * MiB, (wanted + MiB - 1) // MiB * MiB))

    def manager_config(self, size: int | None = None) -> Any:
        from s3transfer.manager import TransferConfig

        return TransferConfig(
            multipart_threshold=self.multipart_threshold,
            multipart_chunksize=self.part_size_for(size),
            max_request_concurrency=self.concurrency,
            max_submission_concurrency=4,
            max_request_queue_size=self.concurrency * 4,
            max_io_queue_size=16,
            io_chunksize=self.io_chunk_size,
            num_download_attempts=self.download_attempts,
            max_in_memory_upload_chunks=self.in_memory_parts,
            max_in_memory_download_chunks=self.in_memory_parts,
        )


DEFAULT_TUNING = TransferTuning()


def make_manager(
    client: Any, tuning: TransferTuning = DEFAULT_TUNING, size: int | None = None
) -> TransferManager:
    from s3transfer.manager import TransferManager

    return TransferManager(client, tuning.manager_config(size))


_TRANSFER_CLIENTS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_CLIENT_LOCK = threading.Lock()


def transfer_client(runtime: Runtime) -> Any:
    """The S3 client for transfers: the runtime's, but without SigV4 payload signing.
    Every part carries a SHA-256 checksum that S3 verifies, so hashing each body a
    second time for the signature buys nothing (botocore already skips it over HTTPS
    when a checksum is sent; this also skips it for plain-HTTP endpoints)."""
    base = runtime.aws.s3
    with _CLIENT_LOCK:
        client = _TRANSFER_CLIENTS.get(base)
        if client is None:
            from botocore.config import Config

            s3_options: Any = {**(base.meta.config.s3 or {}), "payload_signing_enabled": False}
            client = runtime.aws.session.client(
                "s3",
                region_name=base.meta.region_name,
                endpoint_url=runtime.aws.endpoint_url,
                config=base.meta.config.merge(Config(s3=s3_options)),
            )
            _TRANSFER_CLIENTS[base] = client
    return client


def b64_sha256(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def sha256_of_file(path: os.PathLike[str] | str, chunk: int = 4 * MiB) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return b64_sha256(h.digest())


def progress_subscriber(
    total: int, callback: ProgressCallback | None, etag: str | None = None
) -> list[Any]:
    """s3transfer subscribers: one that tells s3transfer the size (and, for a download,
    the ETag) from our own HEAD, so it skips a second HEAD and pins every ranged GET to
    that ETag (If-Match); and one reporting cumulative bytes to `callback`."""
    from s3transfer.subscribers import BaseSubscriber

    class _KnownSize(BaseSubscriber):
        def on_queued(self, future: Any, **kwargs: Any) -> None:
            future.meta.provide_transfer_size(total)
            if etag:
                future.meta.provide_object_etag(etag)

    if callback is None:
        return [_KnownSize()]
    lock = threading.Lock()
    done = [0]
    report: ProgressCallback = callback

    class _Progress(BaseSubscriber):
        def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
            with lock:
                done[0] += bytes_transferred  # negative on a retried part
                value = max(0, min(done[0], total))
            report(value, total)

    return [_KnownSize(), _Progress()]


def wait(future: TransferFuture, cancel: threading.Event | None, poll: float = 0.1) -> None:
    """Wait for a transfer; when `cancel` is set, cancel it and raise CancelledError at
    once (a request still in flight, e.g. on a stalled connection, is not waited for:
    `managed` lets it finish on its own)."""
    while not future.done():
        if cancel is not None and cancel.wait(poll):
            future.cancel()
            raise CancelledError("Transfer cancelled.")
        if cancel is None:
            time.sleep(poll)
    try:
        future.result()
    except Exception as exc:
        if cancel is not None and cancel.is_set():
            raise CancelledError("Transfer cancelled.") from exc
        raise
    if cancel is not None and cancel.is_set():
        raise CancelledError("Transfer cancelled.")


@contextmanager
def managed(
    client: Any,
    tuning: TransferTuning = DEFAULT_TUNING,
    size: int | None = None,
    after: Callable[[], None] | None = None,
) -> Iterator[TransferManager]:
    """A transfer manager for one `with` block. When the block fails (a cancel, an
    error) the manager is shut down on a helper thread, so the caller cleans up at
    once instead of waiting for requests still in flight; `after` runs once they are
    done (e.g. closing the file they write to). On success it runs before leaving."""
    manager = make_manager(client, tuning, size)
    try:
        yield manager
    except BaseException:

        def finish() -> None:
            try:
                manager.shutdown(cancel=True, cancel_msg="cancelled")
            finally:
                if after is not None:
                    after()

        threading.Thread(target=finish, name="depllc-transfer-end", daemon=True).start()
        raise
    manager.shutdown()
    if after is not None:
        after()


class FileChangedError(Exception):
    """The local file changed size while it was being read."""


class FileHasher:
    """SHA-256 of an open file, computed in a thread while s3transfer reads the same
    file's parts in parallel (from the page cache: the bytes are read from disk once).
    Notices a file that shrinks under it; honours `cancel`."""

    def __init__(self, fh: Any, expected_size: int, cancel: threading.Event | None = None) -> None:
        self._fh = fh
        self.expected_size = expected_size
        self._cancel = cancel
        self._digest: str | None = None
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="depllc-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            h = hashlib.sha256()
            left = self.expected_size
            buf = bytearray(min(HASH_BLOCK, max(1, left)))  # one buffer, reused
            view = memoryview(buf)
            while left > 0:
                if self._stop.is_set() or (self._cancel is not None and self._cancel.is_set()):
                    raise CancelledError("Upload cancelled.")
                n = self._fh.readinto(view[: min(len(buf), left)])
                if not n:
                    raise FileChangedError(
                        f"the file shrank while uploading "
                        f"({self.expected_size - left} of {self.expected_size} bytes)"
                    )
                h.update(view[:n])
                left -= n
            if self._fh.read(1):
                raise FileChangedError("the file grew while uploading")
            self._digest = b64_sha256(h.digest())
        except BaseException as exc:
            self._error = exc

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def result(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._digest is not None
        return self._digest


def _pwrite(fd: int, data: bytes | memoryview, offset: int) -> int:
    """One positioned write (a seam: tests replace it to simulate a full disk)."""
    return os.pwrite(fd, data, offset)


def _read_at(fd: int, into: memoryview, offset: int) -> int:
    """Read at `offset` into `into` (no allocation where the OS has preadv)."""
    if hasattr(os, "preadv"):
        return os.preadv(fd, [into], offset)
    block = os.pread(fd, len(into), offset)
    into[: len(block)] = block
    return len(block)


class HashingWriter:
    """A seekable writer for s3transfer's ranged downloads (parts arrive out of
    order). Writes go to `fd` with pwrite; a follower thread hashes the contiguous
    prefix already on disk (from the page cache, into one reused buffer), so
    verifying costs little more than the download."""

    def __init__(self, fd: int, cancel: threading.Event | None = None) -> None:
        self._fd = fd
        self._pos = 0
        self._cancel = cancel
        self._cond = threading.Condition()
        self._done: dict[int, int] = {}  # start -> end of written runs past the prefix
        self._run_ending: dict[int, int] = {}  # end -> start of those runs
        self._prefix = 0  # [0, prefix) is written
        self._hashed = 0
        self._hash = hashlib.sha256()
        self._closing = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._follow, name="depllc-hash", daemon=True)
        self._thread.start()

    # file-like surface used by s3transfer
    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            self._pos = offset
        elif whence == 1:
            self._pos += offset
        else:
            self._pos = os.fstat(self._fd).st_size + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        if self._cancel is not None and self._cancel.is_set():
            raise CancelledError("Download cancelled.")
        view = memoryview(data)
        start = self._pos
        written = 0
        while written < len(view):
            written += _pwrite(self._fd, view[written:], start + written)
        self._pos = start + written
        self._mark(start, self._pos)
        return written

    def _mark(self, start: int, end: int) -> None:
        """Record that [start, end) is on disk. Runs past the prefix are kept merged
        (a range's next chunk extends its run), so there are about as many runs as
        ranges in flight and each write costs the same however big the file."""
        with self._cond:
            before = self._prefix
            if start <= self._prefix:
                self._prefix = max(self._prefix, end)
            else:
                run = self._run_ending.pop(start, start)  # extend the run ending here
                old_end = self._done.get(run)
                if old_end is not None:
                    self._run_ending.pop(old_end, None)
                    end = max(end, old_end)
                self._done[run] = end
                self._run_ending[end] = run
            # absorb the runs the prefix now reaches (or overlaps: a retried range)
            while reached := [s for s in self._done if s <= self._prefix]:
                for s in reached:
                    self._prefix = max(self._prefix, self._take(s))
            if self._prefix > before:
                self._cond.notify()

    def _take(self, run: int) -> int:
        end = self._done.pop(run)
        if self._run_ending.get(end) == run:
            del self._run_ending[end]
        return end

    def _follow(self) -> None:
        try:
            buf = bytearray(HASH_BLOCK)  # one buffer, reused: no allocation per block
            view = memoryview(buf)
            while True:
                with self._cond:
                    while self._hashed >= self._prefix and not self._closing:
                        self._cond.wait()
                    target = self._prefix
                    closing = self._closing
                while self._hashed < target:
                    n = _read_at(
                        self._fd, view[: min(HASH_BLOCK, target - self._hashed)], self._hashed
                    )
                    if not n:
                        raise OSError("short read while verifying")
                    self._hash.update(view[:n])
                    self._hashed += n
                if closing and self._hashed >= self._prefix:
                    return
        except BaseException as exc:  # surfaced by finish()
            self._error = exc

    @property
    def pending_runs(self) -> int:
        """Written runs not yet joined to the prefix (about one per range in flight)."""
        with self._cond:
            return len(self._done)

    @property
    def written(self) -> int:
        """Bytes on disk as one contiguous run from the start."""
        with self._cond:
            return self._prefix if not self._done else -1

    def finish(self) -> tuple[int, str]:
        """Stop the follower; return (contiguous bytes written, SHA-256 base64)."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join()
        if self._error is not None:
            raise self._error
        size = self._prefix if not self._done else -1
        return size, b64_sha256(self._hash.digest())

    def abandon(self) -> None:
        with self._cond:
            self._closing = True
            self._prefix = self._hashed  # nothing more to hash
            self._done.clear()
            self._run_ending.clear()
            self._cond.notify()
        self._thread.join(timeout=5)


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError (None for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None
