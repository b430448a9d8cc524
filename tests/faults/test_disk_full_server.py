"""`gymhub serve` on a 30 MB tmpfs, filled by its own users' concurrent uploads, meals and
messages: only 201 or 507, every 201 kept whole, and deleting files through the API lets
writes through again."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.faults.disk import document, photo, tmpfs
from tests.server_process import ServerProcess
from tests.store import check_store, login
from tests.support import ADMIN_PASSWORD, PASSWORD

ROUNDS = 40

pytestmark = pytest.mark.long


class Api:
    """A user's calls against the running server, keeping every status it got."""

    def __init__(self, http: aiohttp.ClientSession, url: str, token: str):
        self.http, self.url, self.token = http, url, token
        self.statuses: list[int] = []

    async def call(self, method: str, path: str, **kw: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.request(method, self.url + path, headers=headers, **kw) as r:
            body = await r.read()
            self.statuses.append(r.status)
            if r.status == 507:
                assert b'"insufficient_storage"' in body, body
            is_json = r.content_type == "application/json"
            return r.status, (await r.json()) if is_json else body

    async def upload(self, data: bytes, category: str) -> tuple[int, Any]:
        form = aiohttp.FormData()
        form.add_field(
            "file", io.BytesIO(data), filename="f.pdf" if data[:4] == b"%PDF" else "f.jpg"
        )
        return await self.call("POST", f"/api/files/upload?category={category}", data=form)


async def metric(http: aiohttp.ClientSession, url: str, name: str) -> float:
    async with http.get(f"{url}/metrics") as r:
        found = re.search(rf"^{name} (\S+)$", await r.text(), re.M)
    assert found, name
    return float(found[1])


@pytest.mark.slow
async def test_server_filled_by_its_users_answers_201_or_507_and_recovers(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "fs") as mounted:
        data_dir = mounted / "data"
        server = ServerProcess(data_dir, "--workers", "1")
        await asyncio.to_thread(server.start)
        try:
            await fill_and_recover(server, data_dir, tmp_path)
            assert await asyncio.to_thread(server.stop) == 0
            check_store(data_dir)
            assert not [line for line in server.output if "Traceback" in line]
        finally:
            await asyncio.to_thread(server.kill)


async def fill_and_recover(server: ServerProcess, data_dir: Path, tmp_path: Path) -> None:
    url = server.url
    async with aiohttp.ClientSession() as http:
        admin = Api(http, url, await login(http, url, "admin", ADMIN_PASSWORD))
        ids = {}
        for name, role in (("coach", "trainer"), ("ann", "client"), ("bob", "client")):
            status, user = await admin.call(
                "POST", "/api/users", json={"username": name, "password": PASSWORD, "role": role}
            )
            assert status == 201, user
            ids[name] = user["id"]
        for name in ("ann", "bob"):
            path = f"/api/trainers/{ids['coach']}/clients/{ids[name]}"
            assert (await admin.call("PUT", path))[0] == 204
        clients = [Api(http, url, await login(http, url, n, PASSWORD)) for n in ("ann", "bob")]
        kept: dict[str, tuple[Api, bytes]] = {}
        documents: list[tuple[Api, str]] = []

        async def put(api: Api, data: bytes, category: str) -> int:
            status, body = await api.upload(data, category)
            assert status in (201, 507), (status, body)
            if status == 201:
                kept[body["id"]] = (api, data)
                if category == "documents":
                    documents.append((api, body["id"]))
            return status

        async def write(api: Api, path: str, payload: dict[str, Any]) -> int:
            status, body = await api.call("POST", path, json=payload)
            assert status in (201, 507), (status, body)
            return status

        for n in range(ROUNDS):
            jobs = []
            for i, api in enumerate(clients):
                seed = 10 * n + i
                jobs += [
                    put(api, document(tmp_path, seed, padding=1_000_000), "documents"),
                    put(api, photo(tmp_path, seed), "meal_photos"),
                    write(api, "/api/nutrition/meals", {"meal_name": f"meal {seed}"}),
                    write(api, "/api/messages", {"recipient_id": ids["coach"], "body": "m" * 4000}),
                ]
            if set(await asyncio.gather(*jobs)) == {507}:
                break
        else:
            pytest.fail("the disk never filled")
        statuses = [s for api in clients for s in api.statuses]
        assert set(statuses) == {201, 507}

        # Full: writes refused, reads and logins answered, the operator told.
        async with http.get(f"{url}/healthz") as r:
            assert r.status == 200 and await r.json() == {"status": "degraded", "disk": "low"}
        free = await metric(http, url, "gymhub_data_free_bytes")
        assert free < await metric(http, url, "gymhub_data_min_free_bytes")
        await login(http, url, "ann", PASSWORD)
        for file_id, (api, data) in kept.items():
            status, meta = await api.call("GET", f"/api/files/{file_id}")
            assert status == 200, meta
            status, served = await api.call("GET", meta["original_url"])
            assert status == 200 and served == data
        assert set(kept) == check_store(data_dir)

        # Deleting through the API gives the space back; the next writes go through.
        for api, file_id in documents[:6]:
            assert (await api.call("DELETE", f"/api/files/{file_id}"))[0] == 204
        async with http.get(f"{url}/healthz") as r:
            assert await r.json() == {"status": "ok", "disk": "ok"}
        ann = clients[0]
        assert await put(ann, photo(tmp_path, 9999), "meal_photos") == 201
        assert await write(ann, "/api/nutrition/meals", {"meal_name": "after"}) == 201
        body = {"recipient_id": ids["coach"], "body": "space is back"}
        assert await write(ann, "/api/messages", body) == 201
