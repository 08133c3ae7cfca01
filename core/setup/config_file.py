"""Write what setup created (names, the queue URL) into the user's TOML config file,
keeping every other key. Read with tomllib; written by the small writer below
(comments in the file are not kept: tomllib does not return them)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.setup.context import SetupContext
from core.setup.plan import Action, Step
from core.setup.targets import queue_name_from_url

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"The config file {path} is not valid TOML: {exc}.",
            "Fix or remove it, then rerun `depllc setup`.",
        ) from exc


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def dumps_toml(data: Mapping[str, Any], _prefix: str = "") -> str:
    """TOML text for a dict as tomllib returns it (scalars, arrays, tables)."""
    lines: list[str] = []
    tables: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, Mapping) or _is_table_array(value):
            tables.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables:
        name = f"{_prefix}{_key(key)}"
        if isinstance(value, Mapping):
            body = dumps_toml(value, f"{name}.")
            lines += ["", f"[{name}]", *([body] if body else [])]
        else:
            for item in value:
                body = dumps_toml(item, f"{name}.")
                lines += ["", f"[[{name}]]", *([body] if body else [])]
    return "\n".join(lines).strip("\n")


def write_toml(path: Path, data: Mapping[str, Any]) -> None:
    """Replace the file atomically (a temporary file in the same folder, then rename);
    a new file is private to the user (it may later hold a MongoDB URI)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(dumps_toml(data) + "\n")
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_toml(path: Path, values: Mapping[str, Any]) -> dict[str, Any]:
    """Set top-level keys, keeping every other key; return the keys that changed."""
    data = read_toml(path)
    changed = {k: v for k, v in values.items() if data.get(k) != v}
    if changed:
        data.update(changed)
        write_toml(path, data)
    return changed


def desired_values(ctx: SetupContext, queue_url: str | None) -> dict[str, Any]:
    t = ctx.targets
    values: dict[str, Any] = {
        "aws_region": t.region,
        "aws_s3_bucket": t.bucket,
        "aws_ses_from_email": t.sender,
        "ses_configuration_set": t.config_set,
    }
    if t.s3_region != t.region:
        values["aws_s3_region"] = t.s3_region
    if queue_url:
        values["ses_events_queue_url"] = queue_url
    return values


def plan_config_file(ctx: SetupContext) -> list[Step]:
    path = ctx.config_file
    if path is None:
        return []
    current = read_toml(path)
    queue_url = ctx.queue_url(ctx.targets.queue)
    wanted = desired_values(ctx, queue_url)
    differing = [k for k, v in wanted.items() if current.get(k) != v]
    if queue_url is None:
        # The queue is created by an earlier step; a URL already naming it stays valid.
        known = str(current.get("ses_events_queue_url", ""))
        if queue_name_from_url(known) != ctx.targets.queue:
            differing.append("ses_events_queue_url")
    resource = f"config file {path}"
    if not differing:
        return [Step(resource, "settings", "up to date", Action.NONE)]

    detail = "set " + ", ".join(differing)
    if path.exists() and any(
        line.lstrip().startswith("#") for line in path.read_text(encoding="utf-8").splitlines()
    ):
        detail += " (its comments are not kept)"

    def write() -> str | None:
        url = ctx.queue_url(ctx.targets.queue)
        changed = update_toml(path, desired_values(ctx, url))
        return f"Wrote {', '.join(changed)} to {path}." if changed else None

    apply: Callable[[], str | None] = write
    return [
        Step(
            resource,
            "settings",
            "missing" if not path.exists() else f"{len(differing)} keys differ",
            Action.CREATE if not path.exists() else Action.UPDATE,
            detail,
            apply=apply,
        )
    ]
