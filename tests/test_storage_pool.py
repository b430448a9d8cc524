"""The image pool survives a dead worker: 503 for the upload it broke under, a new pool after."""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import signal
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from gymhub import imaging
from gymhub.server import make_app
from gymhub.web.appkeys import storage_key
from gymhub.web.storage_lifecycle import make_pool
from tests import imaging_samples as samples
from tests.support import admin_token, create_user, error_of, make_config, until
from tests.test_files_kit import table_count, tree_files, upload


def jpeg(size: tuple[int, int], seed: int) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = samples.make_jpeg(
            Path(tmp) / "p.jpg", size=size, image=samples.photo_like(size, seed)
        )
        return path.read_bytes()


def worker_pids(client: TestClient) -> list[int]:
    # The executor's own table of its live workers (the test kills one of them).
    return list(client.app[storage_key].pool._processes)


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux's scheduling classes only")
@pytest.mark.parametrize("idle", [True, False])
def test_workers_run_at_the_configured_priority(tmp_path: Path, idle: bool) -> None:
    config = make_config(tmp_path, workers=1, worker_nice=4, worker_idle=idle)
    niced = min(19, os.getpriority(os.PRIO_PROCESS, 0) + 4)
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # else the worker inherits another class
    with make_pool(config) as pool:
        policy = pool.submit(os.sched_getscheduler, 0).result()
        nice = pool.submit(os.getpriority, os.PRIO_PROCESS, 0).result()
    assert policy == (os.SCHED_IDLE if idle else os.SCHED_OTHER)
    assert nice == niced


def kib(status: str, field: str) -> int:
    line = next(line for line in status.splitlines() if line.startswith(field + ":"))
    return int(line.split()[1])


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt only")
def test_a_worker_keeps_its_image_memory_for_the_next_photo(tmp_path: Path) -> None:
    # Unmapped after each job, Pillow's image blocks cost every photo fresh zero-filled pages
    # (a warmed worker fell to 0.4 of its peak between photos and ran each ~15% slower).
    photo = samples.make_jpeg(tmp_path / "phone.jpg")
    out = tmp_path / "out"
    out.mkdir()
    with make_pool(make_config(tmp_path, workers=1)) as pool:
        pool.submit(imaging.warm_up).result()
        made = pool.submit(
            imaging.process_image, str(photo), str(out), "p", 50_000_000, imaging.IMAGE_MIMES
        ).result()
        [pid] = list(pool._processes)
        status = Path(f"/proc/{pid}/status").read_text()
    assert set(made["variants"]) == {"large", "medium", "thumbnail"}
    rss, peak = kib(status, "VmRSS"), kib(status, "VmHWM")
    assert rss > 0.8 * peak, (rss, peak)


@pytest.mark.parametrize("warm", [True, False])
async def test_workers_start_with_the_server_when_the_pool_is_warmed(
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    tmp_path: Path,
    warm: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "gymhub.storage")
    client = await aiohttp_client(make_app(make_config(tmp_path, workers=2, warm_pool=warm)))
    admin = await admin_token(client)
    member = await create_user(client, admin, "client")
    if warm:
        # Both workers ran their warm-up photo before any upload, and it left nothing in the
        # media tree.
        await until(lambda: "image workers warmed: 2 in" in caplog.text, timeout=20)
        assert len(worker_pids(client)) == 2
        assert "warm-up failed" not in caplog.text
    else:
        await asyncio.sleep(0.5)
        assert worker_pids(client) == []
    started = set(worker_pids(client))
    assert tree_files(client.app) == []
    first = await upload(client, member["token"], jpeg((320, 240), 3))
    assert first.status == 201, await first.text()
    # Warmed, the first upload found its worker running; unwarmed, it had to start one.
    assert (set(worker_pids(client)) & started) == (started if warm else set())
    assert len(worker_pids(client)) >= 1


async def test_worker_killed_while_idle_next_upload_succeeds(
    client: TestClient, admin: str
) -> None:
    member = await create_user(client, admin, "client")
    first = await upload(client, member["token"], jpeg((320, 240), 1))
    assert first.status == 201, await first.text()
    storage = client.app[storage_key]
    broken = storage.pool
    [pid] = worker_pids(client)
    os.kill(pid, signal.SIGKILL)
    # The executor notices the dead worker on its own and marks itself broken.
    await until(lambda: broken._broken)
    second = await upload(client, member["token"], jpeg((320, 240), 2))
    assert second.status == 201, await second.text()
    assert storage.pool is not broken
    assert pid not in worker_pids(client)
    assert table_count(client.app, "files") == 2


@pytest.mark.long
async def test_worker_killed_mid_upload_gets_503_then_next_succeeds(
    client: TestClient, admin: str
) -> None:
    member = await create_user(client, admin, "client")
    warm = await upload(client, member["token"], jpeg((320, 240), 3))
    assert warm.status == 201, await warm.text()
    storage = client.app[storage_key]
    broken = storage.pool
    [pid] = worker_pids(client)
    # A 12 MP photo keeps the worker busy long enough to be killed while on it.
    big = jpeg((4032, 3024), 4)
    pending = asyncio.create_task(upload(client, member["token"], big))
    await until(lambda: bool(broken._pending_work_items) or pending.done())
    assert not pending.done(), "the upload finished before the worker could be killed"
    os.kill(pid, signal.SIGKILL)
    resp = await pending
    await error_of(resp, 503, "unavailable")
    assert storage.pool is not broken
    # Nothing half-stored: no row, no file in the tree, nothing left in temp.
    assert table_count(client.app, "files") == 1
    assert not [name for name in tree_files(client.app) if name.startswith("temp/")]
    again = await upload(client, member["token"], big)
    assert again.status == 201, await again.text()
    assert table_count(client.app, "files") == 2
    assert (await client.get("/healthz")).status == 200
