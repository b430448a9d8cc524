"""SIGKILL amid concurrent uploads: after a restart every 201 is whole and nothing is orphaned."""

from __future__ import annotations

import asyncio
import hashlib
import io
from pathlib import Path

import aiohttp
import pytest

from tests import imaging_samples as samples
from tests.server_process import ServerProcess
from tests.store import check_store, login
from tests.support import ADMIN_PASSWORD, PASSWORD

UPLOADS = 24
KILL_AFTER = 6


def images(tmp_path: Path) -> list[bytes]:
    out = []
    for i in range(UPLOADS):
        img = samples.photo_like((640 + 8 * i, 480), seed=i)
        out.append(samples.make_jpeg(tmp_path / f"{i}.jpg", orientation=1, image=img).read_bytes())
    return out


@pytest.mark.long
@pytest.mark.slow
async def test_sigkill_mid_upload_leaves_a_consistent_store(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    bodies = images(tmp_path)
    server = ServerProcess(data_dir, "--workers", "1")
    await asyncio.to_thread(server.start)
    created: dict[str, bytes] = {}
    try:
        async with aiohttp.ClientSession() as http:
            url = server.url
            admin = await login(http, url, "admin", ADMIN_PASSWORD)
            async with http.post(
                f"{url}/api/users",
                json={"username": "crashy", "password": PASSWORD, "role": "client"},
                headers={"Authorization": f"Bearer {admin}"},
            ) as r:
                assert r.status == 201
            token = await login(http, url, "crashy", PASSWORD)
            done = asyncio.Event()

            async def one(i: int) -> None:
                form = aiohttp.FormData()
                form.add_field("file", io.BytesIO(bodies[i]), filename=f"{i}.jpg")
                try:
                    async with http.post(
                        f"{url}/api/files/upload?category=meal_photos",
                        data=form,
                        headers={"Authorization": f"Bearer {token}"},
                    ) as r:
                        if r.status == 201:
                            created[(await r.json())["id"]] = bodies[i]
                            if len(created) >= KILL_AFTER:
                                done.set()
                except aiohttp.ClientError:
                    pass  # the server died under this request: no promise was made

            tasks = [asyncio.create_task(one(i)) for i in range(UPLOADS)]
            await asyncio.wait_for(done.wait(), 60)
            await asyncio.to_thread(server.kill)
            await asyncio.gather(*tasks)
        assert KILL_AFTER <= len(created) < UPLOADS, "the kill did not land mid-burst"

        server = ServerProcess(data_dir, "--workers", "1")
        await asyncio.to_thread(server.start)  # the start-up sweep runs before it listens
        async with aiohttp.ClientSession() as http:
            url = server.url
            admin = await login(http, url, "admin", ADMIN_PASSWORD)
            async with http.post(
                f"{url}/api/files/media/cleanup", headers={"Authorization": f"Bearer {admin}"}
            ) as r:
                assert r.status == 200
            ids = check_store(data_dir)
            assert set(created) <= ids
            for fid, body in created.items():
                async with http.get(
                    f"{url}/api/files/{fid}", headers={"Authorization": f"Bearer {admin}"}
                ) as r:
                    meta = await r.json()
                async with http.get(
                    url + meta["original_url"], headers={"Authorization": f"Bearer {admin}"}
                ) as r:
                    assert r.status == 200
                    served = await r.read()
                assert hashlib.sha256(served).hexdigest() == hashlib.sha256(body).hexdigest()
    finally:
        await asyncio.to_thread(server.kill)
