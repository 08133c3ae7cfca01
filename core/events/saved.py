"""Event bodies saved in files (a dead-letter dump, a support ticket): read one safely.

A symbolic link is refused unless the caller says to follow it (`events ingest
/tmp/ticket.json` must not store part of the file a link points at, such as
/etc/shadow); only regular files are read (a FIFO or a device never blocks or streams
forever); and never more than the body limit is read: a bigger file is refused.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from core.errors import InputError
from core.events.parse import MAX_BODY_BYTES

_CHUNK = 64 * 1024
_LIMIT = f"{MAX_BODY_BYTES // (1024 * 1024)} MiB"


def read_saved_body(path: Path, *, follow_symlinks: bool = False) -> bytes:
    """The bytes of one saved body; InputError (one line) when it cannot be taken."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError("no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:
            raise InputError(
                "is a symbolic link: not read (--follow-symlinks reads what it points to)"
            ) from None
        raise InputError(f"cannot be read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError("is not a regular file")
        if info.st_size > MAX_BODY_BYTES:
            raise InputError(f"is over the {_LIMIT} limit for an SES event body: not read")
        chunks: list[bytes] = []
        left = MAX_BODY_BYTES + 1  # one byte more tells a file that grew past the limit
        while left > 0:
            chunk = os.read(fd, min(left, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise InputError(f"is over the {_LIMIT} limit for an SES event body: not read")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
