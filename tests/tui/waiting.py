"""Waiting in Pilot tests: let the app's workers and timers run until a condition
holds, failing after `timeout` seconds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def until(pilot: Any, check: Callable[[], Any], timeout: float = 30.0) -> None:
    """Pause the Pilot in short steps until `check()` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the screen")
        await pilot.pause(0.02)
