"""Saved searches: a name -> filter set, kept as JSON in the config dir
(`saved_searches.json`), written atomically."""

from __future__ import annotations

import json
import os
import tempfile
import unicodedata
from pathlib import Path

from pydantic import ValidationError

from core.errors import ConfigError, InputError, NotFoundError
from core.logs.query import FilterSet
from core.paths import config_dir

FILE_NAME = "saved_searches.json"
NAME_MAX = 60


def store_path() -> Path:
    return config_dir() / FILE_NAME


def check_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise InputError("A saved search needs a name.")
    if len(cleaned) > NAME_MAX:
        raise InputError(f"The name is {len(cleaned)} characters; at most {NAME_MAX}.")
    if any(unicodedata.category(c).startswith("C") for c in cleaned):
        raise InputError("The name may not hold control characters.")
    return cleaned


def load_all(path: Path | None = None) -> dict[str, FilterSet]:
    """Every saved search, in the order saved."""
    file = path or store_path()
    if not file.exists():
        return {}
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        return {str(name): FilterSet.model_validate(body) for name, body in raw.items()}
    except (ValueError, ValidationError) as exc:
        raise ConfigError(
            f"Saved searches in {file} cannot be read: {exc}".splitlines()[0],
            "Fix or delete that file.",
        ) from None


def _write(entries: dict[str, FilterSet], path: Path | None = None) -> None:
    file = path or store_path()
    file.parent.mkdir(parents=True, exist_ok=True)
    body = {name: f.model_dump(exclude_defaults=True) for name, f in entries.items()}
    fd, temp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(body, out, indent=2, ensure_ascii=False)
            out.write("\n")
        Path(temp).replace(file)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def save(name: str, filters: FilterSet, path: Path | None = None) -> str:
    """Save (or replace) a search; the filter is validated first."""
    cleaned = check_name(name)
    filters.to_query()  # refuse to save what could not be recalled
    entries = load_all(path)
    entries[cleaned] = filters
    _write(entries, path)
    return cleaned


def get(name: str, path: Path | None = None) -> FilterSet:
    entries = load_all(path)
    found = entries.get(name.strip())
    if found is None:
        known = ", ".join(entries) or "none yet"
        raise NotFoundError(f"No saved search named {name!r}.", f"Saved: {known}.")
    return found


def delete(name: str, path: Path | None = None) -> None:
    entries = load_all(path)
    if entries.pop(name.strip(), None) is None:
        raise NotFoundError(f"No saved search named {name!r}.")
    _write(entries, path)
