"""A full disk for real (a 30 MB tmpfs as the data dir): 507 or 201, never 500, nothing half-stored.

The default margin refuses writes before they start; with `min_free_bytes = 0` the writes run
into the real ENOSPC of Pillow's save and SQLite's "database or disk is full".
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gymhub.config import Config
from tests import support
from tests.faults.disk import (
    document,
    fill,
    free_bytes,
    photo,
    tmpfs,
    use_inodes,
)
from tests.store import check_store
from tests.support import bearer, error_of
from tests.test_files_kit import upload
from tests.test_ws_support import connect, marker, next_is_marker, recv

MB = 1_000_000

pytestmark = pytest.mark.long


@pytest.fixture
def small_fs(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """The 30 MB tmpfs; a test may pass a limit on its number of files."""
    with tmpfs(tmp_path / "fs", inodes=getattr(request, "param", 0)) as mounted:
        yield mounted


@pytest.fixture
def config(small_fs: Path, request: pytest.FixtureRequest) -> Config:
    """The conftest's config on the small filesystem; a test may pass its min_free_bytes."""
    return support.make_config(small_fs, min_free_bytes=getattr(request, "param", -1))


@pytest.fixture
async def client(
    small_fs: Path, aiohttp_client: Callable[..., Awaitable[TestClient]], app: web.Application
) -> TestClient:
    """The conftest's client, asked for after the tmpfs so that it is closed before the unmount."""
    return await aiohttp_client(app)


@pytest.fixture
async def filler(small_fs: Path) -> AsyncIterator[Path]:
    """A file outside the data dir on the same filesystem: removing it frees the space."""
    path = small_fs / "filler"
    yield path
    path.unlink(missing_ok=True)


