"""Load and soak: 200 WebSockets, 20 uploaders and 20 readers against a real server subprocess.

Short by default (GYMHUB_LOAD_SECONDS=8 of load, ~20 s in all); set GYMHUB_LOAD_SECONDS=120 for
the long form. At the end: no 5xx, every FILE_UPLOADED reached each of its recipients' sockets
live or is replayable through `since`, the server's RSS is back near its start and no file
descriptor leaked. Run with `-n 0 -s` to see the figures.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import re
import resource
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image

from tests.server_process import ServerProcess
from tests.support import ADMIN_PASSWORD, PASSWORD

pytestmark = [pytest.mark.load, pytest.mark.slow, pytest.mark.long]

SECONDS = float(os.environ.get("GYMHUB_LOAD_SECONDS", "8"))
CLIENTS = 20  # one uploader and one reader per client account
TRAINERS = 4
SOCKETS_PER_CLIENT = 8
SOCKETS_PER_TRAINER = 10  # 20 * 8 + 4 * 10 = 200 WebSockets
RSS_SLACK_KB = 64 * 1024
FD_SLACK = 8
_seq = itertools.count()


def unique_image() -> tuple[bytes, str]:
    """A small JPEG or PNG with bytes of its own (noise plus a counter), never deduplicated."""
    n = next(_seq)
    size = (64 + n % 64, 48 + n % 32)
    img = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buf = io.BytesIO()
    if n % 3 == 0:
        img.save(buf, "PNG")
        return buf.getvalue(), "image/png"
    img.save(buf, "JPEG", quality=70)
    return buf.getvalue(), "image/jpeg"


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@dataclass
class Account:
    id: int
    role: str
    token: str
    trainer: int | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Socket:
    """One WebSocket's view: the file ids it was told about and the last notification id."""

    user: Account
    files: set[str] = field(default_factory=set)
    last_id: int = 0
    out_of_order: int = 0
    reconnects: int = 0
    messages: int = 0


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    uploaded: dict[str, int] = field(default_factory=dict)  # file id -> owner id


async def _login(http: aiohttp.ClientSession, name: str, password: str) -> tuple[int, str]:
    resp = await http.post("/api/auth/login", json={"username": name, "password": password})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    return body["user"]["id"], body["access_token"]


async def _people(http: aiohttp.ClientSession) -> list[Account]:
    _, admin = await _login(http, "admin", ADMIN_PASSWORD)
    auth = {"Authorization": f"Bearer {admin}"}

    async def make(name: str, role: str) -> Account:
        body = {"username": name, "password": PASSWORD, "role": role}
        resp = await http.post("/api/users", headers=auth, json=body)
        assert resp.status == 201, await resp.text()
        uid, token = await _login(http, name, PASSWORD)
        return Account(uid, role, token)

    # Concurrently: each account costs two argon2 hashes on the server.
    trainers = await asyncio.gather(*(make(f"coach{i}", "trainer") for i in range(TRAINERS)))
    clients = await asyncio.gather(*(make(f"member{i}", "client") for i in range(CLIENTS)))
    for i, member in enumerate(clients):
        member.trainer = trainers[i % TRAINERS].id
        resp = await http.put(f"/api/trainers/{member.trainer}/clients/{member.id}", headers=auth)
        assert resp.status == 204
    return [*trainers, *clients]


async def _listen(http: aiohttp.ClientSession, sock: Socket, stop: asyncio.Event) -> None:
    """Hold one socket; after a server-side close, reconnect with `since` like a real client."""
    while not stop.is_set():
        url = f"/api/ws/ws/{sock.user.id}?token={sock.user.token}"
        if sock.last_id:
            url += f"&since={sock.last_id}"
        async with http.ws_connect(url, heartbeat=None) as ws:
            welcome = await ws.receive_json(timeout=30)
            assert welcome["type"] == "welcome" and welcome["user_id"] == sock.user.id
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                data = msg.json()
                sock.messages += 1
                if data["id"] <= sock.last_id:
                    sock.out_of_order += 1
                sock.last_id = max(sock.last_id, data["id"])
                if data["type"] == "FILE_UPLOADED":
                    sock.files.add(data["data"]["file"]["id"])
            if stop.is_set():
                return
            sock.reconnects += 1


async def _timed(tally: Tally, call: Any) -> aiohttp.ClientResponse:
    started = time.perf_counter()
    resp = await call
    await resp.read()
    tally.latencies.append(time.perf_counter() - started)
    tally.statuses[resp.status] += 1
    return resp


async def _uploader(http: aiohttp.ClientSession, who: Account, tally: Tally, end: float) -> None:
    while time.monotonic() < end:
        data, mime = unique_image()
        form = aiohttp.FormData()
        form.add_field("file", data, filename="meal", content_type=mime)
        url = "/api/files/upload?category=meal_photos"
        resp = await _timed(tally, http.post(url, headers=who.headers, data=form))
        if resp.status == 201:
            tally.uploaded[(await resp.json())["id"]] = who.id


