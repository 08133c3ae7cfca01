"""Seed data for the sandbox (filled in by the foundation work)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.config import Settings
from core.db import Store


def seed_all(
    store: Store, aws: Any, settings: Settings, progress: Callable[[str], None] | None = None
) -> None:
    """Seed email logs and files."""
