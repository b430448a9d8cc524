"""Closed connections are freed by reference counting, not left for the cyclic collector.

On Python 3.11 a closed asyncio socket transport is a reference cycle (CPython gh-100348);
bench/abuse.py found 10,000 of them alive 5 s after the attacker left, pinning ~70 MB of pymalloc
arenas. The guard breaks the cycle when the connection is lost; these tests count the closed
transports left once the server has seen every connection go, with the collector off.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from gymhub.web.connections import Guard, GuardedSite, Limits

CONNECTIONS = 50


def closed_transports() -> int:
    kind = asyncio.selector_events._SelectorSocketTransport  # type: ignore[attr-defined]
    return len([o for o in gc.get_objects() if isinstance(o, kind) and o._sock is None])


@contextlib.asynccontextmanager
async def serving(max_connections: int) -> AsyncIterator[tuple[Guard, int]]:
    async def hello(_: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    guard = Guard(Limits(max_connections, header_timeout=30, body_idle_timeout=60))
    site = GuardedSite(runner, "127.0.0.1", 0, guard)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield guard, port
    finally:
        await runner.cleanup()


async def connect_and_leave(port: int, count: int, first: bytes) -> None:
    loop = asyncio.get_running_loop()
    socks = []
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        if first:
            await loop.sock_sendall(sock, first)
        socks.append(sock)
    await asyncio.sleep(0.2)  # the server accepts them all
    for sock in socks:
        # An abort, as bench/abuse.py's attacker leaves: the server reads ECONNRESET.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()


async def wait_closed(guard: Guard) -> None:
    async with asyncio.timeout(10):
        while guard.open:
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # the last connection_lost callbacks run


@pytest.mark.parametrize(
    "first", [b"", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"GET / HTTP/1.1\r\nX-Half: "]
)
async def test_closed_connections_leave_no_transport_behind(
    no_collector: None, first: bytes
) -> None:
    async with serving(max_connections=1000) as (guard, port):
        await connect_and_leave(port, CONNECTIONS, first)
        await wait_closed(guard)
        assert closed_transports() == 0


async def test_refused_connections_leave_no_transport_behind(no_collector: None) -> None:
    async with serving(max_connections=1) as (guard, port):
        await connect_and_leave(port, CONNECTIONS, b"")
        await wait_closed(guard)
        assert guard.refused >= CONNECTIONS - 1
        assert closed_transports() == 0