async def _reader(http: aiohttp.ClientSession, who: Account, tally: Tally, end: float) -> None:
    h = who.headers
    while time.monotonic() < end:
        resp = await _timed(tally, http.get(f"/api/files?owner_id={who.id}&limit=20", headers=h))
        files = (await resp.json())["files"] if resp.status == 200 else []
        for f in files[:3]:
            await _timed(tally, http.get(f["variants"]["thumbnail"]["url"], headers=h))
        if files:
            await _timed(tally, http.get(files[0]["original_url"], headers=h))
        await _timed(tally, http.get("/api/nutrition/meals", headers=h))
        await _timed(tally, http.get("/api/notifications?limit=20", headers=h))
        await _timed(tally, http.get("/api/nutrition/photos/list", headers=h))


async def _replayable(http: aiohttp.ClientSession, who: Account) -> set[str]:
    """Every FILE_UPLOADED file id stored for a user, paged through `since`."""
    found: set[str] = set()
    since = 0
    while True:
        url = f"/api/notifications?since={since}&limit=200"
        resp = await http.get(url, headers=who.headers)
        assert resp.status == 200, await resp.text()
        page = (await resp.json())["notifications"]
        if not page:
            return found
        for n in page:
            if n["type"] == "FILE_UPLOADED":
                found.add(n["data"]["file"]["id"])
        since = page[-1]["id"]


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))


async def test_load_and_soak(tmp_path: Path) -> None:
    _raise_nofile()
    with ServerProcess(tmp_path / "data", "--workers", "1") as server:
        assert server.proc is not None
        pid = server.proc.pid
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(server.url, connector=connector) as http:
            people = await _people(http)
            trainers, clients = people[:TRAINERS], people[TRAINERS:]
            warm = Tally()  # one of each request first, so start-up allocations are not counted
            await _uploader(http, clients[0], warm, time.monotonic() + 0.01)
            await _reader(http, clients[0], warm, time.monotonic() + 0.01)
            await asyncio.sleep(1.0)
            rss_start, fds_start = rss_kb(pid), fd_count(pid)

            sockets = [Socket(c) for c in clients for _ in range(SOCKETS_PER_CLIENT)]
            sockets += [Socket(t) for t in trainers for _ in range(SOCKETS_PER_TRAINER)]
            stop = asyncio.Event()
            listeners = [asyncio.create_task(_listen(http, s, stop)) for s in sockets]
            await asyncio.sleep(2.0)
            assert all(not t.done() for t in listeners), [
                t.exception() for t in listeners if t.done()
            ]

            tally = Tally()
            started = time.monotonic()
            end = started + SECONDS
            rss_peak = rss_kb(pid)
            workers = [asyncio.create_task(_uploader(http, c, tally, end)) for c in clients]
            workers += [asyncio.create_task(_reader(http, c, tally, end)) for c in clients]
            while not all(w.done() for w in workers):
                rss_peak = max(rss_peak, rss_kb(pid))
                await asyncio.sleep(0.5)
            await asyncio.gather(*workers)
            elapsed = time.monotonic() - started
            await asyncio.sleep(2.0)  # let the last notifications arrive
            stop.set()
            for t in listeners:
                t.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)

            replay = {p.id: await _replayable(http, p) for p in people}
        await connector.close()
        await asyncio.sleep(3.0)  # the server notices the closes and frees their buffers
        rss_end, fds_end = rss_kb(pid), fd_count(pid)

    five_xx = sum(n for status, n in tally.statuses.items() if status >= 500)
    logged_5xx = [line for line in server.output if re.search(r'" 5\d\d ', line)]
    owners = {c.id: c for c in clients}
    live_missing = replay_filled = unrecoverable = 0
    for sock in sockets:
        user = sock.user
        expected = {
            fid
            for fid, owner in tally.uploaded.items()
            if owner == user.id or owners[owner].trainer == user.id
        }
        missing = expected - sock.files
        live_missing += len(missing)
        replay_filled += len(missing & replay[user.id])
        unrecoverable += len(missing - replay[user.id])
    lat = sorted(tally.latencies)
    print(
        f"\nload: {elapsed:.0f} s, {len(tally.uploaded)} uploads "
        f"({len(tally.uploaded) / elapsed:.1f}/s), {len(lat)} requests "
        f"({len(lat) / elapsed:.0f}/s), p50 {statistics.median(lat) * 1000:.1f} ms, "
        f"p99 {lat[int(len(lat) * 0.99) - 1] * 1000:.1f} ms, statuses {dict(tally.statuses)}\n"
        f"websockets: {len(sockets)}, {sum(s.messages for s in sockets)} messages, "
        f"{sum(s.reconnects for s in sockets)} reconnects, {live_missing} not delivered live, "
        f"{replay_filled} of them replayable via since, {unrecoverable} lost\n"
        f"server RSS: start {rss_start / 1024:.1f} MB, peak {rss_peak / 1024:.1f} MB, "
        f"end {rss_end / 1024:.1f} MB; fds: start {fds_start}, end {fds_end}"
    )
    assert five_xx == 0 and not logged_5xx, (tally.statuses, logged_5xx[:5])
    assert set(tally.statuses) <= {200, 201}, tally.statuses
    assert len(tally.uploaded) >= CLIENTS  # every uploader got through at least once
    assert unrecoverable == 0
    assert all(s.out_of_order == 0 for s in sockets)
    assert rss_end < rss_start + RSS_SLACK_KB, (rss_start, rss_end)
    assert fds_end <= fds_start + FD_SLACK, (fds_start, fds_end)
