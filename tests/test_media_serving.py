"""Serving media: the access table, validators, ranges, HEAD, names, deletion, stats."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from multidict import CIMultiDict
from PIL import Image

from gymhub.config import Config
from gymhub.data.db import EXTERNAL_CHANGES_CHECK
from gymhub.handlers.media import media_memo_key
from gymhub.server import make_app
from gymhub.web.appkeys import config_key, db_key, storage_key
from tests import imaging_samples as samples
from tests import support
from tests.conftest import AiohttpClient
from tests.support import bearer, error_of, until
from tests.test_files_kit import table_count, tree_files, uploaded


async def photo(client: TestClient, people: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    path = samples.make_jpeg(tmp_path / "p.jpg", size=(640, 480), orientation=1)
    return await uploaded(client, people["client"]["token"], path.read_bytes())


async def test_access_table_for_an_image(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    f = await photo(client, people, tmp_path)
    urls = [f["original_url"]] + [v["url"] for v in f["variants"].values()]
    for who in ("client", "admin"):
        token = people[who] if who == "admin" else people[who]["token"]
        for url in urls:
            assert (await client.get(url, headers=bearer(token))).status == 200, (who, url)
    trainer = people["trainer"]["token"]
    await error_of(await client.get(f["original_url"], headers=bearer(trainer)), 404, "not_found")
    for url in urls[1:]:
        assert (await client.get(url, headers=bearer(trainer))).status == 200
    for who in ("stranger", "other_trainer"):
        for url in urls:
            resp = await client.get(url, headers=bearer(people[who]["token"]))
            await error_of(resp, 404, "not_found")
    client.session.cookie_jar.clear()  # logins in the fixtures left a session cookie
    await error_of(await client.get(urls[1]), 401, "unauthenticated")


async def test_headers_validators_ranges_and_head(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    f = await photo(client, people, tmp_path)
    token = people["client"]["token"]
    for url in (f["original_url"], f["variants"]["thumbnail"]["url"]):
        full = await client.get(url, headers=bearer(token))
        body = await full.read()
        h = full.headers
        assert h["Content-Type"] == "image/jpeg" and int(h["Content-Length"]) == len(body)
        assert h["Cache-Control"] == "private, max-age=31536000, immutable"
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Content-Security-Policy"] == "sandbox"
        assert h["ETag"] and h["Last-Modified"]
        again = await client.get(url, headers={**bearer(token), "If-None-Match": h["ETag"]})
        assert again.status == 304 and await again.read() == b""
        part = await client.get(url, headers={**bearer(token), "Range": "bytes=10-19"})
        assert part.status == 206 and await part.read() == body[10:20]
        assert part.headers["Content-Range"] == f"bytes 10-19/{len(body)}"
        tail = await client.get(url, headers={**bearer(token), "Range": "bytes=-5"})
        assert tail.status == 206 and await tail.read() == body[-5:]
        past = await client.get(url, headers={**bearer(token), "Range": f"bytes={len(body)}-"})
        await error_of(past, 416, "range_not_satisfiable")
        assert past.headers["Content-Range"] == f"bytes */{len(body)}"
        head = await client.head(url, headers=bearer(token))
        assert head.status == 200 and int(head.headers["Content-Length"]) == len(body)
        assert await head.read() == b""


async def test_document_is_an_attachment_and_visible_to_the_trainer(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    pdf = samples.make_pdf(tmp_path / "plan.pdf").read_bytes()
    f = await uploaded(
        client, people["client"]["token"], pdf, category="documents", filename='my "plan".pdf'
    )
    assert f["variants"] == {} and f["mime"] == "application/pdf"
    resp = await client.get(f["original_url"], headers=bearer(people["trainer"]["token"]))
    assert resp.status == 200 and await resp.read() == pdf
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and '"plan"' not in disposition
    assert resp.headers["Content-Type"] == "application/pdf"
    resp = await client.get(f["original_url"], headers=bearer(people["stranger"]["token"]))
    await error_of(resp, 404, "not_found")


async def test_media_names_that_are_not_ours_are_404(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    f = await photo(client, people, tmp_path)
    token = bearer(people["client"]["token"])
    fid = f["id"]
    for path in (
        f"/api/files/media/meal_photos/{fid}.png",  # another extension
        f"/api/files/media/progress_photos/{fid}.jpg",  # another category
        f"/api/files/media/thumbnails/{fid}.jpg",
        f"/api/files/media/thumbnails/{fid}_huge.jpg",
        f"/api/files/media/thumbnails/{fid}_thumbnail.png",
        f"/api/files/media/meal_photos/{fid.upper()}.jpg",
        "/api/files/media/meal_photos/..%2F..%2Fgymhub.sqlite3",
        "/api/files/media/%2e%2e/secret.key",
        "/api/files/media/meal_photos/%2Fetc%2Fpasswd",
        "/api/files/media/temp/" + fid + ".part",
        "/api/files/media/uploads/" + fid + ".jpg",
        "/api/files/media/meal_photos/" + "0" * 32 + ".jpg",
    ):
        resp = await client.get(path, headers=token)
        await error_of(resp, 404, "not_found")
    # Another user's file by its real name: still 404 for a stranger.
    resp = await client.get(f["original_url"], headers=bearer(people["stranger"]["token"]))
    await error_of(resp, 404, "not_found")


async def test_delete_by_any_name_removes_everything(
    client: TestClient, app: web.Application, people: dict[str, Any], tmp_path: Path
) -> None:
    f = await photo(client, people, tmp_path)
    thumb = f["variants"]["thumbnail"]["url"]
    owner = bearer(people["client"]["token"])
    assert (await client.get(thumb, headers=owner)).status == 200  # now in the LRU
    assert len(app[storage_key].cache) == 1
    resp = await client.delete(thumb, headers=bearer(people["trainer"]["token"]))
    await error_of(resp, 403, "forbidden")
    resp = await client.delete(thumb, headers=bearer(people["stranger"]["token"]))
    await error_of(resp, 404, "not_found")
    resp = await client.delete(thumb.replace(".jpg", ".png"), headers=owner)
    await error_of(resp, 404, "not_found")
    assert len(tree_files(app)) == 4
    resp = await client.delete(thumb, headers=owner)
    assert resp.status == 204
    assert tree_files(app) == [] and table_count(app, "files") == 0
    assert len(app[storage_key].cache) == 0
    await error_of(await client.get(thumb, headers=owner), 404, "not_found")
    await error_of(await client.delete(f"/api/files/{f['id']}", headers=owner), 404, "not_found")


async def test_stats_by_role(client: TestClient, people: dict[str, Any], tmp_path: Path) -> None:
    f = await photo(client, people, tmp_path)
    png = samples.make_png(tmp_path / "s.png", size=(30, 30)).read_bytes()
    await uploaded(client, people["stranger"]["token"], png)
    resp = await client.get("/api/files/media/stats", headers=bearer(people["admin"]))
    whole = await resp.json()
    assert set(whole) == {"total_files", "total_bytes", "by_category", "variant_bytes", "disk"}
    assert whole["total_files"] == 2
    assert whole["by_category"]["meal_photos"]["files"] == 2
    assert whole["disk"]["total_bytes"] >= whole["disk"]["free_bytes"] > 0
    resp = await client.get("/api/files/media/stats", headers=bearer(people["trainer"]["token"]))
    mine = await resp.json()
    assert mine["total_files"] == 1 and mine["total_bytes"] == f["size"]
    assert mine["variant_bytes"] == sum(v["size"] for v in f["variants"].values())
    resp = await client.get("/api/files/media/stats", headers=bearer(people["client"]["token"]))
    await error_of(resp, 403, "forbidden")


def remembering(app: web.Application) -> bool:
    """Whether media decisions of the current generation are held: a refusal after the next
    write is then that write's doing."""
    memo = app[media_memo_key]
    return len(memo) > 0 and memo.generation == app[db_key].generation


