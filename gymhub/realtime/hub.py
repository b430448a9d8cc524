"""The hub: user id → open connections, each with a bounded queue and one writer task.

Publishing never awaits: an envelope is serialised once per recipient and put into each of that
recipient's queues; a full queue means the consumer cannot keep up, so that one connection is
closed with 1013 (it reconnects with `since` and loses nothing, everything being stored first).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import msgspec
from aiohttp import WSMsgType, web

from gymhub import metrics
from gymhub.data.notifications import Stored
from gymhub.realtime.tickets import Tickets

log = logging.getLogger("gymhub.realtime")

TRY_AGAIN_LATER = 1013
REVOKED = 4401
GOING_AWAY = 1001
# How long a closing handshake may take before the transport is dropped: a peer that stopped
# reading never answers, and its buffers must not stay with us.
CLOSE_TIMEOUT = 10.0

_encode = msgspec.json.Encoder().encode


class Connection:
    """One open WebSocket of one user, as the hub sees it."""

    __slots__ = ("closing", "floor", "queue", "transport", "user_id", "ver", "writer", "ws")

    def __init__(
        self,
        user_id: int,
        ver: int,
        ws: web.WebSocketResponse,
        size: int,
        transport: asyncio.Transport | None = None,
    ):
        self.user_id = user_id
        self.ver = ver
        self.ws = ws
        self.transport = transport
        self.queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue(size)
        # Ids at or below the floor were already sent by the replay: live copies are skipped.
        self.floor = 0
        self.writer: asyncio.Task[None] | None = None
        self.closing = False


class Hub:
    """Fans stored notifications out to every open connection of their recipients."""

    def __init__(self, queue_size: int = 256) -> None:
        self.queue_size = max(1, queue_size)
        self._conns: dict[int, set[Connection]] = {}
        self._closers: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.dropped_slow = 0
        self.tickets = Tickets()

    # Registration -------------------------------------------------------------------------

    def register(
        self,
        user_id: int,
        ver: int,
        ws: web.WebSocketResponse,
        transport: asyncio.Transport | None = None,
    ) -> Connection:
        """Track a new connection; it queues notifications from now on (before any replay).

        `ver` is the token version it was opened with; `transport` lets a close that the peer
        never answers drop the socket's buffers.
        """
        conn = Connection(user_id, ver, ws, self.queue_size, transport)
        self._conns.setdefault(user_id, set()).add(conn)
        metrics.WEBSOCKETS_OPEN.inc()
        return conn

    def start(self, conn: Connection, floor: int) -> None:
        """Start the connection's writer once the welcome and the replay are sent."""
        conn.floor = floor
        if not conn.closing:
            conn.writer = asyncio.create_task(self._write(conn))

    def unregister(self, conn: Connection) -> None:
        """Forget a connection and stop its writer (idempotent)."""
        sockets = self._conns.get(conn.user_id)
        if sockets is not None and conn in sockets:
            sockets.discard(conn)
            metrics.WEBSOCKETS_OPEN.dec()
            if not sockets:
                del self._conns[conn.user_id]
        if conn.writer is not None and conn.writer is not asyncio.current_task():
            conn.writer.cancel()

    def connections(self) -> list[Connection]:
        """Every open connection."""
        return [c for conns in self._conns.values() for c in conns]

    def user_ids(self) -> list[int]:
        """Users holding at least one connection."""
        return list(self._conns)

    def stats(self) -> dict[str, int]:
        """Connections, users, notifications sent and slow consumers dropped since start."""
        return {
            "connections": sum(len(c) for c in self._conns.values()),
            "users": len(self._conns),
            "sent": self.sent,
            "dropped_slow": self.dropped_slow,
        }

    # Publishing ---------------------------------------------------------------------------

    def publish(self, stored: Iterable[Stored]) -> int:
        """Queue committed notifications for their recipients' connections; never blocks.

        Call it right after the transaction that stored them commits. Returns how many
        connections an envelope was queued for. It also counts them as stored in the metrics.
        """
        queued = 0
        count = 0
        for item in stored:
            count += 1
            conns = self._conns.get(item.user_id)
            if not conns:
                continue
            payload = _encode(item.envelope())
            for conn in tuple(conns):
                if conn.closing:
                    continue
                try:
                    conn.queue.put_nowait((item.id, payload))
                except asyncio.QueueFull:
                    self.dropped_slow += 1
                    metrics.DROPPED_SLOW.inc()
                    log.info("closing a slow WebSocket of user %s (1013)", conn.user_id)
                    self.drop(conn, TRY_AGAIN_LATER, b"too slow; reconnect with since")
                else:
                    queued += 1
        metrics.NOTIFICATIONS_STORED.inc(count)
        return queued

    def count_sent(self, n: int = 1) -> None:
        """Count notifications written to sockets (the replay counts too)."""
        self.sent += n
        metrics.NOTIFICATIONS_SENT.inc(n)

    async def _write(self, conn: Connection) -> None:
        ws = conn.ws
        try:
            while True:
                item_id, payload = await conn.queue.get()
                if item_id <= conn.floor:
                    continue
                await ws.send_frame(payload, WSMsgType.TEXT)
                self.count_sent()
        except (ConnectionError, RuntimeError):
            # The peer went away mid-write; the handler's read loop ends and unregisters.
            self.drop(conn, GOING_AWAY, b"")

    # Closing ------------------------------------------------------------------------------

    def drop(self, conn: Connection, code: int, reason: bytes) -> None:
        """Stop feeding a connection and close it with code, without waiting for the peer."""
        if conn.closing:
            return
        conn.closing = True
        self.unregister(conn)
        task = asyncio.create_task(self._close(conn, code, reason))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    async def _close(self, conn: Connection, code: int, reason: bytes) -> None:
        try:
            await asyncio.wait_for(conn.ws.close(code=code, message=reason), CLOSE_TIMEOUT)
        except (TimeoutError, ConnectionError, RuntimeError):
            if conn.transport is not None:
                conn.transport.abort()

    async def disconnect_user(self, user_id: int, code: int) -> None:
        """Close every connection of a user at once (4401 on revocation)."""
        for conn in tuple(self._conns.get(user_id, ())):
            self.drop(conn, code, b"revoked" if code == REVOKED else b"")
        # Let the close frames go out before the caller answers its request.
        await asyncio.sleep(0)

    async def close_all(self, code: int = GOING_AWAY, timeout: float = 5.0) -> None:
        """Close every connection (1001 on shutdown), waiting a bounded time for the handshakes."""
        for conn in self.connections():
            self.drop(conn, code, b"server shutting down" if code == GOING_AWAY else b"")
        if self._closers:
            await asyncio.wait(set(self._closers), timeout=timeout)

    def revoke_stale(self, current: dict[int, tuple[bool, int]]) -> int:
        """Close connections whose user is gone, disabled, or whose token version moved on."""
        closed = 0
        for conn in self.connections():
            disabled, ver = current.get(conn.user_id, (True, -1))
            # Versions only grow: a connection newer than this read is left alone.
            if disabled or ver > conn.ver:
                self.drop(conn, REVOKED, b"revoked")
                closed += 1
        return closed
