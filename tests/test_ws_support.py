"""Helpers for the WebSocket tests (no tests here): connect, receive, expect silence."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from typing import Any

from aiohttp import ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient

from gymhub.web.appkeys import db_key
from tests.support import bearer

TIMEOUT = 5.0


async def connect(
    client: TestClient, user: dict[str, Any], since: int | None = None, **kwargs: Any
) -> ClientWebSocketResponse:
    """Open the seed socket of a user with its JWT and consume the welcome."""
    query = f"?token={user['token']}" + (f"&since={since}" if since is not None else "")
    ws = await client.ws_connect(f"/api/ws/ws/{user['id']}{query}", **kwargs)
    welcome = await recv(ws)
    assert welcome["type"] == "welcome" and welcome["user_id"] == user["id"], welcome
    return ws


async def recv(ws: ClientWebSocketResponse, timeout: float = TIMEOUT) -> dict[str, Any]:
    """The next JSON text frame."""
    msg = await ws.receive(timeout=timeout)
    assert msg.type is WSMsgType.TEXT, (msg.type, msg.data, msg.extra)
    data: dict[str, Any] = msg.json()
    return data


async def marker(client: TestClient, admin: str, user_id: int, text: str) -> dict[str, Any]:
    """Push a SYSTEM notification through the hub, to prove nothing came before it."""
    resp = await client.post(
        f"/api/ws/test-notification/{user_id}", headers=bearer(admin), json={"message": text}
    )
    assert resp.status == 202, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


async def next_is_marker(ws: ClientWebSocketResponse, text: str) -> None:
    """The next frame is the SYSTEM marker: nothing else was delivered before it."""
    frame = await recv(ws)
    assert frame["type"] == "SYSTEM" and frame["data"]["message"] == text, frame


async def closed_with(ws: ClientWebSocketResponse, code: int, timeout: float = TIMEOUT) -> None:
    """Read until the close frame and check its code."""
    async with asyncio.timeout(timeout):
        while True:
            msg = await ws.receive()
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
                break
    # The code the server put in its close frame (the client's own close_code may differ when
    # the transport went away right after it).
    assert msg.type is WSMsgType.CLOSE and msg.data == code, (msg, ws.close_code)


async def insert_photo(client: TestClient, owner_id: int, category: str) -> str:
    """A file row with one thumbnail variant, written straight to SQLite.

    The upload API belongs to the media work; these rows only exercise how meals and progress
    link and render photos (no bytes are served from them).
    """
    file_id = uuid.uuid4().hex

    def put(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO files (id, owner_id, uploaded_by, category, mime, ext, size, sha256,"
            " width, height, created_at) VALUES (?, ?, ?, ?, 'image/jpeg', 'jpg', 1000, ?,"
            " 800, 600, '2024-01-01T00:00:00.000Z')",
            (file_id, owner_id, owner_id, category, uuid.uuid4().hex * 2),
        )
        conn.execute(
            "INSERT INTO file_variants VALUES (?, 'thumbnail', 'webp', 'image/webp', 150, 112, 99)",
            (file_id,),
        )

    await client.app[db_key].write(put)
    return file_id
