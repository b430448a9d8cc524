"""Helpers shared by the media tests (no tests here): uploads, meals and tree inspection."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient

from gymhub.web.appkeys import config_key
from tests.support import bearer


def form(
    data: bytes, filename: str = "photo.jpg", fields: dict[str, str] | None = None
) -> aiohttp.FormData:
    """A multipart body with one `file` part (and optional fields before it)."""
    # Unquoted, so a hostile name reaches the server as a client would really send it.
    body = aiohttp.FormData(quote_fields=False)
    for key, value in (fields or {}).items():
        body.add_field(key, value)
    # A stream, not bytes: aiohttp warns (an error here) about large in-memory bodies.
    body.add_field(
        "file", io.BytesIO(data), filename=filename, content_type="application/octet-stream"
    )
    return body


async def upload(
    client: TestClient,
    token: str,
    data: bytes,
    category: str = "meal_photos",
    filename: str = "photo.jpg",
    owner_id: int | None = None,
    fields: dict[str, str] | None = None,
) -> aiohttp.ClientResponse:
    """POST /api/files/upload as this token."""
    params: dict[str, Any] = {"category": category}
    if owner_id is not None:
        params["owner_id"] = owner_id
    return await client.post(
        "/api/files/upload",
        params=params,
        data=form(data, filename, fields),
        headers=bearer(token),
    )


async def uploaded(client: TestClient, token: str, data: bytes, **kw: Any) -> dict[str, Any]:
    """Upload and assert 201; the File."""
    resp = await upload(client, token, data, **kw)
    assert resp.status == 201, await resp.text()
    result: dict[str, Any] = await resp.json()
    return result


async def make_meal(client: TestClient, token: str, name: str = "lunch") -> int:
    """A meal of the token's client through the public API."""
    resp = await client.post(
        "/api/nutrition/meals", json={"meal_name": name}, headers=bearer(token)
    )
    assert resp.status == 201, await resp.text()
    return int((await resp.json())["id"])


def tree_files(app: web.Application) -> list[str]:
    """Every file of the media tree, as 'dir/name' (not the hidden id file and quarantine)."""
    root: Path = app[config_key].media_dir
    return sorted(
        f"{p.parent.name}/{p.name}"
        for p in root.rglob("*")
        if p.is_file() and not p.relative_to(root).parts[0].startswith(".")
    )


def table_count(app: web.Application, table: str) -> int:
    """Rows of a table, read with a separate connection (what a restart would see)."""
    conn = sqlite3.connect(app[config_key].db_path)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def raw_multipart(parts: list[tuple[str, bytes]], boundary: str = "gymhubtestboundary") -> bytes:
    """A multipart/form-data body built by hand: (Content-Disposition value, body) per part."""
    out = b""
    for disposition, body in parts:
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode(
            "utf-8", "surrogateescape"
        )
        out += b"Content-Type: application/octet-stream\r\n\r\n" + body + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


async def post_raw(
    client: TestClient,
    token: str,
    body: bytes | AsyncIterator[bytes],
    category: str = "meal_photos",
    boundary: str = "gymhubtestboundary",
) -> aiohttp.ClientResponse:
    """POST a hand-made multipart body to the upload endpoint."""
    return await client.post(
        f"/api/files/upload?category={category}",
        data=body,
        headers={**bearer(token), "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
