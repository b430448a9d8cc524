"""Every kind of answer carries the security headers (web/headers.py): the front middleware's
for what handlers return, the export stream's and the WebSocket handshake's set by their
handlers before they start, and media's own stricter ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from multidict import CIMultiDictProxy

from gymhub.web.headers import API_CSP, PAGE_CSP
from tests import imaging_samples as samples
from tests.support import bearer
from tests.test_files_kit import uploaded


def secured(headers: CIMultiDictProxy[str], csp: str) -> None:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"] == csp


async def test_every_kind_of_answer_is_secured(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    member = people["client"]
    token = bearer(member["token"])
    resp = await client.get("/api/me", headers=token)
    assert resp.status == 200
    secured(resp.headers, API_CSP)
    assert resp.headers["X-Request-Id"]
    resp = await client.get("/api/no-such-thing", headers=token)  # the router's 404
    assert resp.status == 404
    secured(resp.headers, API_CSP)
    resp = await client.get("/")
    assert resp.status == 200 and resp.content_type == "text/html"
    secured(resp.headers, PAGE_CSP)
    resp = await client.get("/api/me/export", headers=token)  # streamed by its handler
    assert resp.status == 200 and resp.content_type == "application/zip"
    await resp.read()
    secured(resp.headers, API_CSP)
    picture = samples.make_jpeg(tmp_path / "p.jpg", size=(640, 480)).read_bytes()
    photo = await uploaded(client, member["token"], picture)
    resp = await client.get(photo["variants"]["thumbnail"]["url"], headers=token)
    assert resp.status == 200
    secured(resp.headers, "sandbox")
    ws = await client.ws_connect(f"/api/ws/ws/{member['id']}?token={member['token']}")
    try:
        secured(ws._response.headers, API_CSP)
    finally:
        await ws.close()
