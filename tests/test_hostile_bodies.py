"""Bodies built to break the parser are 400s, never 500s, on every route that reads one."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.support import bearer, error_of
from tests.test_ws_support import connect, recv


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def login_body(extra: bytes) -> bytes:
    # Login ignores unknown fields: the nesting sits in one that is skipped, not validated.
    return b'{"username": "admin", "password": "x", "junk": ' + extra + b"}"


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
async def test_json_nested_deeper_than_32_levels_is_400_on_login(
    client: TestClient, depth: int
) -> None:
    resp = await client.post(
        "/api/auth/login",
        data=login_body(nested(depth)),
        headers={"Content-Type": "application/json"},
    )
    message = await error_of(resp, 400, "invalid_request")
    assert "32" in message


async def test_json_nested_32_levels_is_still_read(client: TestClient) -> None:
    # Brackets inside strings do not count.
    junk = json.dumps({"s": "[[[[{{{{" * 20}).encode()
    resp = await client.post(
        "/api/auth/login",
        data=login_body(b"[" + nested(30)[1:-1] + b"," + junk + b"]"),
        headers={"Content-Type": "application/json"},
    )
    await error_of(resp, 401, "invalid_credentials")


@pytest.mark.parametrize(
    "path",
    ["/api/nutrition/meals", "/api/messages", "/api/progress", "/api/users", "/api/me/password"],
)
async def test_deep_json_is_400_on_every_json_route(
    client: TestClient, people: dict[str, Any], path: str
) -> None:
    token = people["admin"] if path == "/api/users" else people["client"]["token"]
    body = b'{"meal_name": ' + nested(5000) + b"}"
    resp = await client.post(
        path, data=body, headers={**bearer(token), "Content-Type": "application/json"}
    )
    await error_of(resp, 400, "invalid_request")


async def test_deep_json_in_a_websocket_frame_is_an_error_frame_and_the_socket_stays(
    client: TestClient, people: dict[str, Any]
) -> None:
    ws = await connect(client, people["client"])
    await ws.send_str('{"type": "ping", "x": ' + "[" * 1000 + "]" * 1000 + "}")
    frame = await recv(ws)
    assert frame["type"] == "error" and frame["code"] == "invalid_request", frame
    await ws.send_str('{"type": "ping"}')
    assert (await recv(ws))["type"] == "pong"
    await ws.close()


NOT_GZIP = b'{"username": "admin", "password": "x"}'


def bad_encodings() -> list[tuple[str, bytes]]:
    return [
        ("gzip", NOT_GZIP),
        # Cut short. mtime 0: the id holds the bytes, and xdist's workers must agree on it.
        ("gzip", gzip.compress(NOT_GZIP, mtime=0)[:-12]),
        ("deflate", b"\x00\x01 not deflate at all"),
    ]


@pytest.mark.parametrize(("encoding", "body"), bad_encodings())
async def test_undecodable_json_body_is_400(
    client: TestClient, people: dict[str, Any], encoding: str, body: bytes
) -> None:
    admin = people["admin"]
    for path, headers in (
        ("/api/auth/login", {}),
        (f"/api/ws/test-notification/{people['client']['id']}", bearer(admin)),
        ("/api/nutrition/meals", bearer(people["client"]["token"])),
    ):
        resp = await client.post(
            path,
            data=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "Content-Encoding": encoding,
            },
        )
        await error_of(resp, 400, "invalid_request")


@pytest.mark.parametrize(("encoding", "body"), bad_encodings())
async def test_undecodable_upload_body_is_400(
    client: TestClient, people: dict[str, Any], encoding: str, body: bytes
) -> None:
    boundary = "b0undary"
    multipart = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )
    resp = await client.post(
        "/api/files/upload?category=documents",
        data=multipart,
        headers={
            **bearer(people["client"]["token"]),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Encoding": encoding,
        },
    )
    await error_of(resp, 400, "invalid_request")


async def test_a_gzip_body_that_is_gzip_is_read(client: TestClient) -> None:
    resp = await client.post(
        "/api/auth/login",
        data=zlib.compress(NOT_GZIP),
        headers={"Content-Type": "application/json", "Content-Encoding": "deflate"},
    )
    await error_of(resp, 401, "invalid_credentials")


async def test_an_encoding_the_server_cannot_decode_is_400(client: TestClient) -> None:
    # aiohttp refuses it while parsing the headers, before any handler runs.
    for encoding in ("br", "zstd", "x-unknown"):
        resp = await client.post(
            "/api/auth/login",
            data=NOT_GZIP,
            headers={"Content-Type": "application/json", "Content-Encoding": encoding},
        )
        assert resp.status == 400, (encoding, resp.status, await resp.text())
