"""The hub: user id → open connections; a notification is framed once and written to each.

Publishing never awaits and wakes no task: every recipient's socket gets the same pre-built frame
through `transport.write`, in one plain loop. The transport's buffer is each connection's bounded
send queue and the event loop its one writer. A connection counts as slow when more than
`queue_size` frames went out while the socket still held unsent bytes, or when more than
MAX_BUFFERED bytes wait for it: it is closed with 1013 (it reconnects with `since` and loses
nothing, everything being stored first). Until its welcome and replay are out, a connection's
live notifications wait in a short list, also bounded by `queue_size`.

Two limits hold for all connections together. A user may hold `max_per_user` sockets (the next
handshake is refused before the upgrade). And the bytes waiting for slow sockets, in those lists
and in the transports' write buffers, stay within `buffer_budget`: the per-socket bounds alone
let 1,500 stalled sockets of one account hold 1.5 GB. Past the budget the sockets holding the
most are aborted at once (a close frame would wait behind the very bytes we want to free) until
a quarter of the budget is free again; their clients reconnect with `since`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Iterable

import msgspec
from aiohttp import web

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
# Bytes a connection may have waiting in our memory, whatever its frame count.
MAX_BUFFERED = 1024 * 1024
# The kernel's send buffer of a WebSocket (it doubles it). Autotuned, it grows to 4 MiB (2.8 MiB
# measured on loopback) that a peer which stopped reading holds before we could notice; 64 KiB
# still carries far more than notifications need at any round-trip time.
SEND_BUFFER = 64 * 1024
# Defaults of the two global limits (Config: ws_max_per_user, ws_buffer_bytes).
MAX_PER_USER = 20
BUFFER_BUDGET = 64 * 1024 * 1024

_encode = msgspec.json.Encoder().encode


def text_frame(payload: bytes) -> bytes:
    """An unmasked, unfragmented, uncompressed WebSocket text frame (RFC 6455 §5.2)."""
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", 0x81, size) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


# Handshakes of one user that run at once; the rest wait (see Hub.handshake_gate).
HANDSHAKES_PER_USER = 2


class Connection:
    """One open WebSocket of one user, as the hub sees it (thousands are held: keep it small)."""

    __slots__ = (
        "behind",
        "closing",
        "counted",
        "pending",
        "pending_bytes",
        "transport",
        "user_id",
        "ver",
        "ws",
    )

    def __init__(
        self, user_id: int, ver: int, ws: web.WebSocketResponse, transport: asyncio.Transport
    ):
        self.user_id = user_id
        self.ver = ver
        self.ws = ws
        self.transport = transport
        # (id, frame) published while the welcome and replay go out; None once live.
        self.pending: list[tuple[int, bytes]] | None = []
        self.pending_bytes = 0
        # Frames written since the socket last had nothing waiting.
        self.behind = 0
        self.closing = False
        # What this connection adds to Hub.buffered as last measured.
        self.counted = 0

    def waiting_bytes(self) -> int:
        """Bytes held for this peer now: its pending frames and its transport's buffer."""
        return self.pending_bytes + self.transport.get_write_buffer_size()


