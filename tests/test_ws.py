"""WebSocket handshake refusals, client frames, revocation, tickets, stats and shutdown."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from aiohttp import WSMsgType, WSServerHandshakeError
from aiohttp.test_utils import TestClient

from gymhub.config import Config
from gymhub.data import users
from gymhub.server import make_app
from gymhub.web.appkeys import db_key, hub_key
from gymhub.web.hub_lifecycle import check_revocations
from tests.support import ADMIN_PASSWORD, bearer, create_user, error_of, login
from tests.test_ws_support import closed_with, connect, marker, next_is_marker, recv


async def refused(client: TestClient, url: str, status: int, code: str, **kw: Any) -> None:
    """A plain HTTP refusal with the documented error body (the upgrade never happens)."""
    headers = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13"}
    headers["Sec-WebSocket-Key"] = "dGhlIHNhbXBsZSBub25jZQ=="
    headers.update(kw.pop("headers", {}))
    resp = await client.get(url, headers=headers, **kw)
    await error_of(resp, status, code)
    if status == 401:
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    with pytest.raises(WSServerHandshakeError) as info:
        await client.ws_connect(url, headers=kw.get("ws_headers"))
    assert info.value.status == status


async def test_handshake_refusals(client: TestClient, people: dict[str, Any]) -> None:
    member, trainer = people["client"], people["trainer"]
    client.session.cookie_jar.clear()  # the fixture's logins left a session cookie
    await refused(client, f"/api/ws/ws/{member['id']}", 401, "unauthenticated")
    await refused(client, f"/api/ws/ws/{member['id']}?token=abc.def.ghi", 401, "unauthenticated")
    await refused(client, f"/api/ws/ws/{member['id']}?token=not-a-ticket", 401, "unauthenticated")
    await refused(client, "/api/ws", 401, "unauthenticated")
    # Another user's id with a valid token.
    await refused(client, f"/api/ws/ws/{trainer['id']}?token={member['token']}", 403, "forbidden")
    # A page on a foreign origin (cross-site WebSocket hijacking) is refused even with a token.
    url = f"/api/ws/ws/{member['id']}?token={member['token']}"
    resp = await client.get(url, headers={"Origin": "https://evil.example"})
    await error_of(resp, 403, "forbidden")
    with pytest.raises(WSServerHandshakeError) as info:
        await client.ws_connect(url, origin="https://evil.example")
    assert info.value.status == 403
    # Our own origin is fine.
    ws = await client.ws_connect(url, origin=f"http://{client.host}:{client.port}")
    assert (await recv(ws))["type"] == "welcome"
    await ws.close()
    # A bad since is a 400 naming it.
    resp = await client.get(url + "&since=-1")
    assert "since" in await error_of(resp, 400, "invalid_request")
    # A disabled user's token is refused.
    resp = await client.patch(
        f"/api/users/{member['id']}", headers=bearer(people["admin"]), json={"disabled": True}
    )
    assert resp.status == 200
    await refused(client, url, 401, "unauthenticated")


async def test_cookie_bearer_and_ticket(client: TestClient, people: dict[str, Any]) -> None:
    member = people["client"]
    ws = await client.ws_connect("/api/ws", headers=bearer(member["token"]))
    welcome = await recv(ws)
    assert welcome == {"type": "welcome", "user_id": member["id"], "unread": 0, "last_id": 0}
    await ws.close()
    # The login above left a session cookie in the client's jar: the browser path.
    client.session.cookie_jar.clear()
    await login(client, member["username"])
    ws = await client.ws_connect("/api/ws")
    assert (await recv(ws))["user_id"] == member["id"]
    await ws.close()
    client.session.cookie_jar.clear()
    resp = await client.post("/api/ws/ticket", headers=bearer(member["token"]))
    body = await resp.json()
    assert resp.status == 200 and body["expires_in"] == 30 and "." not in body["ticket"]
    url = f"/api/ws/ws/{member['id']}?token={body['ticket']}"
    ws = await client.ws_connect(url)
    assert (await recv(ws))["user_id"] == member["id"]
    await ws.close()
    # Single use.
    await refused(client, url, 401, "unauthenticated")
    resp = await client.post("/api/ws/ticket")
    await error_of(resp, 401, "unauthenticated")


async def test_frames(client: TestClient, people: dict[str, Any]) -> None:
    admin, member = people["admin"], people["client"]
    ws = await connect(client, member)
    await ws.send_str('{"type": "ping"}')
    assert await recv(ws) == {"type": "pong"}
    bad_frames = ["not json {", '{"type": "shout"}', '{"type": "ack"}', "[]"]
    for bad in [*bad_frames, '{"type": "ack", "up_to": -1}']:
        await ws.send_str(bad)
        frame = await recv(ws)
        assert frame["type"] == "error" and frame["code"] == "invalid_request", frame
        assert isinstance(frame["message"], str) and frame["message"]
    await ws.send_bytes(b"\x00\x01")
    assert (await recv(ws))["code"] == "invalid_request"
    # Still open and working.
    sent = await marker(client, admin, member["id"], "one")
    assert sent["delivered_to"] == 1
    note = sent["notification"]
    assert note["type"] == "SYSTEM" and note["data"] == {"message": "one"} and not note["read"]
    await next_is_marker(ws, "one")
    await marker(client, admin, member["id"], "two")
    await next_is_marker(ws, "two")
    # ack marks read; the pong after it proves the ack was applied (frames are handled in order).
    await ws.send_json({"type": "ack", "up_to": note["id"]})
    await ws.send_json({"type": "ping"})
    assert await recv(ws) == {"type": "pong"}
    resp = await client.get("/api/notifications", headers=bearer(member["token"]))
    listed = (await resp.json())["notifications"]
    assert [n["read"] for n in listed] == [True, False]
    # A frame of exactly 64 KiB is still answered; one byte more closes with 1009.
    await ws.send_str(padded_ping(64 * 1024))
    assert await recv(ws) == {"type": "pong"}
    await ws.send_str(padded_ping(64 * 1024 + 1))
    await closed_with(ws, 1009)
    assert not ws.closed or ws.close_code == 1009


def padded_ping(size: int) -> str:
    """A ping frame of exactly `size` bytes (unknown fields are ignored by the server)."""
    head, tail = '{"type":"ping","pad":"', '"}'
    frame = head + "x" * (size - len(head) - len(tail)) + tail
    assert len(frame.encode()) == size
    return frame


async def test_logout_all_closes_with_4401(client: TestClient, people: dict[str, Any]) -> None:
    member = people["client"]
    first, second = await connect(client, member), await connect(client, member)
    resp = await client.post("/api/auth/logout?all=1", headers=bearer(member["token"]))
    assert resp.status == 204
    await closed_with(first, 4401, timeout=2)
    await closed_with(second, 4401, timeout=2)


async def test_revocation_from_another_process(client: TestClient, people: dict[str, Any]) -> None:
    """`gymhub user disable` writes SQLite directly; the hub's periodic check notices it."""
    member, trainer = people["client"], people["trainer"]
    ws, keep = await connect(client, member), await connect(client, trainer)
    db = client.app[db_key]
    assert await check_revocations(client.app[hub_key], db) == 0
    await db.write(lambda c: users.update_user(c, member["id"], {"disabled": True}))
    assert await check_revocations(client.app[hub_key], db) == 1
    await closed_with(ws, 4401, timeout=2)
    await marker(client, people["admin"], trainer["id"], "still here")
    await next_is_marker(keep, "still here")


