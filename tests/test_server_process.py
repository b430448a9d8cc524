"""The server as a process: sd_notify, first start, SIGTERM, an access log without tokens."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.server_process import ServerProcess
from tests.support import ADMIN_PASSWORD, until


@pytest.mark.slow
async def test_ready_and_stopping_reach_notify_socket(tmp_path: Path) -> None:
    sock_path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(sock_path)
    listener.settimeout(20)
    try:
        server = ServerProcess(tmp_path / "data", env={"NOTIFY_SOCKET": sock_path}).start()
        assert listener.recv(4096) == b"READY=1"
        async with aiohttp.ClientSession(server.url) as http:
            assert (await http.get("/healthz")).status == 200
        assert server.stop() == 0
        assert listener.recv(4096) == b"STOPPING=1"
    finally:
        listener.close()


@pytest.mark.slow
async def test_first_start_creates_key_schema_and_prints_admin_password_once(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    server = ServerProcess(data)
    server.env = {k: v for k, v in server.env.items() if k != "GYMHUB_ADMIN_PASSWORD"}
    server.start()
    try:
        printed = [line for line in server.output if "created the first account" in line]
        assert len(printed) == 1
        password = printed[0].rsplit(" ", 1)[1]
        assert len(password) >= 12
        mode = stat.S_IMODE(os.stat(data / "secret.key").st_mode)
        assert mode == 0o600
        async with aiohttp.ClientSession(server.url) as http:
            resp = await http.post(
                "/api/auth/login", json={"username": "admin", "password": password}
            )
            assert resp.status == 200
    finally:
        server.stop()
    again = ServerProcess(data)
    again.env = server.env
    again.start()
    try:
        assert not any("created the first account" in line for line in again.output)
    finally:
        again.stop()


@pytest.mark.slow
async def test_sigterm_lets_a_running_request_finish_and_logs_no_token(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    try:
        async with aiohttp.ClientSession(server.url) as http:
            resp = await http.post(
                "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
            token = (await resp.json())["access_token"]
            resp = await http.get(
                f"/api/me?token={token}", headers={"Authorization": f"Bearer {token}"}
            )
            assert resp.status == 200
    finally:
        assert server.stop() == 0
    log = "\n".join(server.output)
    assert "/api/me?token=[redacted]" in log
    assert token not in log and token.split(".")[2] not in log
    assert "shutting down" in log


@pytest.mark.long
@pytest.mark.slow
async def test_sigterm_lets_an_upload_in_flight_finish(tmp_path: Path) -> None:
    """SIGTERM mid-body: the server stops accepting, the running upload still gets its 201."""
    from tests import imaging_samples as samples

    body = samples.make_jpeg(tmp_path / "meal.jpg", size=(800, 600)).read_bytes()
    server = ServerProcess(tmp_path / "data").start()
    sent_half = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        boundary = b"--gymhubboundary"
        yield (
            boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="m.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n"
        )
        half = len(body) // 2
        yield body[:half]
        sent_half.set()
        await asyncio.sleep(1.5)
        yield body[half:]
        yield b"\r\n" + boundary + b"--\r\n"

    try:
        async with aiohttp.ClientSession(server.url) as http:
            resp = await http.post(
                "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
            token = (await resp.json())["access_token"]
            upload = asyncio.create_task(
                http.post(
                    "/api/files/upload?category=meal_photos",
                    data=slow_body(),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "multipart/form-data; boundary=gymhubboundary",
                    },
                )
            )
            await sent_half.wait()
            await asyncio.sleep(0.3)
            assert server.proc is not None
            server.proc.send_signal(signal.SIGTERM)
            try:
                resp = await upload
            except aiohttp.ClientError as exc:
                raise AssertionError("\n".join(server.output)) from exc
            assert resp.status == 201, await resp.text()
            stored = await resp.json()
        assert await asyncio.to_thread(server.proc.wait, 30) == 0
    finally:
        server.kill()
    # Started again, the upload is there and whole.
    with ServerProcess(tmp_path / "data") as again:
        async with aiohttp.ClientSession(again.url) as http:
            resp = await http.post(
                "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
            token = (await resp.json())["access_token"]
            resp = await http.get(
                stored["original_url"], headers={"Authorization": f"Bearer {token}"}
            )
            assert resp.status == 200 and await resp.read() == body


@pytest.mark.slow
async def test_json_logs_carry_request_ids_and_redacted_paths(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", "--log-format", "json").start()
    try:
        async with aiohttp.ClientSession(server.url) as http:
            resp = await http.get("/healthz", headers={"X-Request-Id": "probe-42"})
            assert resp.status == 200 and resp.headers["X-Request-Id"] == "probe-42"
            resp = await http.get("/api/me?token=secret-value")
            assert resp.status == 401
            generated = resp.headers["X-Request-Id"]
    finally:
        assert server.stop() == 0
    entries = [json.loads(line) for line in server.output if line.startswith("{")]
    access = [e for e in entries if e["logger"] == "aiohttp.access"]
    health = next(e for e in access if e["request_id"] == "probe-42")
    assert (health["method"], health["path"], health["status"]) == ("GET", "/healthz", 200)
    assert health["level"] == "INFO" and health["time"].endswith("Z")
    assert isinstance(health["duration_ms"], float) and health["bytes"] > 0
    me = next(e for e in access if e["request_id"] == generated)
    assert me["path"] == "/api/me?token=[redacted]" and me["status"] == 401
    assert "secret-value" not in "\n".join(server.output)
    assert any(e["message"] == "shutting down" for e in entries)


async def admin_login(http: aiohttp.ClientSession) -> str:
    resp = await http.post(
        "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    return str((await resp.json())["access_token"])


async def test_a_client_leaving_mid_upload_is_no_server_error(tmp_path: Path) -> None:
    """A phone losing its network halfway through an upload: nothing kept, no traceback, and the
    log and metrics say 499 (client closed request), not 500."""
    from tests import imaging_samples as samples

    jpeg = samples.make_jpeg(tmp_path / "big.jpg", size=(1600, 1200)).read_bytes()
    server = ServerProcess(tmp_path / "data").start()
    temp = tmp_path / "data" / "uploads" / "temp"
    try:
        async with aiohttp.ClientSession(server.url) as http:
            token = await admin_login(http)
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(
                b"POST /api/files/upload?category=meal_photos HTTP/1.1\r\nHost: gymhub\r\n"
                + f"Authorization: Bearer {token}\r\n".encode()
                + b"Content-Type: multipart/form-data; boundary=b0undary\r\n"
                + b"Content-Length: 5000000\r\n\r\n"
                + b'--b0undary\r\nContent-Disposition: form-data; name="file"\r\n\r\n'
                + jpeg[: len(jpeg) // 2]
            )
            await writer.drain()
            await until(lambda: any(temp.iterdir()))  # the part is being written
            writer.transport.abort()
            await until(lambda: any("client left during POST" in line for line in server.output))
            await until(lambda: not any(temp.iterdir()))
            metrics = await (await http.get("/metrics")).text()
            assert 'gymhub_http_requests_total{method="POST",status="499"} 1.0' in metrics
            assert 'status="500"' not in metrics
            files = await http.get("/api/files", headers={"Authorization": f"Bearer {token}"})
            assert (await files.json())["files"] == []
    finally:
        assert server.stop() == 0
    log = "\n".join(server.output)
    assert "Traceback" not in log and "ERROR" not in log, log


async def test_a_malformed_request_is_one_line_that_repeats_nothing_it_sent(tmp_path: Path) -> None:
    """aiohttp refuses an over-long header with a 400 before gymhub sees it; its log entry would
    be an ERROR traceback quoting the header (here a token): one INFO line instead."""
    server = ServerProcess(tmp_path / "data").start()
    secret = "s3cr3t" + "x" * 9000
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            f"GET /api/me HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer {secret}\r\n\r\n".encode()
        )
        status = await reader.readline()
        writer.close()
        assert status.split()[1] == b"400"
        await until(lambda: any("refused a malformed request" in line for line in server.output))
    finally:
        assert server.stop() == 0
    log = "\n".join(server.output)
    assert "s3cr3t" not in log and "Traceback" not in log and "ERROR" not in log, log