class Hub:
    """Fans stored notifications out to every open connection of their recipients."""

    def __init__(
        self,
        queue_size: int = 256,
        max_per_user: int = MAX_PER_USER,
        buffer_budget: int = BUFFER_BUDGET,
    ) -> None:
        self.queue_size = max(1, queue_size)
        # 0 turns either limit off.
        self.max_per_user = max_per_user
        self.buffer_budget = buffer_budget
        self._conns: dict[int, set[Connection]] = {}
        # Sockets per user from the handshake's admission to its handler's end.
        self._admitted: dict[int, int] = {}
        self._gates: dict[int, asyncio.Semaphore] = {}
        # Connections whose last measurement found bytes waiting, and the sum of those bytes.
        self._buffering: set[Connection] = set()
        self.buffered = 0
        self._closers: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.dropped_slow = 0
        self.dropped_budget = 0
        self.refused = 0
        self.tickets = Tickets()

    # Registration -------------------------------------------------------------------------

    def admit(self, user_id: int) -> bool:
        """Take one of the user's max_per_user places for a socket about to open, or refuse.

        Called before the upgrade, so a refusal is a plain HTTP answer; the place is taken at
        once, so handshakes running side by side cannot all slip under the cap.
        """
        held = self._admitted.get(user_id, 0)
        if self.max_per_user and held >= self.max_per_user:
            self.refused += 1
            return False
        self._admitted[user_id] = held + 1
        return True

    def handshake_gate(self, user_id: int) -> asyncio.Semaphore:
        """The user's gate for handshakes: HANDSHAKES_PER_USER of them run at once.

        A handshake costs two database reads (the account, then the welcome and replay); a
        client opening hundreds at once queued everyone else's reads behind its own (a normal
        client's p99 went from 3 ms to 265 ms in bench/abuse.py). Its own handshakes now wait
        their turn instead. Keyed by ids of verified tokens, so the dict is bounded by accounts.
        """
        gate = self._gates.get(user_id)
        if gate is None:
            gate = self._gates[user_id] = asyncio.Semaphore(HANDSHAKES_PER_USER)
        return gate

    def release(self, user_id: int) -> None:
        """Give back a place taken by admit() (when the socket's handler ends)."""
        held = self._admitted.get(user_id, 0) - 1
        if held > 0:
            self._admitted[user_id] = held
        else:
            self._admitted.pop(user_id, None)

    def register(
        self, user_id: int, ver: int, ws: web.WebSocketResponse, transport: asyncio.Transport
    ) -> Connection:
        """Track a new connection; it holds notifications from now on (before any replay).

        `ver` is the token version it was opened with; `ws` must be prepared with compress=False
        (frames are written to `transport` as they are built here).
        """
        if ws.compress:
            raise ValueError("the hub writes uncompressed frames; use compress=False")
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        conn = Connection(user_id, ver, ws, transport)
        self._conns.setdefault(user_id, set()).add(conn)
        return conn

    def start(self, conn: Connection, floor: int) -> None:
        """Go live once the welcome and the replay are sent: write what waited, above `floor`.

        Ids at or below the floor were already sent by the replay, so their live copies are
        skipped: no gap, no duplicate.
        """
        pending, conn.pending = conn.pending, None
        conn.pending_bytes = 0
        written = 0
        for item_id, frame in pending or ():
            if conn.closing:
                break
            if item_id > floor:
                written += self._write(conn, frame)
        self.count_sent(written)
        if not conn.closing:
            self._measure(conn)

    def unregister(self, conn: Connection) -> None:
        """Forget a connection (idempotent)."""
        sockets = self._conns.get(conn.user_id)
        if sockets is not None and conn in sockets:
            sockets.discard(conn)
            if not sockets:
                del self._conns[conn.user_id]
        self._forget_buffer(conn)

    def connections(self) -> list[Connection]:
        """Every open connection."""
        return [c for conns in self._conns.values() for c in conns]

    def user_ids(self) -> list[int]:
        """Users holding at least one connection."""
        return list(self._conns)

    def stats(self) -> dict[str, int]:
        """Connections, users, notifications sent and slow consumers dropped since start; the
        bytes buffered for slow sockets now, sockets dropped for the budget (counted in
        dropped_slow too) and handshakes refused past max_per_user."""
        return {
            "connections": sum(len(c) for c in self._conns.values()),
            "users": len(self._conns),
            "sent": self.sent,
            "dropped_slow": self.dropped_slow,
            "buffered_bytes": self.buffered,
            "dropped_budget": self.dropped_budget,
            "refused_too_many": self.refused,
        }

    # Publishing ---------------------------------------------------------------------------

    def publish(self, stored: Iterable[Stored]) -> int:
        """Send committed notifications to their recipients' connections; never blocks.

        Call it right after the transaction that stored them commits. Returns how many
        connections an envelope was written or queued for. It also counts them as stored in the
        metrics.
        """
        delivered = 0
        written = 0
        count = 0
        for item in stored:
            count += 1
            conns = self._conns.get(item.user_id)
            if not conns:
                continue
            frame = text_frame(_encode(item.envelope()))
            # A copy: a slow connection is removed from the set while we walk it.
            for conn in tuple(conns):
                if conn.closing:
                    continue
                pending = conn.pending
                if pending is None:
                    ok = self._write(conn, frame)
                    written += ok
                elif len(pending) < self.queue_size:
                    pending.append((item.id, frame))
                    conn.pending_bytes += len(frame)
                    self._measure(conn)
                    ok = True
                else:
                    ok = self._slow(conn)
                delivered += ok
        self.count_sent(written)
        metrics.NOTIFICATIONS_STORED.inc(count)
        return delivered

    def _write(self, conn: Connection, frame: bytes) -> bool:
        transport = conn.transport
        # After aiohttp's close frame nothing more may go out; the handler unregisters it.
        if conn.ws.closed or transport.is_closing():
            return False
        waiting = transport.get_write_buffer_size()
        if waiting:
            # The kernel took less than we sent: this peer reads slower than we write.
            conn.behind += 1
            if conn.behind > self.queue_size or waiting + len(frame) > MAX_BUFFERED:
                return self._slow(conn)
        else:
            conn.behind = 0
        try:
            transport.write(frame)
        except (ConnectionError, RuntimeError):
            self.drop(conn, GOING_AWAY, b"")
            return False
        if waiting or conn.counted:
            self._measure(conn)
        return True

    # The buffer budget -------------------------------------------------------------------

    def _measure(self, conn: Connection) -> None:
        """Update what the connection holds; past the budget, shed the biggest holders."""
        now = conn.waiting_bytes()
        self.buffered += now - conn.counted
        conn.counted = now
        if now:
            self._buffering.add(conn)
        else:
            self._buffering.discard(conn)
        if self.buffer_budget and self.buffered > self.buffer_budget:
            self._enforce_budget()

    def _forget_buffer(self, conn: Connection) -> None:
        self.buffered -= conn.counted
        conn.counted = 0
        self._buffering.discard(conn)

    def _enforce_budget(self) -> None:
        # Counts go stale as kernels drain buffers without telling us: measure them all first.
        total = 0
        sizes = []
        for conn in tuple(self._buffering):
            size = conn.waiting_bytes()
            conn.counted = size
            total += size
            if size:
                sizes.append((size, conn))
            else:
                self._buffering.discard(conn)
        self.buffered = total
        if total <= self.buffer_budget:
            return
        target = self.buffer_budget * 3 // 4
        sizes.sort(key=lambda pair: pair[0], reverse=True)
        for _size, conn in sizes:
            if self.buffered <= target:
                break
            self.dropped_budget += 1
            self.dropped_slow += 1
            metrics.DROPPED_SLOW.inc()
            self.abort(conn)
        log.warning(
            "WebSockets buffered %d bytes, over ws_buffer_bytes (%d): dropped the slowest",
            total,
            self.buffer_budget,
        )

    def abort(self, conn: Connection) -> None:
        """Drop a connection and its buffered bytes at once, without a closing handshake."""
        conn.closing = True
        conn.pending, conn.pending_bytes = None, 0
        self.unregister(conn)
        conn.transport.abort()
        self._forget_buffer(conn)

    def _slow(self, conn: Connection) -> bool:
        self.dropped_slow += 1
        metrics.DROPPED_SLOW.inc()
        log.info("closing a slow WebSocket of user %s (1013)", conn.user_id)
        self.drop(conn, TRY_AGAIN_LATER, b"too slow; reconnect with since")
        return False

    def count_sent(self, n: int = 1) -> None:
        """Count notifications written to sockets (the replay counts too)."""
        if n:
            self.sent += n
            metrics.NOTIFICATIONS_SENT.inc(n)

    # Closing ------------------------------------------------------------------------------

    def drop(self, conn: Connection, code: int, reason: bytes) -> None:
        """Stop feeding a connection and close it with code, without waiting for the peer."""
        if conn.closing:
            return
        conn.closing = True
        self.unregister(conn)
        # Until its closing handshake ends, what waits for it still counts against the budget
        # (and the budget may abort it): a peer that stopped reading holds it all that time.
        self._measure(conn)
        task = asyncio.create_task(self._close(conn, code, reason))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    async def _close(self, conn: Connection, code: int, reason: bytes) -> None:
        try:
            await asyncio.wait_for(conn.ws.close(code=code, message=reason), CLOSE_TIMEOUT)
        except (TimeoutError, ConnectionError, RuntimeError):
            if conn.transport is not None:
                conn.transport.abort()
        finally:
            self._forget_buffer(conn)

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