async def test_stats_and_test_notification(client: TestClient, people: dict[str, Any]) -> None:
    admin, member = people["admin"], people["client"]
    sockets = [await connect(client, member) for _ in range(3)]
    resp = await client.get("/api/ws/ws/stats", headers=bearer(admin))
    assert await resp.json() == {
        "connections": 3,
        "users": 1,
        "sent": 0,
        "dropped_slow": 0,
        "buffered_bytes": 0,
        "dropped_budget": 0,
        "refused_too_many": 0,
    }
    resp = await client.get("/api/ws/ws/stats", headers=bearer(member["token"]))
    await error_of(resp, 403, "forbidden")
    # Every connection of the user receives it (tabs, phone).
    resp = await client.post(
        f"/api/ws/test-notification/{member['id']}",
        headers=bearer(admin),
        json={"message": "hello", "title": "Gym closed"},
    )
    body = await resp.json()
    assert resp.status == 202 and body["delivered_to"] == 3
    for ws in sockets:
        frame = await recv(ws)
        assert frame == body["notification"]
        assert frame["data"] == {"message": "hello", "title": "Gym closed"}
    resp = await client.post(f"/api/ws/test-notification/{member['id']}", headers=bearer(admin))
    assert resp.status == 202 and (await resp.json())["notification"]["data"]["message"]
    resp = await client.post("/api/ws/test-notification/999999", headers=bearer(admin))
    await error_of(resp, 404, "not_found")
    resp = await client.post(
        f"/api/ws/test-notification/{member['id']}", headers=bearer(admin), json={"message": ""}
    )
    assert "message" in await error_of(resp, 400, "invalid_request")
    resp = await client.post(
        f"/api/ws/test-notification/{member['id']}", headers=bearer(member["token"])
    )
    await error_of(resp, 403, "forbidden")
    for ws in sockets:
        await ws.close()
    await asyncio.sleep(0.05)
    resp = await client.get("/api/ws/ws/stats", headers=bearer(admin))
    stats = await resp.json()
    assert stats["connections"] == 0 and stats["sent"] == 6


