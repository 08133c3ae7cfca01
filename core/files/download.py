"""Download: into a temporary file in the target folder, verified (size, and the
stored SHA-256 computed while the parts arrive), then moved into place. Never
overwrites unless told to, never writes outside the folder (whatever the key or
original name holds), never leaves a partial file behind."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from core.errors import CancelledError, DepllcError, InputError, NotFoundError, ServiceError
from core.files.catalogue import get_file
from core.files.keys import confined, keep_both_name, local_name
from core.files.transfer import (
    DEFAULT_TUNING,
    HashingWriter,
    ProgressCallback,
    TransferTuning,
    error_code,
    managed,
    progress_subscriber,
    transfer_client,
    wait,
)
from core.models import FileRecord, utcnow
from core.vocabulary import FileStatus

if TYPE_CHECKING:
    from core.runtime import Runtime

Conflict = Literal["refuse", "overwrite", "keep-both"]


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    size: int
    verified: str  # what was checked, for people: "size + SHA-256" or "size"
    record: FileRecord
    version_id: str | None = None
    warning: str | None = None


def check_folder(folder: Path | str) -> Path:
    path = Path(folder).expanduser()
    if not path.exists():
        raise InputError(f"No such folder: {path}", "Create it first or choose another.")
    if not path.is_dir():
        raise InputError(f"{path} is a file, not a folder.", "Choose a folder.")
    if not os.access(path, os.W_OK | os.X_OK):
        raise InputError(f"Cannot write in {path}: it is read-only.", "Choose another folder.")
    return path.resolve()


def target_path(folder: Path, record: FileRecord, conflict: Conflict) -> Path:
    """Where the file goes: its original name made safe, inside `folder`."""
    from core.files.keys import parse_key

    fallback = local_name(parse_key(record.key)[2], fallback="download")
    name = local_name(record.originalName or record.fileName, fallback=fallback)
    path = confined(folder, name)
    if path.exists() or path.is_symlink():
        if conflict == "overwrite":
            if path.is_dir() or path.is_symlink():
                raise InputError(f"{path} is a folder or a link; not replacing it.")
            return path
        if conflict == "keep-both":
            return keep_both_name(folder, name)
        raise InputError(
            f"{path} already exists.", "Choose overwrite or keep both (--overwrite/--keep-both)."
        )
    return path


def _close_if(fd: int, transferred: bool) -> None:
    """Close a stopped transfer's file once its requests are done (a finished one is
    closed by the caller)."""
    if not transferred:
        os.close(fd)


def _cleanup(tmp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        Path(tmp).unlink()


def _place(tmp: str, path: Path, conflict: Conflict) -> Path:
    """Move the verified file into place; without overwrite, never clobber a file that
    appeared meanwhile (link-then-unlink is atomic no-clobber)."""
    if conflict == "overwrite":
        Path(tmp).replace(path)
        return path
    try:
        os.link(tmp, path)
    except FileExistsError:
        if conflict == "keep-both":  # another download took that name meanwhile
            base = re.sub(r" \(\d+\)(?=\.[^.]*$|$)", "", path.name)
            return _place(tmp, keep_both_name(path.parent, base), conflict)
        raise InputError(f"{path} appeared while downloading; nothing was replaced.") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        if path.exists():
            raise InputError(f"{path} appeared while downloading; nothing was replaced.") from None
        Path(tmp).replace(path)
        return path
    Path(tmp).unlink()
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def download_file(
    runtime: Runtime,
    ref: str,
    folder: Path | str,
    conflict: Conflict = "refuse",
    version_id: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    tuning: TransferTuning = DEFAULT_TUNING,
) -> DownloadResult:
    """Download one file (or one version of it) into `folder`."""
    from core.files.upload import full_object_checksum, head

    record = get_file(runtime, ref)
    if record.status == FileStatus.DELETED and version_id is None:
        raise InputError(
            f"{record.originalName} is deleted.", "Restore it first (`depllc files restore`)."
        )
    if record.status != FileStatus.COMPLETED and version_id is None:
        raise InputError(
            f"{record.originalName} is {record.status.value}, not completed.",
            "Run `depllc files reconcile` if it should be there.",
        )
    target_folder = check_folder(folder)
    path = target_path(target_folder, record, conflict)
    s3 = runtime.aws.s3
    bucket = record.s3Info.bucket
    wanted_version = version_id or record.s3Info.versionId
    try:
        info = head(s3, bucket, record.key, wanted_version)
    except Exception as exc:
        if error_code(exc) in {
            "404",
            "NoSuchKey",
            "NoSuchVersion",
        }:
            raise NotFoundError(
                f"{record.originalName} is missing from S3 ({record.key}).",
                "`depllc files reconcile` marks the record.",
            ) from exc
        raise
    size = int(info["ContentLength"])
    if version_id is None or version_id == record.s3Info.versionId:
        expected_sum = record.metadata.checksum or full_object_checksum(info)
        if size != record.size:
            raise ServiceError(
                f"S3 holds {size} bytes of {record.originalName}; the record says {record.size}.",
                "Run `depllc files reconcile`.",
            )
    else:
        expected_sum = full_object_checksum(info)
    fd, tmp = tempfile.mkstemp(dir=target_folder, prefix=".depllc-", suffix=".part")
    writer = HashingWriter(fd, cancel)
    extra = {"VersionId": info["VersionId"]} if info.get("VersionId") not in (None, "null") else {}
    # The fd is closed once no request can write to it: here after a finished
    # transfer; after the last request in flight (`managed`) when it was stopped.
    transferred = False
    try:
        try:
            with managed(
                transfer_client(runtime), tuning, size, after=lambda: _close_if(fd, transferred)
            ) as manager:
                future = manager.download(
                    bucket,
                    record.key,
                    writer,  # type: ignore[arg-type]
                    extra_args=extra,
                    subscribers=progress_subscriber(size, progress, info.get("ETag")),
                )
                wait(future, cancel)
                transferred = True
            written, checksum = writer.finish()
        except BaseException:
            writer.abandon()
            raise
        if written != size:
            raise ServiceError(
                f"Downloaded {written} bytes of {record.originalName}, expected {size}; "
                "the file was discarded."
            )
        if expected_sum is not None and checksum != expected_sum:
            raise ServiceError(
                f"Checksum mismatch for {record.originalName}: SHA-256 {checksum}, "
                f"recorded {expected_sum}. The file was discarded.",
                "Download it again; if it persists the object in S3 is damaged.",
            )
        os.fchmod(fd, 0o666 & ~_umask())
        os.close(fd)
        fd = -1
        path = _place(tmp, path, conflict)
    except BaseException as exc:
        if fd >= 0 and transferred:
            os.close(fd)
        _cleanup(tmp)  # at once, even while a stopped transfer's last request finishes
        if isinstance(exc, DepllcError):
            raise
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise ServiceError(
                f"Disk full in {target_folder} while downloading {record.originalName}; "
                "nothing was kept.",
                "Free some space and retry.",
            ) from exc
        if isinstance(exc, Exception):
            from core.errors import describe

            raise ServiceError(
                f"Download of {record.originalName} failed: {describe(exc).text} Nothing was kept."
            ) from exc
        raise
    warning = None
    try:
        runtime.store.files.update_one(
            {"_id": record.id},
            {"$inc": {"access.downloadCount": 1}, "$set": {"access.lastAccessed": utcnow()}},
        )
    except Exception as exc:
        if not type(exc).__module__.startswith("pymongo"):
            raise
        warning = "downloaded, but the download count could not be recorded (MongoDB down)"
    verified = "size + SHA-256" if expected_sum is not None else "size (no checksum recorded)"
    return DownloadResult(
        path=path,
        size=size,
        verified=verified,
        record=record,
        version_id=info.get("VersionId"),
        warning=warning,
    )


@dataclass
class DownloadOutcome:
    ref: str
    result: DownloadResult | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None


def download_many(
    runtime: Runtime,
    refs: list[str],
    folder: Path | str,
    conflict: Conflict = "refuse",
    progress: Callable[[int, int, int], None] | None = None,
    cancel: threading.Event | None = None,
    max_parallel: int = 3,
    tuning: TransferTuning = DEFAULT_TUNING,
) -> list[DownloadOutcome]:
    """Several files at once, at most `max_parallel` in flight; each succeeds or fails
    on its own. `progress(index, done, total)`."""
    check_folder(folder)

    def one(index: int, ref: str) -> DownloadOutcome:
        if cancel is not None and cancel.is_set():
            return DownloadOutcome(ref, error=CancelledError("Download cancelled."))
        cb = (lambda d, t: progress(index, d, t)) if progress else None
        try:
            return DownloadOutcome(
                ref,
                result=download_file(runtime, ref, folder, conflict, None, cb, cancel, tuning),
            )
        except Exception as exc:
            return DownloadOutcome(ref, error=exc)

    with ThreadPoolExecutor(max_workers=max(1, max_parallel)) as pool:
        return list(pool.map(lambda pair: one(*pair), enumerate(refs)))
