"""SIGKILL between an upload's 201 and its notification reaching the trainer: after a restart
the file the 201 promised is served whole, and the notification is replayed with `since`."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.faults.disk import photo
from tests.server_process import ServerProcess
from tests.store import check_store, login
from tests.support import ADMIN_PASSWORD, PASSWORD

UPLOADS = 3

pytestmark = pytest.mark.long


async def add_user(
    http: aiohttp.ClientSession, url: str, admin: str, name: str, role: str
) -> tuple[int, str]:
    async with http.post(
        f"{url}/api/users",
        json={"username": name, "password": PASSWORD, "role": role},
        headers={"Authorization": f"Bearer {admin}"},
    ) as r:
        assert r.status == 201, await r.text()
        user_id = int((await r.json())["id"])
    return user_id, await login(http, url, name, PASSWORD)


async def upload(http: aiohttp.ClientSession, url: str, token: str, body: bytes) -> dict[str, Any]:
    form = aiohttp.FormData()
    form.add_field("file", io.BytesIO(body), filename="meal.jpg")
    async with http.post(
        f"{url}/api/files/upload?category=meal_photos",
        data=form,
        headers={"Authorization": f"Bearer {token}"},
    ) as r:
        assert r.status == 201, await r.text()
        return dict(await r.json())


@pytest.mark.slow
async def test_sigkill_after_the_201_before_the_trainer_read_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    bodies = [photo(tmp_path, 900 + i) for i in range(UPLOADS)]
    server = ServerProcess(data_dir, "--workers", "1")
    await asyncio.to_thread(server.start)
    try:
        async with aiohttp.ClientSession() as http:
            url = server.url
            admin = await login(http, url, "admin", ADMIN_PASSWORD)
            trainer_id, coach = await add_user(http, url, admin, "coach", "trainer")
            client_id, athlete = await add_user(http, url, admin, "athlete", "client")
            async with http.put(
                f"{url}/api/trainers/{trainer_id}/clients/{client_id}",
                headers={"Authorization": f"Bearer {admin}"},
            ) as r:
                assert r.status == 204
            # The trainer's screen is open but has not read anything past its welcome when the
            # server dies: every notification of these uploads is still to be delivered to it.
            ws = await http.ws_connect(
                f"{url}/api/ws", headers={"Authorization": f"Bearer {coach}"}
            )
            welcome = await ws.receive_json(timeout=10)
            assert welcome["type"] == "welcome"
            seen = int(welcome["last_id"])
            created = [await upload(http, url, athlete, body) for body in bodies]
            await asyncio.to_thread(server.kill)  # right after the last 201
            await ws.close()

        server = ServerProcess(data_dir, "--workers", "1")
        await asyncio.to_thread(server.start)
        assert {f["id"] for f in created} <= check_store(data_dir, orphans_allowed=True)
        async with aiohttp.ClientSession() as http:
            url = server.url
            coach = await login(http, url, "coach", PASSWORD)
            athlete = await login(http, url, "athlete", PASSWORD)
            auth = {"Authorization": f"Bearer {coach}"}
            async with http.ws_connect(f"{url}/api/ws?since={seen}", headers=auth) as ws:
                assert (await ws.receive_json(timeout=10))["type"] == "welcome"
                replayed: list[dict[str, Any]] = []
                while len(replayed) < UPLOADS:
                    item = await ws.receive_json(timeout=10)
                    if item["type"] == "FILE_UPLOADED":
                        replayed.append(item["data"]["file"])
            assert [f["id"] for f in replayed] == [f["id"] for f in created]
            for file, mine, body in zip(replayed, created, bodies, strict=True):
                # The original is its owner's to fetch (a trainer sees a meal photo's variants).
                owner = {"Authorization": f"Bearer {athlete}"}
                async with http.get(url + mine["original_url"], headers=owner) as r:
                    assert r.status == 200
                    assert await r.read() == body
                thumbnail = file["variants"]["thumbnail"]
                async with http.get(url + thumbnail["url"], headers=auth) as r:
                    assert r.status == 200
                    assert len(await r.read()) == thumbnail["size"]
            # The same replay through the HTTP list the app falls back to.
            async with http.get(f"{url}/api/notifications?since={seen}", headers=auth) as r:
                kinds = [n["type"] for n in (await r.json())["notifications"]]
            assert kinds.count("FILE_UPLOADED") == UPLOADS
    finally:
        await asyncio.to_thread(server.kill)
