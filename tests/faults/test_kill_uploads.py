"""SIGKILL while photos and documents are mid-body and mid-check: after a restart every 201 is
served byte-identical to its owner and no row points at a missing or different file."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.faults.disk import document, photo
from tests.server_process import ServerProcess
from tests.store import check_store, login
from tests.support import ADMIN_PASSWORD, PASSWORD

FAST = 16  # whole uploads racing the kill
SLOW = 4  # uploads still sending their body when the kill lands
KILL_AFTER = 5  # 201s received before the kill

pytestmark = pytest.mark.long


async def add_client(http: aiohttp.ClientSession, url: str, admin: str, name: str) -> str:
    async with http.post(
        f"{url}/api/users",
        json={"username": name, "password": PASSWORD, "role": "client"},
        headers={"Authorization": f"Bearer {admin}"},
    ) as r:
        assert r.status == 201, await r.text()
    return await login(http, url, name, PASSWORD)


@pytest.mark.slow
async def test_sigkill_amid_photo_and_document_uploads(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    bodies = [photo(tmp_path, i) if i % 2 else document(tmp_path, i) for i in range(FAST)]
    slow_bodies = [photo(tmp_path, 500 + i, size=(1600, 1200)) for i in range(SLOW)]
    server = ServerProcess(data_dir, "--workers", "1")
    await asyncio.to_thread(server.start)
    created: dict[str, tuple[int, bytes]] = {}  # file id → (owner index, bytes)
    mid_body = asyncio.Semaphore(0)
    try:
        async with aiohttp.ClientSession() as http:
            url = server.url
            admin = await login(http, url, "admin", ADMIN_PASSWORD)
            tokens = [await add_client(http, url, admin, f"kill{i}") for i in range(2)]
            enough = asyncio.Event()

            async def post(
                owner: int, body: object, category: str, headers: dict[str, str]
            ) -> tuple[int | None, dict[str, Any] | None]:
                try:
                    async with http.post(
                        f"{url}/api/files/upload?category={category}",
                        data=body,
                        headers={"Authorization": f"Bearer {tokens[owner]}", **headers},
                    ) as r:
                        return r.status, (await r.json()) if r.status == 201 else None
                except aiohttp.ClientError:
                    return None, None  # the server died under this request: nothing promised

            async def whole(i: int) -> None:
                form = aiohttp.FormData()
                name = "x.jpg" if i % 2 else "x.pdf"
                form.add_field("file", io.BytesIO(bodies[i]), filename=name)
                category = "meal_photos" if i % 2 else "documents"
                status, answer = await post(i % 2, form, category, {})
                assert status in (None, 201), status
                if answer is not None:
                    created[answer["id"]] = (i % 2, bodies[i])
                    if len(created) >= KILL_AFTER:
                        enough.set()

            async def trickle(i: int) -> None:
                async def chunks() -> AsyncIterator[bytes]:
                    yield (
                        b'--b\r\nContent-Disposition: form-data; name="file"; filename="s.jpg"'
                        b"\r\nContent-Type: image/jpeg\r\n\r\n"
                    )
                    body = slow_bodies[i]
                    yield body[: len(body) // 2]
                    mid_body.release()
                    await asyncio.sleep(3600)  # the rest never comes before the kill
                    yield body[len(body) // 2 :] + b"\r\n--b--\r\n"

                type_ = {"Content-Type": "multipart/form-data; boundary=b"}
                status, _ = await post(i % 2, chunks(), "progress_photos", type_)
                assert status is None, status

            slow = [asyncio.create_task(trickle(i)) for i in range(SLOW)]
            for _ in range(SLOW):
                await asyncio.wait_for(mid_body.acquire(), 30)
            fast = [asyncio.create_task(whole(i)) for i in range(FAST)]
            await asyncio.wait_for(enough.wait(), 60)
            await asyncio.to_thread(server.kill)
            for task in slow:
                task.cancel()
            await asyncio.gather(*fast)
            await asyncio.gather(*slow, return_exceptions=True)
        assert KILL_AFTER <= len(created) < FAST, "the kill did not land mid-burst"

        server = ServerProcess(data_dir, "--workers", "1")
        await asyncio.to_thread(server.start)
        assert set(created) <= check_store(data_dir, orphans_allowed=True)
        async with aiohttp.ClientSession() as http:
            url = server.url
            tokens = [await login(http, url, f"kill{i}", PASSWORD) for i in range(2)]
            for fid, (owner, body) in created.items():
                auth = {"Authorization": f"Bearer {tokens[owner]}"}
                async with http.get(f"{url}/api/files/{fid}", headers=auth) as r:
                    assert r.status == 200, await r.text()
                    original = (await r.json())["original_url"]
                async with http.get(url + original, headers=auth) as r:
                    assert r.status == 200
                    assert await r.read() == body
            # The store takes new uploads after the crash.
            form = aiohttp.FormData()
            form.add_field("file", io.BytesIO(slow_bodies[0]), filename="again.jpg")
            async with http.post(
                f"{url}/api/files/upload?category=progress_photos",
                data=form,
                headers={"Authorization": f"Bearer {tokens[0]}"},
            ) as r:
                assert r.status == 201, await r.text()
        check_store(data_dir, orphans_allowed=True)
    finally:
        await asyncio.to_thread(server.kill)
