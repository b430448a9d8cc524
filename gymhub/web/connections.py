"""Limits on connections that aiohttp does not enforce: a cap and two read timeouts.

aiohttp closes a connection that sits idle between requests (`keepalive_timeout`), but a peer
that sends half its headers, or half a body and then nothing, holds its socket for as long as
it likes, and nothing bounds how many sockets are open. Each costs a file descriptor; once they
run out, `accept()` fails and even /healthz goes unanswered. So:

- `max_connections`: past it a new connection is closed at once, before aiohttp sees it, so
  the descriptors left serve the connections already open (and the database and media files);
- `header_timeout`: the request line and headers must arrive within it of the connection being
  opened, or of the first byte of a later request on a kept-alive connection;
- `body_idle_timeout`: a request whose body gets no byte for that long ends (its handler sees
  a `BodyIdleTimeout`, a `ConnectionResetError`, and cleans up as for a peer that left) and its
  connection is closed. Time the body waits because *we* stopped reading (the handler is busy
  and the buffer is full) does not count.

Every timer is one `loop.call_at` handle per connection: no sweep over thousands of sockets.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.streams import EMPTY_PAYLOAD, StreamReader

from gymhub.config import Config

log = logging.getLogger("gymhub.connections")

# The descriptors kept free of connections for the database, media files, the image pool and
# the listening socket itself, when max_connections is derived from the open-file limit.
RESERVED_FDS = 256
DEFAULT_MAX_CONNECTIONS = 16384


class BodyIdleTimeout(ConnectionResetError):
    """The client sent no body byte for body_idle_timeout seconds; its connection is closed."""


@dataclass(frozen=True)
class Limits:
    """The connection limits in force (a timeout of 0 turns that timeout off)."""

    max_connections: int
    header_timeout: float
    body_idle_timeout: float

    @classmethod
    def from_config(cls, config: Config) -> Limits:
        """The limits a Config asks for, with max_connections=0 resolved from RLIMIT_NOFILE."""
        cap = config.max_connections or default_max_connections()
        return cls(cap, config.header_timeout, config.body_idle_timeout)


def default_max_connections() -> int:
    """min(16384, the soft open-file limit - 256), at least 1."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return DEFAULT_MAX_CONNECTIONS
    return max(1, min(DEFAULT_MAX_CONNECTIONS, soft - RESERVED_FDS))


