"""Helpers for tests: users, logins and requests against the real app."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from gymhub.config import Config

ADMIN_PASSWORD = "admin-password-1"
PASSWORD = "password-123"
# argon2 at its cheapest: production cost (~0.16 s a hash) in every user fixture made set-up
# take seconds per test. Production defaults are checked by test_config.
CHEAP_ARGON2: dict[str, Any] = {
    "argon2_time_cost": 1,
    "argon2_memory_kib": 8,
    "argon2_parallelism": 1,
}
# The same for a server or CLI run as a subprocess.
CHEAP_ARGON2_ENV = {f"GYMHUB_{key.upper()}": str(value) for key, value in CHEAP_ARGON2.items()}
_names = itertools.count(1)


def make_config(root: Path, **overrides: Any) -> Config:
    """Defaults, a fresh data dir under root, a known admin password, one image worker, cheap
    argon2; `overrides` for what a test module changes."""
    settings: dict[str, Any] = {
        "data_dir": root / "data",
        "admin_password": ADMIN_PASSWORD,
        "workers": 1,
        "worker_nice": 0,
        # Two xdist processes and Chromium share two cores here: an idle-class worker would wait
        # behind them, so the suite runs its worker like any process (the class has its own test).
        "worker_idle": False,
        # Each test's app would start its worker at once; the tests that upload start it on the
        # first upload instead (tests/test_storage_pool.py checks the warm-up itself).
        "warm_pool": False,
        **CHEAP_ARGON2,
    }
    return Config(**{**settings, **overrides})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in over HTTP and return the access token."""
    resp = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert resp.status == 200, await resp.text()
    return str((await resp.json())["access_token"])


async def admin_token(client: TestClient) -> str:
    return await login(client, "admin", ADMIN_PASSWORD)


async def create_user(
    client: TestClient, admin: str, role: str, name: str | None = None, **extra: Any
) -> dict[str, Any]:
    """Create a user through the API as the admin; returns the User with its token added."""
    name = name or f"{role}{next(_names)}"
    resp = await client.post(
        "/api/users",
        headers=bearer(admin),
        json={"username": name, "password": PASSWORD, "role": role, **extra},
    )
    assert resp.status == 201, await resp.text()
    user: dict[str, Any] = await resp.json()
    user["token"] = await login(client, name)
    return user


async def assign(client: TestClient, admin: str, trainer_id: int, client_id: int) -> None:
    resp = await client.put(
        f"/api/trainers/{trainer_id}/clients/{client_id}", headers=bearer(admin)
    )
    assert resp.status == 204, await resp.text()


async def error_of(resp: Any, status: int, code: str) -> str:
    """Assert the documented error shape, status and code; return the message."""
    assert resp.status == status, (resp.status, await resp.text())
    body = await resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    return str(body["error"]["message"])


async def until(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait until predicate() is true, polling; fail the test after timeout seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def raw_exchange(client: TestClient, request: bytes) -> tuple[str, bytes]:
    """Send bytes no HTTP client library would send; the status line and the body of the answer
    (the request should ask for `Connection: close`)."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(request)
        answer = await reader.read()
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), body
