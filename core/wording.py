"""How the console words a count, in the TUI and on the command line alike."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`1 email`, `2 emails`, `1 audit entry`, `0 audit entries` (thousands grouped)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
