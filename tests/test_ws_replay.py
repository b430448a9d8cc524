"""Replay with `since`: the missed notifications, in order, during traffic or after a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from gymhub.web.appkeys import db_key
from tests.server_process import ServerProcess
from tests.support import ADMIN_PASSWORD, PASSWORD, bearer
from tests.test_ws_support import connect, recv


async def meals(client: TestClient, token: str, n: int, prefix: str, pause: float = 0.0) -> None:
    """Log n meals; `pause` spaces them out so that a replay surely overlaps the stream."""
    for i in range(n):
        resp = await client.post(
            "/api/nutrition/meals", headers=bearer(token), json={"meal_name": f"{prefix}{i}"}
        )
        assert resp.status == 201
        if pause:
            await asyncio.sleep(pause)


async def stored_ids(client: TestClient, user_id: int) -> list[int]:
    sql = "SELECT id FROM notifications WHERE user_id = ? ORDER BY id"
    rows = await client.app[db_key].read(lambda c: c.execute(sql, (user_id,)).fetchall())
    return [r[0] for r in rows]


async def test_replay_after_disconnect(client: TestClient, people: dict[str, Any]) -> None:
    member, trainer = people["client"], people["trainer"]
    ws = await connect(client, trainer)
    await meals(client, member["token"], 1, "seen")
    seen = (await recv(ws))["id"]
    await ws.close()
    await meals(client, member["token"], 50, "missed")
    ws = await connect(client, trainer, since=seen)
    frames = [await recv(ws) for _ in range(50)]
    assert [f["data"]["meal"]["meal_name"] for f in frames] == [f"missed{i}" for i in range(50)]
    ids = [f["id"] for f in frames]
    assert ids == sorted(ids) and ids == (await stored_ids(client, trainer["id"]))[1:]
    # Then live ones, nothing repeated.
    await meals(client, member["token"], 1, "live")
    frame = await recv(ws)
    assert frame["data"]["meal"]["meal_name"] == "live0" and frame["id"] > ids[-1]
    await ws.close()


async def test_replay_while_events_keep_arriving(
    client: TestClient, people: dict[str, Any]
) -> None:
    member, trainer = people["client"], people["trainer"]
    await meals(client, member["token"], 40, "before")
    producer = asyncio.create_task(meals(client, member["token"], 60, "during", pause=0.01))
    received: list[int] = []
    # Several reconnects while the producer runs: each replays from scratch (since=0).
    for _ in range(3):
        await asyncio.sleep(0.05)
        ws = await connect(client, trainer, since=0)
        received = []
        while not producer.done() or len(received) < len(await stored_ids(client, trainer["id"])):
            try:
                frame = await recv(ws, timeout=1.0)
            except TimeoutError:
                break
            received.append(frame["id"])
            if len(received) >= 40 and not producer.done():
                break
        await ws.close()
    await producer
    ws = await connect(client, trainer, since=0)
    expected = await stored_ids(client, trainer["id"])
    received = [(await recv(ws))["id"] for _ in expected]
    assert received == expected and len(expected) == 100
    await ws.close()


async def test_replay_during_traffic_has_no_gap(client: TestClient, people: dict[str, Any]) -> None:
    """Connect with since=0 while meals are being logged; read until the producer's last one."""
    member, trainer = people["client"], people["trainer"]
    await meals(client, member["token"], 30, "old")
    producer = asyncio.create_task(meals(client, member["token"], 60, "new", pause=0.01))
    await asyncio.sleep(0.1)
    assert not producer.done()
    ws = await connect(client, trainer, since=0)
    names: list[str] = []
    ids: list[int] = []
    while len(names) < 90:
        frame = await recv(ws)
        ids.append(frame["id"])
        names.append(frame["data"]["meal"]["meal_name"])
    await producer
    assert names == [f"old{i}" for i in range(30)] + [f"new{i}" for i in range(60)]
    assert ids == await stored_ids(client, trainer["id"])
    with pytest.raises(TimeoutError):
        await recv(ws, timeout=0.3)
    await ws.close()


@pytest.mark.slow
async def test_replay_survives_restart_and_tokens_stay_out_of_logs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = ServerProcess(data, "--workers", "1").start()
    try:
        async with aiohttp.ClientSession(server.url) as http:
            admin = await _login(http, "admin", ADMIN_PASSWORD)
            users = {}
            for role in ("trainer", "client"):
                resp = await http.post(
                    "/api/users",
                    headers=bearer(admin),
                    json={"username": role, "password": PASSWORD, "role": role},
                )
                users[role] = await resp.json()
            resp = await http.put(
                f"/api/trainers/{users['trainer']['id']}/clients/{users['client']['id']}",
                headers=bearer(admin),
            )
            assert resp.status == 204
            coach = await _login(http, "trainer", PASSWORD)
            member = await _login(http, "client", PASSWORD)
            trainer_id = users["trainer"]["id"]
            async with http.ws_connect(f"/api/ws/ws/{trainer_id}?token={coach}") as ws:
                assert (await ws.receive_json())["last_id"] == 0
            for i in range(20):
                resp = await http.post(
                    "/api/nutrition/meals", headers=bearer(member), json={"meal_name": f"m{i}"}
                )
                assert resp.status == 201
            resp = await http.post("/api/ws/ticket", headers=bearer(coach))
            ticket = (await resp.json())["ticket"]
            # A real handshake with the ticket in the URL, so the log check below means it.
            async with http.ws_connect(f"/api/ws/ws/{trainer_id}?token={ticket}") as ws:
                assert (await ws.receive_json())["type"] == "welcome"
    finally:
        server.stop()
    first_log = "\n".join(server.output)
    server = ServerProcess(data, "--workers", "1").start()
    try:
        async with aiohttp.ClientSession(server.url) as http:
            url = f"/api/ws/ws/{trainer_id}?token={coach}&since=0"
            async with http.ws_connect(url) as ws:
                welcome = await ws.receive_json()
                assert welcome["unread"] == 20
                frames = [await ws.receive_json(timeout=5) for _ in range(20)]
                assert [f["data"]["meal"]["meal_name"] for f in frames] == [
                    f"m{i}" for i in range(20)
                ]
                assert frames[-1]["id"] == welcome["last_id"]
                await ws.close()
            assert ws.close_code is not None and ws.closed
    finally:
        server.stop()
    second_log = "\n".join(server.output)
    logs = first_log + second_log
    assert logs.count("?token=[redacted]") >= 3, logs
    for secret in (admin, coach, member, ticket):
        assert secret not in logs


async def _login(http: aiohttp.ClientSession, username: str, password: str) -> str:
    resp = await http.post("/api/auth/login", json={"username": username, "password": password})
    assert resp.status == 200, await resp.text()
    return str((await resp.json())["access_token"])
