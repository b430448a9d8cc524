"""Requests in flight, so SIGTERM can let running uploads finish before connections close.

aiohttp's own graceful shutdown closes every connection first and then drops the bytes that still
arrive on it, so an upload whose body is still streaming could never finish. gymhub stops
listening, waits (bounded) for this count to reach zero, and only then lets aiohttp close.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class InFlight:
    """Counts plain HTTP requests being handled (WebSockets are closed by the hub instead)."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Count the request while its handler runs."""
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await handler(request)
        self.count += 1
        self._idle.clear()
        try:
            return await handler(request)
        finally:
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is running, at most `timeout` seconds; False on time-out."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True
