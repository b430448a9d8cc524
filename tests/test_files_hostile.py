"""Hostile and broken uploads: each gets its documented 4xx, nothing is kept, the server lives."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gymhub.config import Config
from gymhub.server import make_app
from tests import imaging_samples as samples
from tests.support import admin_token, bearer, create_user, error_of
from tests.test_files_kit import post_raw, raw_multipart, table_count, tree_files, upload

CASES: list[tuple[str, Callable[[Path], Path], str, str, int, str]] = [
    ("elf as meal.jpg", samples.make_elf, "meal.jpg", "meal_photos", 415, "unsupported_type"),
    ("html as .png", samples.make_html, "page.png", "meal_photos", 415, "unsupported_type"),
    ("svg with script", samples.make_svg, "logo.png", "profile_photos", 415, "unsupported_type"),
    ("pdf into meal_photos", samples.make_pdf, "menu.jpg", "meal_photos", 415, "unsupported_type"),
    ("plain zip as docx", samples.make_zip, "cv.docx", "documents", 415, "unsupported_type"),
    ("docx with macros", samples.make_docx_macro, "m.docx", "documents", 415, "unsupported_type"),
    (
        "jpeg as a document",
        lambda p: samples.make_png(p, (20, 20)),
        "a.pdf",
        "documents",
        415,
        "unsupported_type",
    ),
    ("zero bytes", samples.make_empty, "empty.jpg", "meal_photos", 422, "invalid_file"),
    ("truncated jpeg", samples.make_truncated_jpeg, "cut.jpg", "meal_photos", 422, "invalid_file"),
    (
        "png claims 30000x30000",
        samples.make_png_bomb,
        "bomb.png",
        "meal_photos",
        422,
        "invalid_file",
    ),
    ("gif huge screen", samples.make_gif_bomb, "bomb.gif", "progress_photos", 422, "invalid_file"),
]


def clean(app: web.Application) -> None:
    """Nothing half-stored: no file in the tree (temp included), no file row."""
    assert tree_files(app) == []
    assert table_count(app, "files") == 0 and table_count(app, "file_variants") == 0


@pytest.mark.parametrize(
    ("maker", "filename", "category", "status", "code"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
async def test_hostile_file_is_refused_and_nothing_is_kept(
    client: TestClient,
    app: web.Application,
    people: dict[str, Any],
    tmp_path: Path,
    maker: Callable[[Path], Path],
    filename: str,
    category: str,
    status: int,
    code: str,
) -> None:
    data = maker(tmp_path / filename).read_bytes()
    resp = await upload(client, people["client"]["token"], data, category, filename)
    message = await error_of(resp, status, code)
    assert "/" not in message and "Traceback" not in message
    clean(app)
    assert (await client.get("/healthz")).status == 200


async def test_bad_multipart_shapes(
    client: TestClient, app: web.Application, people: dict[str, Any], tmp_path: Path
) -> None:
    token = people["client"]["token"]
    png = samples.make_png(tmp_path / "x.png", size=(20, 20)).read_bytes()
    file_part = ('form-data; name="file"; filename="x.png"', png)
    bodies = {
        "no file part": raw_multipart([('form-data; name="note"', b"hello")]),
        "two file parts": raw_multipart([file_part, file_part]),
        "too many parts": raw_multipart([('form-data; name="n"', b"1")] * 9 + [file_part]),
        "huge field": raw_multipart([('form-data; name="note"', b"x" * 5000), file_part]),
        "garbage": b"this is not multipart at all",
    }
    for name, body in bodies.items():
        resp = await post_raw(client, token, body)
        assert resp.status == 400, name
        await error_of(resp, 400, "invalid_request")
        clean(app)
    resp = await client.post(
        "/api/files/upload?category=meal_photos", data=png, headers=bearer(token)
    )
    await error_of(resp, 400, "invalid_request")
    resp = await client.post("/api/files/upload?category=videos", data=b"{}", headers=bearer(token))
    await error_of(resp, 400, "invalid_request")
    resp = await upload(client, token, png, category="")
    await error_of(resp, 400, "invalid_request")
    resp = await upload(client, "not-a-token", png)
    await error_of(resp, 401, "unauthenticated")
    resp = await upload(client, people["trainer"]["token"], png, owner_id=people["stranger"]["id"])
    await error_of(resp, 404, "not_found")
    clean(app)


async def test_upload_without_a_file_part_names_the_field(
    client: TestClient, app: web.Application, people: dict[str, Any]
) -> None:
    token = people["client"]["token"]
    bodies = {
        "empty body": b"",
        "no part at all": b"--gymhubtestboundary--\r\n",
        "only another field": raw_multipart([('form-data; name="note"', b"hello")]),
        "a part without a name": raw_multipart([('form-data; filename="x.jpg"', b"x" * 5000)]),
        "a part without a disposition": b"--gymhubtestboundary\r\n\r\nhello\r\n"
        b"--gymhubtestboundary--\r\n",
    }
    for name, body in bodies.items():
        resp = await post_raw(client, token, body)
        message = await error_of(resp, 400, "invalid_request")
        assert message.startswith("file: required (a multipart part named file)"), (name, message)
    resp = await client.post(
        "/api/files/upload?category=meal_photos", data={"note": "hello"}, headers=bearer(token)
    )
    assert (await error_of(resp, 400, "invalid_request")).startswith("file: required")
    clean(app)


async def test_oversized_body_gets_413_without_being_read_whole(
    aiohttp_client: Any, config: Config
) -> None:
    limited = dataclasses.replace(config, limit_meal_photos=1_000_000)
    client = await aiohttp_client(make_app(limited))
    member = await create_user(client, await admin_token(client), "client")
    sent = 0
    total = 30 * 1_000_000
    header = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        boundary = b"--gymhubtestboundary\r\n"
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="b.jpg"\r\n\r\n'
        yield header
        chunk = b"\x00" * 65536
        while sent < total:
            sent += len(chunk)
            yield chunk
            await asyncio.sleep(0)
        yield b"\r\n--gymhubtestboundary--\r\n"

    resp = await post_raw(client, member["token"], body())
    await error_of(resp, 413, "too_large")
    assert sent < total, "the server read the whole 30 MB before answering"
    clean(client.app)
    assert (await client.get("/healthz")).status == 200


NESTED = (
    b"--gymhubtestboundary\r\n"
    b'Content-Disposition: form-data; name="file"\r\n'
    b"Content-Type: multipart/mixed; boundary=inner\r\n\r\n"
    b'--inner\r\nContent-Disposition: attachment; filename="a.txt"\r\n\r\nhi\r\n--inner--\r\n'
    b"\r\n--gymhubtestboundary--\r\n"
)


@pytest.mark.parametrize("path", ["/api/files/upload?category=meal_photos", "/api/nutrition/meals"])
@pytest.mark.parametrize(
    ("shape", "says"),
    [("nested", "Nested multipart"), ("unnamed", "has no name"), ("too many", "more than")],
)
async def test_both_forms_refuse_the_same_bad_parts(
    client: TestClient,
    app: web.Application,
    people: dict[str, Any],
    tmp_path: Path,
    path: str,
    shape: str,
    says: str,
) -> None:
    png = samples.make_png(tmp_path / "x.png", size=(20, 20)).read_bytes()
    photo = ('form-data; name="file"; filename="x.png"', png)
    bodies = {
        "nested": NESTED,
        "unnamed": raw_multipart([photo, ('form-data; filename="y.png"', png)]),
        # Past both limits: the file form takes 8 parts, the meal form its photos, fields and 4.
        "too many": raw_multipart([photo] + [('form-data; name="n"', b"x")] * 40),
    }
    resp = await client.post(
        path,
        data=bodies[shape],
        headers={
            **bearer(people["client"]["token"]),
            "Content-Type": "multipart/form-data; boundary=gymhubtestboundary",
        },
    )
    assert says in await error_of(resp, 400, "invalid_request")
    clean(app)
    assert table_count(app, "meals") == 0
