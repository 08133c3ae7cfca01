"""The query line's history: the last lines applied on each screen, newest last, kept
as JSON in the state dir (`query_history.json`, written atomically). A file that
cannot be read starts an empty history (it is a convenience, not a record)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from core.errors import ConfigError
from core.paths import state_dir

FILE_NAME = "query_history.json"
KEEP = 50  # lines per screen


def history_path() -> Path:
    return state_dir() / FILE_NAME


def _read(file: Path) -> dict[str, list[str]]:
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {
        str(screen): [line for line in lines if isinstance(line, str)]
        for screen, lines in raw.items()
        if isinstance(lines, list)
    }


def load(screen: str, path: Path | None = None) -> list[str]:
    """The screen's lines, oldest first."""
    return _read(path or history_path()).get(screen, [])


def remember(screen: str, line: str, path: Path | None = None) -> list[str]:
    """Add a line (moved to the end when already there); returns the screen's history.
    ConfigError when the state dir cannot be written."""
    text = line.strip()
    file = path or history_path()
    entries = _read(file)
    lines = [old for old in entries.get(screen, []) if old != text]
    if text:
        lines.append(text)
    entries[screen] = lines[-KEEP:]
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(entries, out, indent=1, ensure_ascii=False)
            Path(temp).replace(file)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(
            f"The query history cannot be saved in {file.parent}: {exc.strerror}.",
            "Set DEPLLC_STATE_DIR to a writable folder.",
        ) from None
    return entries[screen]