class Guard:
    """Counts the open connections and what the limits did, and makes their protocols."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.open = 0
        # The most open at once since memory was last given back (see memory.py).
        self.peak = 0
        self.refused = 0
        self.header_timeouts = 0
        self.body_timeouts = 0

    def stats(self) -> dict[str, int]:
        """Open connections now; refusals and timeouts since start."""
        return {
            "open": self.open,
            "refused": self.refused,
            "header_timeouts": self.header_timeouts,
            "body_timeouts": self.body_timeouts,
        }

    def protocol_factory(
        self, server: web.Server, **handler_kwargs: Any
    ) -> Callable[[], asyncio.Protocol]:
        """What `loop.create_server` calls per accepted socket: a guarded aiohttp handler, or,
        past max_connections, a protocol that closes the socket at once."""
        loop = asyncio.get_running_loop()

        def factory() -> asyncio.Protocol:
            if self.open >= self.limits.max_connections:
                return _Refused(self)
            # Counted here, not in connection_made: one accept batch makes many protocols
            # before the first connection_made runs.
            self.open += 1
            if self.open > self.peak:
                self.peak = self.open
            return GuardedRequestHandler(server, guard=self, loop=loop, **handler_kwargs)

        return factory


def _noop() -> None:
    pass


def release_transport(transport: asyncio.BaseTransport | None) -> None:
    """Break the reference cycle of a closed selector transport, so it is freed at once.

    Python 3.11's `_SelectorSocketTransport` keeps its read callback as a bound method of
    itself and never drops it (CPython gh-100348; 3.12 drops it on close). Every closed
    connection then waits for a full garbage collection, which comes rarely: after
    bench/abuse.py's 12,000 connections had closed, the 10,000 transports, their sockets and
    dicts (20 MB of live blocks) were still there, pinning pymalloc arenas, and a full
    collection holds the loop for ~180 ms. Called from `connection_lost`, when the transport
    has removed its reader (which cancels a read callback already queued): it reads no more.
    """
    if getattr(transport, "_read_ready_cb", None) is not None:
        # A plain function, not None: nothing can call a missing callback even if that changes.
        transport._read_ready_cb = _noop  # type: ignore[union-attr]


class _Refused(asyncio.Protocol):
    """A connection past max_connections: closed before a byte is read, nothing queued."""

    def __init__(self, guard: Guard) -> None:
        self._guard = guard
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._guard.refused += 1
        # Identical lines: the log's repeat filter folds a flood of them into one per interval.
        log.warning(
            "refused a connection: %d open (max_connections)", self._guard.limits.max_connections
        )
        # abort, not close: the descriptor goes now, with no attempt to flush or read.
        if isinstance(transport, asyncio.Transport):
            transport.abort()
        else:
            transport.close()
        self._transport = transport

    def connection_lost(self, exc: BaseException | None) -> None:
        release_transport(self._transport)
        self._transport = None


class GuardedRequestHandler(web.RequestHandler):
    """aiohttp's connection protocol with a header timeout and a body idle timeout.

    It reads three attributes of its base (`_waiter`, `_request_count`, `_messages`): the
    subprocess tests in tests/test_connections.py fail if an aiohttp upgrade changes them.
    """

    __slots__ = ("_body", "_body_handle", "_counted", "_guard", "_header_handle", "_last_byte")

    def __init__(self, manager: web.Server, *, guard: Guard, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._guard = guard
        self._counted = True
        self._header_handle: asyncio.TimerHandle | None = None
        self._body_handle: asyncio.TimerHandle | None = None
        self._body: StreamReader | None = None
        self._last_byte = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: BaseException | None) -> None:
        # Before the base class forgets it (it sets self.transport to None).
        release_transport(self.transport)
        if self._counted:
            self._counted = False
            self._guard.open -= 1
        self._disarm_header_timer()
        if self._body_handle is not None:
            self._body_handle.cancel()
            self._body_handle = None
        self._body = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # A pending _waiter means start() waits for the next request: these bytes begin one.
        between_requests = self._waiter is not None
        count = self._request_count
        super().data_received(data)
        if self._request_count != count:
            # A whole request line and headers arrived (or a 400 for them).
            if self._header_handle is not None:
                self._disarm_header_timer()
            if self._messages:
                payload = self._messages[-1][1]
                # A request without a body has aiohttp's one empty reader: nothing to watch.
                if (
                    payload is not EMPTY_PAYLOAD
                    and isinstance(payload, StreamReader)
                    and not payload.is_eof()
                ):
                    self._watch_body(payload)
        elif between_requests and self._header_handle is None and not self._force_close:
            self._arm_header_timer()
        if self._body is not None:
            self._last_byte = self._loop.time()

    # Header timeout -----------------------------------------------------------------------

    def _arm_header_timer(self) -> None:
        timeout = self._guard.limits.header_timeout
        if timeout > 0 and self._header_handle is None:
            self._header_handle = self._loop.call_later(timeout, self._headers_late)

    def _disarm_header_timer(self) -> None:
        if self._header_handle is not None:
            self._header_handle.cancel()
            self._header_handle = None

    def _headers_late(self) -> None:
        self._header_handle = None
        if self.transport is None:
            return
        self._guard.header_timeouts += 1
        log.debug("closed a connection whose request headers took too long")
        self.force_close()

    # Body idle timeout --------------------------------------------------------------------

    def _watch_body(self, payload: StreamReader) -> None:
        timeout = self._guard.limits.body_idle_timeout
        if timeout <= 0:
            return
        self._body = payload
        self._last_byte = self._loop.time()
        if self._body_handle is None:
            self._body_handle = self._loop.call_at(self._last_byte + timeout, self._check_body)

    def _check_body(self) -> None:
        self._body_handle = None
        payload, transport = self._body, self.transport
        if payload is None or transport is None or payload.is_eof():
            self._body = None
            return
        now = self._loop.time()
        if not transport.is_reading():
            # Reading is paused because the handler has not taken what came: our delay.
            self._last_byte = now
        deadline = self._last_byte + self._guard.limits.body_idle_timeout
        if now < deadline:
            self._body_handle = self._loop.call_at(deadline, self._check_body)
            return
        self._body = None
        self._guard.body_timeouts += 1
        log.debug("closed a connection whose request body stalled")
        # The handler's next read raises this; closing the transport ends the connection.
        payload.set_exception(BodyIdleTimeout("no body byte within body_idle_timeout"))
        self.force_close()


class GuardedSite(web.BaseSite):
    """A TCP site like aiohttp's TCPSite whose connections go through a Guard."""

    __slots__ = ("_guard", "_handler_kwargs", "_host", "_port")

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        guard: Guard,
        *,
        backlog: int = 128,
        **handler_kwargs: Any,
    ) -> None:
        super().__init__(runner, backlog=backlog)
        self._host, self._port = host, port
        self._guard = guard
        self._handler_kwargs = handler_kwargs

    @property
    def name(self) -> str:
        """The site's URL, as TCPSite names it."""
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        """Listen, handing each accepted socket to the guard."""
        await super().start()
        server = self._runner.server
        assert server is not None
        factory = self._guard.protocol_factory(server, **self._handler_kwargs)
        self._server = await asyncio.get_running_loop().create_server(
            factory, self._host, self._port, backlog=self._backlog, reuse_address=True
        )
