"""Limits across WebSockets: a per-user cap at the handshake and a global buffered-bytes budget."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSServerHandshakeError, web
from aiohttp.test_utils import TestClient

from gymhub.config import Config
from gymhub.realtime.hub import HANDSHAKES_PER_USER
from gymhub.server import make_app
from gymhub.web.appkeys import hub_key
from tests.support import bearer, error_of, make_config
from tests.test_ws_slow import burst, raw_socket
from tests.test_ws_support import connect, recv

CAP = 3
BUDGET = 2 * 1024 * 1024


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(
        tmp_path,
        ws_max_per_user=CAP,
        ws_buffer_bytes=BUDGET,
        # Slow sockets count by bytes here, not by frames.
        ws_queue_size=100_000,
    )


@pytest.fixture
def app(config: Config) -> web.Application:
    return make_app(config)


def upgrade_headers() -> dict[str, str]:
    return {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
    }


async def test_a_socket_past_ws_max_per_user_is_refused_at_the_handshake(
    client: TestClient, people: dict[str, Any]
) -> None:
    admin, member, trainer = people["admin"], people["client"], people["trainer"]
    sockets = [await connect(client, member) for _ in range(CAP)]
    path = f"/api/ws/ws/{member['id']}?token={member['token']}"
    resp = await client.get(path, headers=upgrade_headers())
    await error_of(resp, 429, "too_many_connections")
    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect(path)
    assert refused.value.status == 429
    # The cookie/bearer endpoint counts the same sockets.
    resp = await client.get("/api/ws", headers=upgrade_headers() | bearer(member["token"]))
    await error_of(resp, 429, "too_many_connections")
    # Another user is not affected, and the open sockets still work.
    other = await connect(client, trainer)
    resp = await client.post(f"/api/ws/test-notification/{member['id']}", headers=bearer(admin))
    assert resp.status == 202
    for ws in sockets:
        assert (await recv(ws))["type"] == "SYSTEM"
    # Closing one frees its place.
    await sockets.pop().close()
    for _ in range(50):
        if client.app[hub_key].stats()["connections"] == CAP:  # 2 of member's + the trainer's
            break
        await asyncio.sleep(0.02)
    sockets.append(await connect(client, member))
    stats = await (await client.get("/api/ws/ws/stats", headers=bearer(admin))).json()
    assert stats["refused_too_many"] == 3 and stats["connections"] == CAP + 1
    for ws in [*sockets, other]:
        await ws.close()


def server_buffered(client: TestClient) -> int:
    """Bytes in the server's transports' write buffers, registered with the hub or not."""
    runner = client.server.runner
    assert runner is not None and runner.server is not None
    return sum(
        h.transport.get_write_buffer_size()
        for h in runner.server.connections
        if h.transport is not None
    )


async def test_bytes_buffered_for_slow_sockets_stay_within_ws_buffer_bytes(
    client: TestClient, people: dict[str, Any], config: Config
) -> None:
    member, trainer = people["client"], people["trainer"]
    client.app[hub_key].max_per_user = 0  # this test is about bytes, not the cap
    stalled = [await raw_socket(client, member) for _ in range(12)]
    reading = await connect(client, member)
    peak = 0
    try:
        for _ in range(40):
            await burst(client, member["id"], 8, 5000)
            for _ in range(8):
                assert (await recv(reading))["type"] == "SYSTEM"
            peak = max(peak, server_buffered(client))
        hub = client.app[hub_key]
        # Each stalled socket could hold 1 MiB on its own (12 MiB in all); together they held
        # at most the budget and a burst.
        assert peak <= BUDGET + 12 * 8 * 5100, peak
        assert hub.dropped_budget >= 1
        assert hub.buffered <= BUDGET
        # The reading socket of the same user was never dropped.
        assert any(c.ws is not None for c in hub.connections())
        await burst(client, member["id"], 1, 10)
        assert (await recv(reading))["type"] == "SYSTEM"
        # The other users' sockets are unaffected.
        other = await connect(client, trainer)
        await other.close()
    finally:
        for _, writer in stalled:
            writer.close()
        await reading.close()


async def test_one_users_handshakes_take_turns_and_always_give_their_turn_back(
    client: TestClient, people: dict[str, Any]
) -> None:
    member, trainer = people["client"], people["trainer"]
    gate = client.app[hub_key].handshake_gate(member["id"])

    async def turns_free() -> bool:
        # Every turn can be taken at once: none was kept by a finished or refused handshake.
        for _ in range(HANDSHAKES_PER_USER):
            await asyncio.wait_for(gate.acquire(), 1)
        for _ in range(HANDSHAKES_PER_USER):
            gate.release()
        return True

    # With the member's turns taken, their next handshake waits; another user's does not.
    for _ in range(HANDSHAKES_PER_USER):
        await gate.acquire()
    waiting = asyncio.ensure_future(connect(client, member))
    other = await asyncio.wait_for(connect(client, trainer), 5)
    await asyncio.sleep(0.3)
    assert not waiting.done()
    for _ in range(HANDSHAKES_PER_USER):
        gate.release()
    sockets = [await asyncio.wait_for(waiting, 5)]
    sockets += [await connect(client, member) for _ in range(CAP - 1)]
    assert await turns_free()
    # A refusal after the turn was taken (over the cap, then a token of a disabled account)
    # gives it back too.
    path = f"/api/ws/ws/{member['id']}?token={member['token']}"
    await error_of(await client.get(path, headers=upgrade_headers()), 429, "too_many_connections")
    assert await turns_free()
    resp = await client.patch(
        f"/api/users/{member['id']}", json={"disabled": True}, headers=bearer(people["admin"])
    )
    assert resp.status == 200, await resp.text()
    await error_of(await client.get(path, headers=upgrade_headers()), 401, "unauthenticated")
    assert await turns_free()
    for ws in [*sockets, other]:
        await ws.close()
