"""Fixtures: a real app on a real SQLite file in a temp data dir, served over real sockets."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gymhub.config import Config
from gymhub.server import make_app
from tests import support

AiohttpClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Defaults, a fresh data dir, a known admin password, one image worker, cheap argon2."""
    return support.make_config(tmp_path)


@pytest.fixture
def app(config: Config) -> web.Application:
    return make_app(config)


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, app: web.Application) -> TestClient:
    return await aiohttp_client(app)


@pytest.fixture
async def admin(client: TestClient) -> str:
    """The admin's bearer token."""
    return await support.admin_token(client)


@pytest.fixture
async def people(client: TestClient, admin: str) -> dict[str, Any]:
    """A trainer with an assigned client, an unassigned trainer and an unrelated client."""
    trainer = await support.create_user(client, admin, "trainer")
    other_trainer = await support.create_user(client, admin, "trainer")
    member = await support.create_user(client, admin, "client")
    stranger = await support.create_user(client, admin, "client")
    await support.assign(client, admin, trainer["id"], member["id"])
    return {
        "admin": admin,
        "trainer": trainer,
        "other_trainer": other_trainer,
        "client": member,
        "stranger": stranger,
    }


@pytest.fixture
def no_collector() -> Iterator[None]:
    """The cyclic collector off, so a test sees what plain reference counting leaves behind."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
