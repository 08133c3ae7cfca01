"""Object keys (the guide's layout) and the reverse: a safe local name for a key or
an original name that may hold `../`, an absolute path or control characters."""

from __future__ import annotations

import re
import secrets
import time
import unicodedata
from pathlib import Path

from core.errors import InputError
from core.validation import FILE_CONSTANTS, safe_file_name

_SEGMENT = re.compile(r"[^A-Za-z0-9._@+\-]")
_KEY_TAIL = re.compile(r"^(?P<ts>\d{10,16})-(?P<rand>[0-9a-f]{8,32})-(?P<name>.+)$")


def safe_segment(value: str) -> str:
    """One key segment (a user id): no `/`, no `..`, nothing surprising."""
    cleaned = _SEGMENT.sub("_", value).strip(".") or "_"
    return cleaned[:128]


def make_key(category: str, user_id: str, name: str, now_ms: int | None = None) -> str:
    """`{category}/{userId}/{timestamp}-{random}-{safe name}` (the guide's layout)."""
    stamp = now_ms if now_ms is not None else int(time.time() * 1000)
    return (
        f"{category}/{safe_segment(user_id)}/{stamp}-{secrets.token_hex(8)}-{safe_file_name(name)}"
    )


def parse_key(key: str) -> tuple[str | None, str | None, str]:
    """(category, userId, name) from a key in the guide's layout; name is the tail."""
    parts = key.split("/")
    tail = parts[-1]
    match = _KEY_TAIL.match(tail)
    name = match.group("name") if match else tail
    if len(parts) == 3 and match:
        return parts[0], parts[1], name
    return None, None, name


def local_name(name: str, fallback: str = "file") -> str:
    """A name safe to create in a folder: the last path part only, no control or
    reserved characters, never `.`/`..`, not hidden by accident, at most 255 bytes."""
    base = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    base = "".join("_" if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"} else c for c in base)
    base = re.sub(r'[<>:"|?*]', "_", base).strip().lstrip(".")
    if base in {"", ".", ".."}:
        base = fallback
    encoded = base.encode("utf-8")
    if len(encoded) > FILE_CONSTANTS.FILENAME_MAX_LENGTH:
        stem, dot, ext = base.rpartition(".")
        keep = ext if dot and len(ext) <= 16 else ""
        room = FILE_CONSTANTS.FILENAME_MAX_LENGTH - len(keep.encode()) - (1 if keep else 0)
        cut = (stem if keep else base).encode("utf-8")[:room].decode("utf-8", errors="ignore")
        base = f"{cut}.{keep}" if keep else cut
    return base


def confined(folder: Path, name: str) -> Path:
    """`folder/name`, refusing anything that would land outside `folder`."""
    root = folder.resolve()
    target = (root / name).resolve()
    if target.parent != root:
        raise InputError(f"Refusing to write outside {root}: {name!r}.")
    return target


def keep_both_name(folder: Path, name: str) -> Path:
    """`name (1).ext`, `name (2).ext`, ... the first that does not exist yet."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    for n in range(1, 10_000):
        candidate = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
        path = confined(folder, candidate)
        if not path.exists():
            return path
    raise InputError(f"Too many copies of {name} in {folder}.")
