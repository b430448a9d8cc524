"""Connection limits against the server as a process: timeouts, the cap, and the log flood.

aiohttp's pytest server cancels handlers when a client leaves; production does not, so a
stalled request is only shown for real here, over real sockets to `gymhub serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.server_process import ServerProcess
from tests.support import ADMIN_PASSWORD, PASSWORD

pytestmark = pytest.mark.slow

# Small timeouts, each different, so the test tells which one closed a connection.
FAST = {
    "GYMHUB_HEADER_TIMEOUT": "1.5",
    "GYMHUB_BODY_IDLE_TIMEOUT": "2",
    "GYMHUB_KEEPALIVE_TIMEOUT": "3",
    "GYMHUB_WORKERS": "1",
}


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, env: dict[str, str]) -> AsyncIterator[ServerProcess]:
    server = ServerProcess(tmp_path / "data", env=env)
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def open_raw(server: ServerProcess) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", server.port)


async def seconds_until_closed(reader: asyncio.StreamReader, limit: float) -> float:
    """How long until the server closes the connection (everything it sends is skipped)."""
    started = time.monotonic()
    with contextlib.suppress(ConnectionError):
        async with asyncio.timeout(limit):
            while await reader.read(65536):
                pass
    return time.monotonic() - started


async def get_healthz(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    """One GET /healthz on an open connection; its status line."""
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    await reader.readexactly(length)
    return head.split(b"\r\n")[0]


async def healthz(server: ServerProcess) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{server.url}/healthz", timeout=aiohttp.ClientTimeout(total=5)) as r,
    ):
        return r.status


async def test_half_sent_headers_are_closed_after_header_timeout(tmp_path: Path) -> None:
    async with serving(tmp_path, FAST) as server:
        reader, writer = await open_raw(server)
        silent, quiet = await open_raw(server)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
        await writer.drain()
        took = await seconds_until_closed(reader, 20)
        assert 1.2 < took < 2.8, took
        # A connection that never sends a byte gets no more time than one that sent half.
        assert await seconds_until_closed(silent, 5) < 2.8
        writer.close()
        quiet.close()


@pytest.mark.long
async def test_an_idle_keepalive_connection_is_closed_after_keepalive_timeout(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path, FAST) as server:
        reader, writer = await open_raw(server)
        assert await get_healthz(reader, writer) == b"HTTP/1.1 200 OK"
        # Past the header timeout but within keep-alive, the connection still serves requests.
        await asyncio.sleep(2)
        assert await get_healthz(reader, writer) == b"HTTP/1.1 200 OK"
        took = await seconds_until_closed(reader, 20)
        assert 2.5 < took < 4.5, took
        writer.close()


async def client_token(server: ServerProcess) -> str:
    async with aiohttp.ClientSession(server.url) as http:
        login = {"username": "admin", "password": ADMIN_PASSWORD}
        async with http.post("/api/auth/login", json=login) as r:
            admin = (await r.json())["access_token"]
        user = {"username": "stalls", "password": PASSWORD, "role": "client"}
        async with http.post(
            "/api/users", json=user, headers={"Authorization": f"Bearer {admin}"}
        ) as r:
            assert r.status == 201, await r.text()
        async with http.post(
            "/api/auth/login", json={"username": "stalls", "password": PASSWORD}
        ) as r:
            return str((await r.json())["access_token"])


async def test_a_stalled_upload_is_dropped_and_its_temp_file_removed(tmp_path: Path) -> None:
    async with serving(tmp_path, FAST) as server:
        token = await client_token(server)
        temp = tmp_path / "data" / "uploads" / "temp"
        boundary = "stall"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="plan.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        # A promised megabyte, of which a few kilobytes of a PDF arrive.
        sent = head + b"%PDF-1.4\n" + b"%" * 4000
        reader, writer = await open_raw(server)
        writer.write(
            (
                "POST /api/files/upload?category=documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {1_000_000}\r\n\r\n"
            ).encode()
            + sent
        )
        await writer.drain()
        # The upload reached the store: its temp file exists while the body stalls.
        deadline = time.monotonic() + 5
        while not list(temp.glob("*.part")) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert list(temp.glob("*.part")), "the upload never started"
        took = await seconds_until_closed(reader, 20)
        assert 1.5 < took < 4, took
        deadline = time.monotonic() + 5
        while list(temp.iterdir()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert list(temp.iterdir()) == []
        writer.close()
        # The stall was the client's doing: no traceback, and the server serves on.
        assert not [line for line in server.output if "Traceback" in line], server.output
        assert await healthz(server) == 200


async def test_past_max_connections_a_new_connection_is_closed_at_once(tmp_path: Path) -> None:
    env = {**FAST, "GYMHUB_HEADER_TIMEOUT": "60", "GYMHUB_MAX_CONNECTIONS": "20"}
    async with serving(tmp_path, env) as server:
        held = [await open_raw(server) for _ in range(20)]
        # Let the server accept them all before the one too many.
        await asyncio.sleep(0.3)
        extra, extra_writer = await open_raw(server)
        assert await seconds_until_closed(extra, 10) < 1
        extra_writer.close()
        for _, writer in held[:5]:
            writer.close()
        await asyncio.sleep(0.3)
        assert await healthz(server) == 200
        # The connections within the cap were left alone.
        assert await get_healthz(*held[-1]) == b"HTTP/1.1 200 OK"
        for _, writer in held[5:]:
            writer.close()
        refusals = [line for line in server.output if "refused a connection" in line]
        assert len(refusals) == 1, refusals


@pytest.mark.long
async def test_accept_failures_are_logged_once_then_summarised(tmp_path: Path) -> None:
    # The cap is set above what the descriptors allow, so accept() itself runs out: the flood
    # of asyncio's identical ERROR lines the audit saw (10,000 a second).
    env = {
        **FAST,
        "GYMHUB_HEADER_TIMEOUT": "60",
        "GYMHUB_KEEPALIVE_TIMEOUT": "60",
        "GYMHUB_MAX_CONNECTIONS": "5000",
        "GYMHUB_LOG_REPEAT_SECONDS": "3",
    }
    async with serving(tmp_path, env) as server:
        assert server.proc is not None
        resource.prlimit(server.proc.pid, resource.RLIMIT_NOFILE, (160, 160))
        # More than the descriptors left, fewer than those plus the listen backlog: every
        # connect succeeds and the rest wait in the backlog, which accept() cannot empty.
        held = [await open_raw(server) for _ in range(200)]
        await asyncio.sleep(4)
        for _, writer in held:
            writer.close()
        await asyncio.sleep(3.5)  # the summary of the 3 s interval comes after the flood ends
        lines = [line for line in server.output if "out of system resource" in line]
        summaries = [line for line in lines if "repeated" in line]
        assert len(lines) - len(summaries) == 1, lines[:5]
        assert 1 <= len(summaries) <= 2, "\n".join(server.output[-40:])
        await asyncio.sleep(0.5)
        assert await healthz(server) == 200