async def test_shutdown_closes_with_1001(client: TestClient, people: dict[str, Any]) -> None:
    ws = await connect(client, people["client"])
    await client.app.shutdown()
    await closed_with(ws, 1001, timeout=2)


async def test_heartbeat_drops_a_peer_that_stops_answering(
    aiohttp_client: Any, config: Config
) -> None:
    """The server pings every ws_heartbeat; a peer that never pongs is dropped, one that does
    stays (ws_heartbeat is shortened here; 30 s by default)."""
    app = make_app(dataclasses.replace(config, ws_heartbeat=0.3))
    client = await aiohttp_client(app)
    admin = await login(client, "admin", ADMIN_PASSWORD)
    mute = await create_user(client, admin, "client")
    alive = await create_user(client, admin, "client")
    silent = await client.ws_connect(
        f"/api/ws/ws/{mute['id']}?token={mute['token']}", autoping=False
    )
    answering = await connect(client, alive)
    assert (await silent.receive(timeout=5)).type is WSMsgType.TEXT  # the welcome
    # The answering socket is read all along, so its client answers the pings.
    frames: asyncio.Queue[Any] = asyncio.Queue()

    async def read_answering() -> None:
        async for msg in answering:
            await frames.put(msg)

    reader = asyncio.create_task(read_answering())
    pinged = False
    for _ in range(50):
        msg = await silent.receive(timeout=5)
        if msg.type is WSMsgType.PING:
            pinged = True  # and no pong goes back
            continue
        break
    assert pinged and msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR), msg
    # Several heartbeat periods later the answering peer is still there and still served.
    await asyncio.sleep(1.0)
    resp = await client.get("/api/ws/ws/stats", headers=bearer(admin))
    assert (await resp.json())["connections"] == 1
    resp = await client.post(f"/api/ws/test-notification/{alive['id']}", headers=bearer(admin))
    assert resp.status == 202
    msg = await asyncio.wait_for(frames.get(), 5)
    assert msg.type is WSMsgType.TEXT and msg.json()["type"] == "SYSTEM"
    await answering.close()
    await reader