@pytest.mark.long
async def test_remembered_access_ends_with_the_write_that_ends_it(
    client: TestClient, app: web.Application, people: dict[str, Any], tmp_path: Path
) -> None:
    """Media decisions are remembered between writes; each revoking write ends them at once."""
    f = await photo(client, people, tmp_path)
    thumb = f["variants"]["thumbnail"]["url"]
    trainer, member, admin = people["trainer"], people["client"], people["admin"]
    for _ in range(3):  # the repeats are answered from what the first one looked up
        assert (await client.get(thumb, headers=bearer(trainer["token"]))).status == 200
    assert remembering(app)
    unassigned = await client.delete(
        f"/api/trainers/{trainer['id']}/clients/{member['id']}", headers=bearer(admin)
    )
    assert unassigned.status == 204
    await error_of(await client.get(thumb, headers=bearer(trainer["token"])), 404, "not_found")

    assert (await client.get(thumb, headers=bearer(member["token"]))).status == 200
    assert remembering(app)
    disabled = await client.patch(
        f"/api/users/{member['id']}", headers=bearer(admin), json={"disabled": True}
    )
    assert disabled.status == 200
    await error_of(await client.get(thumb, headers=bearer(member["token"])), 401, "unauthenticated")

    assert (await client.get(thumb, headers=bearer(admin))).status == 200
    assert remembering(app)
    deleted = await client.delete(f"/api/files/{f['id']}", headers=bearer(admin))
    assert deleted.status == 204
    await error_of(await client.get(thumb, headers=bearer(admin)), 404, "not_found")


