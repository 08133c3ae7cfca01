"""Counting what a person types in a Pilot test: each key press counts one, and a
typed string counts as one (as the issue counts them)."""

from __future__ import annotations

from typing import Any


class Keys:
    def __init__(self, pilot: Any) -> None:
        self.pilot = pilot
        self.count = 0

    async def press(self, *keys: str) -> None:
        """Each key counts one."""
        for key in keys:
            self.count += 1
            await self.pilot.press(key)

    async def type(self, text: str) -> None:
        """A typed string counts one."""
        self.count += 1
        await self.pilot.press(*text)
