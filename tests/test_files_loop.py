"""While the pool decodes images, the event loop keeps answering small requests promptly."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests import imaging_samples as samples
from tests.support import bearer
from tests.test_files_kit import upload


async def cheap_latencies(
    client: TestClient, token: str, url: str, stop: asyncio.Event
) -> list[float]:
    out = []
    while not stop.is_set():
        started = time.perf_counter()
        resp = await client.get(url, headers=bearer(token))
        await resp.read()
        assert resp.status == 200
        out.append(time.perf_counter() - started)
        await asyncio.sleep(0.01)
    return out


@pytest.mark.long
async def test_small_requests_stay_prompt_during_an_upload_burst(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    token = people["client"]["token"]
    photos = [
        samples.make_jpeg(
            tmp_path / f"{i}.jpg", orientation=1, image=samples.photo_like((2400, 1800), seed=i)
        ).read_bytes()
        for i in range(6)
    ]
    url = "/api/me"
    idle_stop = asyncio.Event()
    idle_task = asyncio.create_task(cheap_latencies(client, token, url, idle_stop))
    await asyncio.sleep(0.5)
    idle_stop.set()
    idle = await idle_task

    stop = asyncio.Event()
    probe = asyncio.create_task(cheap_latencies(client, token, url, stop))
    started = time.perf_counter()
    results = await asyncio.gather(*(upload(client, token, p) for p in photos))
    burst_seconds = time.perf_counter() - started
    stop.set()
    busy = await probe
    assert all(r.status == 201 for r in results)
    assert len(busy) >= 10, "the probe barely ran: the loop was blocked"
    # Generous bounds for a shared 2-core box; a blocked loop would show whole seconds.
    assert statistics.median(busy) < max(0.1, 10 * statistics.median(idle)), (idle, busy)
    assert max(busy) < max(0.5, burst_seconds / 3), (max(busy), burst_seconds)