async def test_remembered_access_ends_after_a_change_by_another_process(
    client: TestClient, app: web.Application, people: dict[str, Any], tmp_path: Path
) -> None:
    """`gymhub user disable` writes the file directly: the server notices within a second."""
    f = await photo(client, people, tmp_path)
    thumb = f["variants"]["thumbnail"]["url"]
    member = people["client"]
    assert (await client.get(thumb, headers=bearer(member["token"]))).status == 200
    data_dir = app[config_key].data_dir
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gymhub", "user", "disable", member["username"],
        "--data-dir", str(data_dir),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await proc.communicate()
    assert proc.returncode == 0, output
    statuses = []
    deadline = time.monotonic() + EXTERNAL_CHANGES_CHECK + 3.0  # slack for a busy CI machine
    while time.monotonic() < deadline:
        resp = await client.get(thumb, headers=bearer(member["token"]))
        statuses.append(resp.status)
        if resp.status == 401:
            break
        await asyncio.sleep(0.05)
    assert statuses[-1] == 401, statuses


def stored_original(app: web.Application, f: dict[str, Any]) -> bytes:
    ext = f["original_url"].rsplit(".", 1)[1]
    return app[storage_key].layout.original(f["category"], f["id"], ext).read_bytes()


async def big_original(client: TestClient, token: str, tmp_path: Path) -> dict[str, Any]:
    noise = Image.frombytes("RGB", (2400, 1800), os.urandom(2400 * 1800 * 3))
    path = samples.make_jpeg(tmp_path / "big.jpg", image=noise, orientation=1, quality=95)
    f = await uploaded(client, token, path.read_bytes())
    assert f["size"] > 4_000_000  # more than the socket buffers take while nobody reads
    return f


