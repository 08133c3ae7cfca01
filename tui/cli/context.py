"""What every command gets: settings from flags, a lazily opened runtime, and output
helpers that respect `--json` and a terminal vs a pipe."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.config import Settings
    from core.runtime import Runtime


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse `type`: a whole number from `low` to `high`, else a one-line usage
    error (exit 2) naming the flag."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range: use {low} to {high}")
        return value

    return parse


def terminal_width() -> int | None:
    """The terminal's columns when the output goes to one, else None: a file or a pipe
    gets every column at its full width."""
    import shutil

    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


@dataclass
class CommandContext:
    args: argparse.Namespace
    _settings: Settings | None = None
    _origin: dict[str, str] = field(default_factory=dict)
    _runtime: Runtime | None = None

    def flags(self) -> dict[str, Any]:
        a = self.args
        return {
            "aws_profile": a.profile,
            "aws_region": a.region,
            "sandbox": True if a.sandbox else None,
        }

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from core.config import load_settings

            cfg = Path(self.args.config) if self.args.config else None
            env_file = Path(self.args.env_file) if self.args.env_file else None
            self._settings, self._origin = load_settings(self.flags(), cfg, env_file)
        return self._settings

    @property
    def origin(self) -> dict[str, str]:
        _ = self.settings
        return self._origin

    def runtime(self, seed: bool = True) -> Runtime:
        """Open the services (starting a fresh seeded sandbox when asked)."""
        if self._runtime is None:
            from core.runtime import open_runtime

            progress = self.status if self.interactive else None
            self._runtime = open_runtime(self.settings, progress=progress, seed=seed)
            if progress is not None:
                self.clear_status()  # (what the command prints starts on a clean line)
        return self._runtime

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()

    @property
    def interactive(self) -> bool:
        return sys.stderr.isatty()

    def status(self, text: str) -> None:
        """A transient line on stderr for a person at a terminal; silent when piped."""
        if self.interactive:
            sys.stderr.write(f"\r\x1b[2K{text}")
            sys.stderr.flush()

    def clear_status(self) -> None:
        if self.interactive:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()

    def print_json(self, value: Any) -> None:
        """`value` as JSON (BSON types as plain JSON), the data exactly as stored:
        characters that would steer a terminal are JSON escapes."""
        from bson import json_util

        from tui import outside_text

        document = json.dumps(json.loads(json_util.dumps(value)), indent=2, ensure_ascii=False)
        sys.stdout.write(outside_text.json_escaped(document) + "\n")
