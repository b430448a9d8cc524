"""The hub: user id → open WebSockets. (Foundation version; the live-coaching work extends it.)"""

from __future__ import annotations

from aiohttp import web


class Hub:
    """Tracks each user's open WebSockets so revocation can close them at once."""

    def __init__(self) -> None:
        self._sockets: dict[int, set[web.WebSocketResponse]] = {}

    def add(self, user_id: int, ws: web.WebSocketResponse) -> None:
        self._sockets.setdefault(user_id, set()).add(ws)

    def discard(self, user_id: int, ws: web.WebSocketResponse) -> None:
        sockets = self._sockets.get(user_id)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                del self._sockets[user_id]

    async def disconnect_user(self, user_id: int, code: int) -> None:
        """Close every connection of a user (4401 on revocation)."""
        for ws in list(self._sockets.get(user_id, ())):
            await ws.close(code=code, message=b"revoked")

    async def close_all(self, code: int = 1001) -> None:
        """Close every connection (1001 on shutdown)."""
        for user_id in list(self._sockets):
            await self.disconnect_user(user_id, code)