async def slow_get(
    client: TestClient, url: str, token: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A GET sent on a connection with a 16 KiB receive buffer, none of its answer read yet."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (client.host, client.port))
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write(
        f"GET {url} HTTP/1.1\r\nHost: gymhub\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    )
    return reader, writer


async def response_head(reader: asyncio.StreamReader) -> tuple[str, CIMultiDict[str]]:
    lines = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
    pairs = [line.split(": ", 1) for line in lines[1:] if line]
    return lines[0], CIMultiDict((name, value) for name, value in pairs)


async def test_a_whole_read_is_counted_until_sent_and_agrees_with_sendfile(
    aiohttp_client: AiohttpClient, config: Config, tmp_path: Path
) -> None:
    """With a read budget (off by default), a plain GET reads the original whole: its size is
    counted against the budget while unsent and given back once sent (connection still open) or
    once the client is gone. HEAD and Range go by FileResponse: the bytes and the validators
    agree."""
    app = make_app(dataclasses.replace(config, media_read_bytes=64 * 1024 * 1024))
    client = await aiohttp_client(app)
    token = (await support.create_user(client, await support.admin_token(client), "client"))[
        "token"
    ]
    f = await big_original(client, token, tmp_path)
    url, budget, size = f["original_url"], app[storage_key].read_budget, f["size"]
    head = await client.head(url, headers=bearer(token))
    ranged = await client.get(url, headers={**bearer(token), "Range": "bytes=0-"})
    assert ranged.status == 206
    stored = stored_original(app, f)
    assert await ranged.read() == stored
    for finish in (True, False):
        reader, writer = await slow_get(client, url, token)
        await until(lambda: budget.used == size)
        if finish:
            status, headers = await response_head(reader)
            assert status == "HTTP/1.1 200 OK" and headers["Content-Length"] == str(size)
            assert await reader.readexactly(size) == stored
            names = ("ETag", "Last-Modified", "Content-Type", "Cache-Control")
            for other in (head, ranged):
                assert [other.headers[n] for n in names] == [headers[n] for n in names]
            assert headers["Content-Security-Policy"] == "sandbox"
            await until(lambda: budget.used == 0)
        writer.close()
        await until(lambda: budget.used == 0)


async def test_past_the_read_budget_originals_go_by_sendfile(
    aiohttp_client: AiohttpClient, config: Config, tmp_path: Path
) -> None:
    app = make_app(dataclasses.replace(config, media_read_bytes=1_000_000))
    client = await aiohttp_client(app)
    member = await support.create_user(client, await support.admin_token(client), "client")
    f = await big_original(client, member["token"], tmp_path)
    reader, writer = await slow_get(client, f["original_url"], member["token"])
    status, headers = await response_head(reader)
    assert status == "HTTP/1.1 200 OK" and headers["ETag"]
    await asyncio.sleep(0.2)  # the body is still being sent, none of it read
    assert app[storage_key].read_budget.used == 0
    assert await reader.readexactly(f["size"]) == stored_original(app, f)
    writer.close()


async def test_preconditions_and_ranges_are_answered_alike_on_every_path(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    # The thumbnail comes from the LRU, the original through FileResponse (sendfile) for
    # conditional requests: both answer 412 and 416 with the JSON error shape.
    f = await photo(client, people, tmp_path)
    token = people["client"]["token"]
    old = "Thu, 01 Jan 1970 00:00:00 GMT"

    async def get(url: str, **headers: str) -> Any:
        return await client.get(url, headers={**bearer(token), **headers})

    for url in (f["variants"]["thumbnail"]["url"], f["original_url"]):
        whole = await get(url)
        etag, modified = whole.headers["ETag"], whole.headers["Last-Modified"]
        body = await whole.read()
        await error_of(await get(url, **{"If-Match": '"not-it"'}), 412, "precondition_failed")
        fresh = await get(url, **{"If-Match": etag})
        assert fresh.status == 200 and fresh.headers["ETag"] == etag
        # If-Match compares strongly.
        await error_of(await get(url, **{"If-Match": f"W/{etag}"}), 412, "precondition_failed")
        await error_of(await get(url, **{"If-Unmodified-Since": old}), 412, "precondition_failed")
        for bad in (f"bytes={len(body) + 10}-", f"bytes={len(body)}-{len(body) + 5}", "bytes=-0"):
            refused = await get(url, Range=bad)
            await error_of(refused, 416, "range_not_satisfiable")
            assert refused.headers["Content-Range"] == f"bytes */{len(body)}", bad
        # RFC 9110 14.2: a Range in another unit, a list of ranges or a malformed one is ignored.
        for ignored in ("items=0-1", "bytes=0-1,4-5", "bytes=abc", "bytes=9-2", "bytes=-"):
            full = await get(url, Range=ignored)
            assert full.status == 200 and await full.read() == body, ignored
        # A validator that matches answers 304 before the Range is looked at.
        cached = await get(url, **{"If-None-Match": etag, "Range": f"bytes={len(body)}-"})
        assert cached.status == 304 and cached.headers["ETag"] == etag
        # If-Range: the same ETag or a date not older than the file applies the Range ...
        for validator in (etag, modified):
            part = await get(url, Range="bytes=0-9", **{"If-Range": validator})
            assert part.status == 206 and await part.read() == body[:10], validator
            assert part.headers["Content-Range"] == f"bytes 0-9/{len(body)}"
        # ... another ETag or an older date sends the whole file.
        for validator in ('"other"', old):
            full = await get(url, Range="bytes=0-9", **{"If-Range": validator})
            assert full.status == 200 and await full.read() == body, validator
        # Range is for GET: HEAD answers as for the whole file.
        head = await client.head(url, headers={**bearer(token), "Range": "bytes=0-9"})
        assert head.status == 200 and int(head.headers["Content-Length"]) == len(body)
