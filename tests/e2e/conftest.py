"""Fixtures of the browser tests: Chromium (Debian's, never downloaded) and a live server.

Playwright's sync API runs in plain (non-async) tests: no asyncio loop is running there.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.helpers import ADMIN_PASSWORD, CHROMIUM_ARGS, Api, Server, start_server


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("no Chromium on this machine: apt-get install chromium")
    return path


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """One Chromium per test module: Playwright's sync API keeps an event loop marked as running
    in this thread while it is open, which would break the asyncio tests that run after it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("gymhub-e2e"))
    yield srv
    srv.stop()


@pytest.fixture
def admin_api(server: Server) -> Api:
    return Api(server).login("admin", ADMIN_PASSWORD)


@pytest.fixture(autouse=True)
def close_contexts(request: pytest.FixtureRequest) -> Iterator[None]:
    """Close the browser contexts a test opened, even when it failed half-way."""
    yield
    if "browser" in request.fixturenames:
        for context in list(request.getfixturevalue("browser").contexts):
            context.close()
