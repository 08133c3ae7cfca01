"""Counts read as a person says them: `1 email`, never `1 emails`."""

from __future__ import annotations

import pytest

from core.wording import counted


@pytest.mark.parametrize(
    ("n", "noun", "plural", "said"),
    [
        (0, "email", None, "0 emails"),
        (1, "email", None, "1 email"),
        (2, "file", None, "2 files"),
        (1, "audit entry", "audit entries", "1 audit entry"),
        (12_500, "audit entry", "audit entries", "12,500 audit entries"),
    ],
)
def test_counted(n: int, noun: str, plural: str | None, said: str) -> None:
    assert counted(n, noun, plural) == said
