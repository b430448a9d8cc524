"""The hub's direct writes: frame encoding at every length, one copy per socket, bounds."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from typing import Any

from aiohttp.test_utils import TestClient

from gymhub.data import notifications
from gymhub.realtime.hub import SEND_BUFFER, TRY_AGAIN_LATER
from gymhub.web.appkeys import db_key, hub_key
from tests.test_ws_support import closed_with, connect, recv


async def store(client: TestClient, user_id: int, texts: list[str]) -> list[notifications.Stored]:
    def insert(conn: sqlite3.Connection) -> list[notifications.Stored]:
        return notifications.insert(conn, [(user_id, "SYSTEM", {"message": t}) for t in texts])

    stored: list[notifications.Stored] = await client.app[db_key].write(insert)
    return stored


async def test_frames_of_every_length_arrive_intact(
    client: TestClient, people: dict[str, Any]
) -> None:
    member = people["client"]
    ws = await connect(client, member)
    # Envelopes around the 7-bit, 16-bit and 64-bit length encodings of RFC 6455.
    texts = ["a", "b" * 40, "c" * 60, "d" * 65_400, "e" * 65_460, "f" * 200_000]
    stored = await store(client, member["id"], texts)
    assert client.app[hub_key].publish(stored) == len(texts)
    for item, text in zip(stored, texts, strict=True):
        frame = await recv(ws)
        assert frame["id"] == item.id and frame["data"]["message"] == text
    await ws.close()


async def test_each_socket_gets_one_copy_in_order(
    client: TestClient, people: dict[str, Any]
) -> None:
    member, trainer = people["client"], people["trainer"]
    mine = [await connect(client, member) for _ in range(20)]
    other = await connect(client, trainer)
    stored = await store(client, member["id"], [f"n{i}" for i in range(30)])
    assert client.app[hub_key].publish(stored) == 20 * 30
    (marker,) = await store(client, member["id"], ["marker"])
    client.app[hub_key].publish([marker])
    for ws in mine:
        # Every one in id order, then the marker: no duplicate, nothing missing.
        got = [(await recv(ws))["id"] for _ in range(len(stored) + 1)]
        assert got == [s.id for s in stored] + [marker.id]
    # Nothing leaked to another user's socket.
    stats = client.app[hub_key].stats()
    assert stats["connections"] == 21
    try:
        msg = await other.receive(timeout=0.3)
    except TimeoutError:
        pass
    else:
        raise AssertionError(f"the trainer got {msg}")
    for ws in [*mine, other]:
        await ws.close()


async def test_send_buffer_is_capped(client: TestClient, people: dict[str, Any]) -> None:
    """A peer that stops reading can pin at most our cap in the kernel, not its 4 MiB autotune."""
    ws = await connect(client, people["client"])
    (conn,) = client.app[hub_key].connections()
    sock = conn.transport.get_extra_info("socket")
    # Linux doubles the value for its bookkeeping.
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) <= 2 * SEND_BUFFER
    await ws.close()


async def test_a_full_pending_list_closes_with_1013(
    client: TestClient, people: dict[str, Any]
) -> None:
    """Before its replay ends a connection holds at most queue_size notifications."""
    member = people["client"]
    ws = await connect(client, member)
    hub = client.app[hub_key]
    (live,) = hub.connections()
    # A second registration of the same socket stands for one whose replay is still running.
    waiting = hub.register(member["id"], live.ver, live.ws, live.transport)
    stored = await store(client, member["id"], ["x"] * (hub.queue_size + 1))
    hub.publish(stored)
    assert hub.dropped_slow == 1 and waiting.closing and waiting not in hub.connections()
    assert live in hub.connections()
    # The live registration got every one; then the socket closes with 1013.
    for item in stored:
        assert (await recv(ws))["id"] == item.id
    await closed_with(ws, TRY_AGAIN_LATER)
    await asyncio.sleep(0.05)
    assert hub.stats()["connections"] == 0