def default_margin(path: Path) -> int:
    """The documented default: the smaller of 1 GB and 5% of the filesystem (30 MB here)."""
    st = os.statvfs(path)
    return min(1_000_000_000, st.f_blocks * st.f_frsize // 20)


async def insufficient(resp: Any) -> None:
    await error_of(resp, 507, "insufficient_storage")


async def meal(client: TestClient, token: str, name: str = "lunch") -> Any:
    return await client.post(
        "/api/nutrition/meals", json={"meal_name": name}, headers=bearer(token)
    )


async def message(client: TestClient, token: str, to: int, body: str = "hi") -> Any:
    return await client.post(
        "/api/messages", json={"recipient_id": to, "body": body}, headers=bearer(token)
    )


async def served_original(client: TestClient, token: str, file_id: str) -> bytes:
    resp = await client.get(f"/api/files/{file_id}", headers=bearer(token))
    assert resp.status == 200, await resp.text()
    url = (await resp.json())["original_url"]
    resp = await client.get(url, headers=bearer(token))
    assert resp.status == 200, await resp.text()
    return await resp.read()


async def test_low_disk_refuses_writes_up_front_and_resumes_once_freed(
    client: TestClient, people: dict[str, Any], filler: Path, tmp_path: Path, config: Config
) -> None:
    member, trainer, admin = people["client"], people["trainer"], people["admin"]
    kept_bytes = photo(tmp_path, 1)
    resp = await upload(client, member["token"], kept_bytes)
    assert resp.status == 201, await resp.text()
    kept = (await resp.json())["id"]
    margin = default_margin(config.data_dir)
    fill(filler, leave=margin // 2)
    await insufficient(await upload(client, member["token"], photo(tmp_path, 2)))
    await insufficient(await upload(client, member["token"], document(tmp_path, 3), "documents"))
    await insufficient(await meal(client, member["token"]))
    await insufficient(await message(client, member["token"], trainer["id"]))
    await insufficient(
        await client.post("/api/progress", json={"weight_kg": 80}, headers=bearer(member["token"]))
    )
    await insufficient(
        await client.post(
            "/api/users",
            json={"username": "newbie", "password": support.PASSWORD, "role": "client"},
            headers=bearer(admin),
        )
    )

    # Reads, logins and the deletes that give space back still work.
    assert await served_original(client, member["token"], kept) == kept_bytes
    assert (await client.get("/api/nutrition/meals", headers=bearer(member["token"]))).status == 200
    await support.login(client, member["username"])
    resp = await client.get("/healthz")
    assert resp.status == 200 and await resp.json() == {"status": "degraded", "disk": "low"}
    metrics = await (await client.get("/metrics")).text()
    found = re.search(r"^gymhub_data_free_bytes (\S+)$", metrics, re.M)
    assert found and abs(float(found[1]) - free_bytes(config.data_dir)) < MB
    shown = re.search(r"^gymhub_data_min_free_bytes (\S+)$", metrics, re.M)
    assert shown and float(shown[1]) == default_margin(config.data_dir)
    check_store(config.data_dir)
    resp = await client.delete(f"/api/files/{kept}", headers=bearer(member["token"]))
    assert resp.status == 204, await resp.text()

    # No waiting and no restart: the first write after the space is back goes through.
    filler.unlink()
    resp = await upload(client, member["token"], photo(tmp_path, 2))
    assert resp.status == 201, await resp.text()
    assert (await meal(client, member["token"])).status == 201
    assert (await message(client, member["token"], trainer["id"])).status == 201
    assert await (await client.get("/healthz")).json() == {"status": "ok", "disk": "ok"}
    check_store(config.data_dir)


async def test_declared_and_streamed_sizes_count_against_the_margin(
    client: TestClient, people: dict[str, Any], filler: Path, tmp_path: Path, config: Config
) -> None:
    member = people["client"]
    margin = default_margin(config.data_dir)
    big = photo(tmp_path, 7, size=(2000, 1500), quality=95)
    assert len(big) > MB
    fill(filler, leave=margin + len(big) // 2)
    # Small writes fit above the margin; a body that would eat into it does not.
    assert (await meal(client, member["token"])).status == 201
    await insufficient(await upload(client, member["token"], big))

    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: only counting the body as it arrives can refuse it.
        boundary_head = (
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n"
        )
        yield boundary_head
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]
        yield b"\r\n--b--\r\n"

    resp = await client.post(
        "/api/files/upload?category=meal_photos",
        data=chunks(),
        headers={**bearer(member["token"]), "Content-Type": "multipart/form-data; boundary=b"},
    )
    await insufficient(resp)
    assert check_store(config.data_dir) == set()
    filler.unlink()
    resp = await upload(client, member["token"], big)
    assert resp.status == 201, await resp.text()


@pytest.mark.parametrize("config", [0], indirect=True)
async def test_enospc_making_variants_is_507_and_leaves_nothing(
    client: TestClient,
    people: dict[str, Any],
    filler: Path,
    tmp_path: Path,
    config: Config,
    caplog: pytest.LogCaptureFixture,
) -> None:
    member = people["client"]
    body = photo(tmp_path, 11, size=(2000, 1500), quality=95)
    # Room for the original as it streams (plus multipart framing) but not for its variants:
    # Pillow's save in the worker process hits the real ENOSPC.
    caplog.set_level(logging.WARNING, logger="gymhub")
    fill(filler, leave=len(body) + 16 * 1024)
    await insufficient(await upload(client, member["token"], body))
    hit = [r.getMessage() for r in caplog.records if "during an upload" in r.getMessage()]
    assert hit and "No space left on device" in hit[0], hit  # not the pre-check's refusal
    assert check_store(config.data_dir) == set()
    assert (await client.get("/api/files", headers=bearer(member["token"]))).status == 200
    filler.unlink()
    resp = await upload(client, member["token"], body)
    assert resp.status == 201, await resp.text()
    assert await served_original(client, member["token"], (await resp.json())["id"]) == body


@pytest.mark.parametrize("config", [0], indirect=True)
async def test_full_disk_under_concurrent_writes_gives_201_or_507_and_nothing_half_stored(
    client: TestClient,
    people: dict[str, Any],
    filler: Path,
    tmp_path: Path,
    config: Config,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="gymhub")
    member, other, trainer = people["client"], people["stranger"], people["trainer"]
    photos = [photo(tmp_path, 100 + i) for i in range(48)]
    docs = [document(tmp_path, 200 + i) for i in range(24)]
    uploads: dict[str, tuple[str, bytes]] = {}  # file id → (owner token, bytes)
    meals: list[tuple[str, int]] = []
    sent: list[int] = []
    statuses: dict[str, list[int]] = {"photo": [], "document": [], "meal": [], "message": []}

    async def put_photo(token: str, data: bytes) -> None:
        await put_file(token, data, "meal_photos", "photo")

    async def put_doc(token: str, data: bytes) -> None:
        await put_file(token, data, "documents", "document")

    async def put_file(token: str, data: bytes, category: str, kind: str) -> None:
        resp = await upload(client, token, data, category, filename=f"x.{kind[:3]}")
        statuses[kind].append(resp.status)
        if resp.status == 201:
            uploads[(await resp.json())["id"]] = (token, data)
        else:
            await insufficient(resp)

    async def put_meal(token: str) -> None:
        resp = await meal(client, token, "dinner " + "x" * 150)
        statuses["meal"].append(resp.status)
        if resp.status == 201:
            meals.append((token, (await resp.json())["id"]))
        else:
            await insufficient(resp)

    async def put_message(token: str, to: int) -> None:
        resp = await message(client, token, to, "m" * 5000)
        statuses["message"].append(resp.status)
        if resp.status == 201:
            sent.append((await resp.json())["id"])
        else:
            await insufficient(resp)

    fill(filler, leave=4 * MB)
    for burst in range(12):
        users = (member["token"], other["token"])
        jobs = [put_photo(users[i % 2], photos[4 * burst + i]) for i in range(4)]
        jobs += [put_doc(users[i % 2], docs[2 * burst + i]) for i in (0, 1)]
        jobs += [put_meal(users[i % 2]) for i in range(3)]
        jobs += [put_message(member["token"], trainer["id"]) for _ in range(3)]
        await asyncio.gather(*jobs)
    # Then SQLite alone with a few KB left, until its own write fails for space: the pre-check
    # lets a 5 KB message through, its WAL frames (message and notification) need more.
    fill(filler, leave=12 * 1024)
    for _ in range(400):
        if any("database or disk is full" in r.getMessage() for r in caplog.records):
            break
        await put_message(member["token"], trainer["id"])
    everything = [s for kind in statuses.values() for s in kind]
    assert set(everything) <= {201, 507}
    assert 201 in statuses["photo"] and 507 in statuses["photo"], statuses
    assert 507 in statuses["message"] and 507 in statuses["meal"], statuses
    assert any("database or disk is full" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    stored = check_store(config.data_dir)
    assert set(uploads) == stored
    for file_id, (token, data) in uploads.items():
        assert await served_original(client, token, file_id) == data
    for token, meal_id in meals:
        resp = await client.get(f"/api/nutrition/meals/{meal_id}", headers=bearer(token))
        assert resp.status == 200, await resp.text()
    resp = await client.get(
        f"/api/messages?with={trainer['id']}&limit=100", headers=bearer(member["token"])
    )
    listed = {m["id"] for m in (await resp.json())["messages"]}
    assert set(sent[-100:]) <= listed
    await support.login(client, member["username"])  # the disk is still full: logins go on

    filler.unlink()
    await put_photo(member["token"], photo(tmp_path, 999))
    await put_meal(member["token"])
    await put_message(member["token"], trainer["id"])
    assert [statuses[k][-1] for k in ("photo", "meal", "message")] == [201, 201, 201]
    check_store(config.data_dir)


@pytest.mark.parametrize("config", [0], indirect=True)
async def test_websocket_ack_on_a_full_disk_answers_an_error_frame_and_stays_open(
    client: TestClient, people: dict[str, Any], filler: Path
) -> None:
    admin, member = people["admin"], people["client"]
    ws = await connect(client, member)
    note = (await marker(client, admin, member["id"], "one"))["notification"]
    await next_is_marker(ws, "one")
    fill(filler, leave=0)
    # The ack is an UPDATE: its WAL frames find no room, SQLite says "database or disk is full".
    await ws.send_json({"type": "ack", "up_to": note["id"]})
    frame = await recv(ws)
    assert frame["type"] == "error" and frame["code"] == "insufficient_storage", frame
    await ws.send_json({"type": "ping"})
    assert await recv(ws) == {"type": "pong"}
    filler.unlink()
    await ws.send_json({"type": "ack", "up_to": note["id"]})
    await ws.send_json({"type": "ping"})
    assert await recv(ws) == {"type": "pong"}
    resp = await client.get("/api/notifications", headers=bearer(member["token"]))
    assert [n["read"] for n in (await resp.json())["notifications"]] == [True]
    await ws.close()


@pytest.mark.parametrize("small_fs", [400], indirect=True)
async def test_out_of_inodes_is_507_with_nothing_left_behind(
    client: TestClient, people: dict[str, Any], small_fs: Path, tmp_path: Path, config: Config
) -> None:
    # Plenty of bytes, no files left to create: the pre-check passes and the real ENOSPC comes
    # from creating the upload's temp file, then (one inode left) from Pillow's first variant.
    member = people["client"]
    body = photo(tmp_path, 21)
    inodes = small_fs / "inodes"
    use_inodes(inodes, leave=0)
    await insufficient(await upload(client, member["token"], body))
    await insufficient(await upload(client, member["token"], document(tmp_path, 22), "documents"))
    use_inodes(inodes, leave=1)
    await insufficient(await upload(client, member["token"], body))
    assert check_store(config.data_dir) == set()
    # A meal needs no new file (the WAL is there): space is not the matter, so it goes through.
    assert (await meal(client, member["token"])).status == 201
    use_inodes(inodes, leave=50)
    resp = await upload(client, member["token"], body)
    assert resp.status == 201, await resp.text()
    assert await served_original(client, member["token"], (await resp.json())["id"]) == body
    check_store(config.data_dir)


async def test_deletes_go_through_on_a_disk_filled_to_the_last_byte(
    client: TestClient, people: dict[str, Any], filler: Path, tmp_path: Path, config: Config
) -> None:
    # Something else (a log, another program) took every byte: SQLite cannot even write the WAL
    # frames of a delete, so the delete that would give space back needs gymhub's reserve.
    member, trainer = people["client"], people["trainer"]
    ids = []
    for seed in (31, 32):
        resp = await upload(client, member["token"], photo(tmp_path, seed))
        assert resp.status == 201, await resp.text()
        ids.append((await resp.json())["id"])
    fill(filler, leave=0)
    assert free_bytes(config.data_dir) == 0
    await insufficient(await message(client, member["token"], trainer["id"]))
    for file_id in ids:
        resp = await client.delete(f"/api/files/{file_id}", headers=bearer(member["token"]))
        assert resp.status == 204, await resp.text()
    assert check_store(config.data_dir) == set()
    filler.unlink()
    assert (await message(client, member["token"], trainer["id"])).status == 201
    # The reserve is back for the next time.
    assert (config.data_dir / ".space-reserve").stat().st_size == 1024 * 1024


async def test_healthz_is_503_when_the_data_dir_is_gone(
    client: TestClient, config: Config, filler: Path
) -> None:
    fill(filler, leave=0)
    assert await (await client.get("/healthz")).json() == {"status": "degraded", "disk": "low"}
    moved = config.data_dir.with_name("moved")
    config.data_dir.rename(moved)
    try:
        resp = await client.get("/healthz")
        assert resp.status == 503
        assert await resp.json() == {"status": "unavailable", "disk": "unknown"}
    finally:
        moved.rename(config.data_dir)
    filler.unlink()
    assert await (await client.get("/healthz")).json() == {"status": "ok", "disk": "ok"}
