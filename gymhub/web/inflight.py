"""Requests in flight, so SIGTERM can let running uploads finish before connections close.

aiohttp's own graceful shutdown closes every connection first and then drops the bytes that still
arrive on it, so an upload whose body is still streaming could never finish. gymhub stops
listening, waits (bounded) for this count to reach zero, and only then lets aiohttp close.
"""

from __future__ import annotations

import asyncio

IDLE_POLL = 0.02


class InFlight:
    """Counts plain HTTP requests being handled (WebSockets are closed by the hub instead)."""

    def __init__(self) -> None:
        self.count = 0

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is running, at most `timeout` seconds; False on time-out."""
        # Polled, only while stopping: an Event set and cleared around every request cost
        # more than the whole shutdown's polling.
        deadline = asyncio.get_running_loop().time() + timeout
        while self.count:
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(IDLE_POLL)
        return True
