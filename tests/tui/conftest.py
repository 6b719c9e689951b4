"""Helpers for driving the app against the real PostgreSQL service."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    """Let the app run until `condition` holds (polls are asynchronous); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.05)
