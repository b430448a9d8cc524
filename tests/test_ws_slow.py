"""A consumer that stops reading is closed with 1013; the others keep receiving promptly."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import sqlite3
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gymhub.config import Config
from gymhub.data import notifications
from gymhub.realtime.hub import SEND_BUFFER
from gymhub.server import make_app
from gymhub.web.appkeys import db_key, hub_key
from tests.support import bearer, make_config
from tests.test_ws_support import connect, recv

QUEUE = 16


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, ws_queue_size=QUEUE)


@pytest.fixture
def app(config: Config) -> web.Application:
    return make_app(config)


async def raw_socket(client: TestClient, user: dict[str, Any]) -> tuple[Any, Any]:
    """A hand-made WebSocket handshake on a socket with a tiny receive buffer, then no reads."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (client.host, client.port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /api/ws/ws/{user['id']}?token={user['token']} HTTP/1.1\r\n"
            f"Host: {client.host}:{client.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One unmasked server frame: (opcode, payload)."""
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", await reader.readexactly(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", await reader.readexactly(8))[0]
    return first & 0x0F, await reader.readexactly(length)


async def burst(client: TestClient, user_id: int, n: int, size: int) -> None:
    """Store n SYSTEM notifications in one transaction and publish them, as an event does."""
    text = "x" * size

    def store(conn: sqlite3.Connection) -> list[notifications.Stored]:
        return notifications.insert(conn, [(user_id, "SYSTEM", {"message": text})] * n)

    stored = await client.app[db_key].write(store)
    client.app[hub_key].publish(stored)


async def test_slow_consumer_is_dropped(client: TestClient, people: dict[str, Any]) -> None:
    admin, member, trainer = people["admin"], people["client"], people["trainer"]
    reader, writer = await raw_socket(client, member)
    try:
        await _check_drop(client, admin, member, trainer, reader)
    finally:
        writer.close()


async def _check_drop(
    client: TestClient,
    admin: str,
    member: dict[str, Any],
    trainer: dict[str, Any],
    reader: asyncio.StreamReader,
) -> None:
    hub = client.app[hub_key]
    fast_same_user = await connect(client, member)
    fast_other = await connect(client, trainer)
    await asyncio.sleep(0.05)
    latencies = []
    buffered_max = 0
    for _ in range(400):
        start = time.perf_counter()
        await burst(client, member["id"], 8, 4000)
        for _ in range(8):
            await recv(fast_same_user)
        latencies.append(time.perf_counter() - start)
        for conn in hub.connections():
            buffered_max = max(buffered_max, conn.transport.get_write_buffer_size())
            assert conn.behind <= QUEUE and conn.pending is None
        if hub.dropped_slow:
            break
    assert hub.dropped_slow == 1, "the non-reading socket was never dropped"
    assert len(latencies) > 2  # it took a real backlog, not the first publish
    # What the server held for any socket stayed bounded: at most QUEUE frames (~4 KiB each)
    # above the kernel's capped send buffer.
    assert buffered_max <= (QUEUE + 1) * 4200, buffered_max
    # It was dropped once the kernel's capped send buffer (SO_SNDBUF, doubled by the kernel) and
    # QUEUE more frames were full: about 6 bursts of 8, not megabytes (autotuned: ~90 bursts).
    assert len(latencies) * 8 * 4000 <= 2 * SEND_BUFFER + (QUEUE + 16) * 4200, len(latencies)
    latencies.sort()
    assert latencies[len(latencies) // 2] < 0.25 and latencies[-1] < 1.0, latencies[-5:]
    # The trainer's socket never noticed.
    await client.post(f"/api/ws/test-notification/{trainer['id']}", headers=bearer(admin))
    assert (await recv(fast_other))["type"] == "SYSTEM"
    stats = await (await client.get("/api/ws/ws/stats", headers=bearer(admin))).json()
    assert stats["dropped_slow"] == 1 and stats["connections"] == 2
    # Reading again, the dropped client finds its frames and then the 1013 close frame.
    async with asyncio.timeout(8):
        while True:
            opcode, payload = await read_frame(reader)
            if opcode == 8:
                break
    assert struct.unpack("!H", payload[:2])[0] == 1013
