"""Idempotency-Key (API.md round 2): replays answer byte for byte and create nothing, other
content is 409, bad keys 400, users are independent, concurrent twins make one row, keys expire."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
from aiohttp.test_utils import TestClient
from multidict import CIMultiDict

from gymhub.auth.policy import Viewer
from gymhub.services import idempotency
from gymhub.services.meals import NewMeal, log_meal
from gymhub.web.appkeys import config_key, db_key, hub_key
from gymhub.web.hub_lifecycle import prune
from tests import imaging_samples as samples
from tests.support import bearer, error_of, raw_exchange
from tests.test_files_kit import make_meal, table_count, tree_files

KEY = "Idempotency-Key"


def keyed(token: str, key: str) -> dict[str, str]:
    return {**bearer(token), KEY: key}


async def answer(resp: aiohttp.ClientResponse) -> tuple[int, bytes]:
    return resp.status, await resp.read()


def photo_form(data: bytes, boundary: str, fields: dict[str, str] | None = None) -> Any:
    """A multipart body with this boundary: fields, then one `file` part."""
    writer = aiohttp.MultipartWriter("form-data", boundary=boundary)
    for name, value in (fields or {}).items():
        writer.append(value).set_content_disposition("form-data", name=name)
    part = writer.append(io.BytesIO(data), {"Content-Type": "application/octet-stream"})
    part.set_content_disposition("form-data", name="file", filename="plate.jpg")
    return writer


async def test_json_routes_replay_and_refuse_other_content(
    client: TestClient, people: dict[str, Any]
) -> None:
    member, trainer = people["client"], people["trainer"]
    resp = await client.post(
        "/api/nutrition/meals", json={"meal_name": "Soup"}, headers=bearer(member["token"])
    )
    meal_id = (await resp.json())["id"]
    routes = [
        ("/api/nutrition/meals", "meals", {"meal_name": "Oats"}, {"meal_name": "Rice"}),
        ("/api/progress", "progress_entries", {"weight_kg": 70}, {"weight_kg": 71}),
        (
            "/api/messages",
            "messages",
            {"recipient_id": trainer["id"], "body": "hi"},
            {"recipient_id": trainer["id"], "body": "hello"},
        ),
        (
            "/api/comments",
            "comments",
            {"target": "meal", "target_id": meal_id, "body": "too salty"},
            {"target": "meal", "target_id": meal_id, "body": "just right"},
        ),
    ]
    for number, (path, table, body, other) in enumerate(routes):
        key = f"offline-queue {number}"
        headers = keyed(member["token"], key)
        first = await answer(await client.post(path, json=body, headers=headers))
        assert first[0] == 201, first
        rows, notes = table_count(client.app, table), table_count(client.app, "notifications")
        # Same key, same JSON: the first answer, byte for byte, and nothing new anywhere.
        for _ in range(2):
            assert await answer(await client.post(path, json=body, headers=headers)) == first
        assert table_count(client.app, table) == rows
        assert table_count(client.app, "notifications") == notes
        # Other JSON under the same key, or the key on another route: 409, nothing stored.
        resp = await client.post(path, json=other, headers=headers)
        assert "Idempotency-Key" in await error_of(resp, 409, "conflict")
        resp = await client.post(routes[number - 1][0], json=routes[number - 1][2], headers=headers)
        await error_of(resp, 409, "conflict")
        assert table_count(client.app, table) == rows
        # Without a key, or with a new one, the same JSON is a new row.
        resp = await client.post(path, json=body, headers=bearer(member["token"]))
        assert resp.status == 201
        resp = await client.post(path, json=body, headers=keyed(member["token"], key + "b"))
        assert resp.status == 201 and await resp.read() != first[1]
        assert table_count(client.app, table) == rows + 2
    # Another user's identical key is theirs alone.
    stranger = people["stranger"]["token"]
    resp = await client.post(
        "/api/nutrition/meals",
        json={"meal_name": "Oats"},
        headers=keyed(stranger, "offline-queue 0"),
    )
    made = await resp.json()
    assert resp.status == 201 and made["client_id"] == people["stranger"]["id"]
    # Errors are not remembered: a trainer's refused meal stays refused, and a retry of a
    # message that failed can succeed under the same key.
    for _ in range(2):
        resp = await client.post(
            "/api/nutrition/meals", json={"meal_name": "x"}, headers=keyed(trainer["token"], "t")
        )
        await error_of(resp, 403, "forbidden")
    headers = keyed(member["token"], "retry-me")
    resp = await client.post(
        "/api/messages", json={"recipient_id": 10**9, "body": "x"}, headers=headers
    )
    await error_of(resp, 404, "not_found")
    resp = await client.post(
        "/api/messages", json={"recipient_id": 10**9, "body": "x"}, headers=headers
    )
    await error_of(resp, 404, "not_found")


async def test_bad_keys_are_400(client: TestClient, people: dict[str, Any]) -> None:
    token = people["client"]["token"]
    meal = {"meal_name": "Soup"}
    for bad in ("", "k" * 101):
        resp = await client.post("/api/nutrition/meals", json=meal, headers=keyed(token, bad))
        assert KEY in await error_of(resp, 400, "invalid_request"), repr(bad)
    twice = CIMultiDict([*bearer(token).items(), (KEY, "a"), (KEY, "b")])
    resp = await client.post("/api/nutrition/meals", json=meal, headers=twice)
    await error_of(resp, 400, "invalid_request")
    # Bytes outside printable ASCII, as a client library would not send them; upload routes
    # refuse them before reading the body. No meal was made by any of these.
    for path, raw in (("nutrition/meals", b"cl\xc3\xa9"), ("files/upload", b"tab\tinside")):
        request = (
            f"POST /api/{path}?category=meal_photos HTTP/1.1\r\nHost: x\r\n".encode()
            + b"Connection: close\r\nAuthorization: Bearer "
            + token.encode()
            + b"\r\nIdempotency-Key: "
            + raw
            + b"\r\nContent-Type: application/json\r\n"
            b'Content-Length: 20\r\n\r\n{"meal_name":"Soup"}'
        )
        status, body = await raw_exchange(client, request)
        assert " 400 " in status and b"Idempotency-Key" in body, (status, body)
    assert table_count(client.app, "meals") == 0
    # Edge of the rule: 100 characters with spaces and punctuation are a key.
    resp = await client.post(
        "/api/nutrition/meals", json=meal, headers=keyed(token, "a b~!" + "z" * 95)
    )
    assert resp.status == 201
    # Anonymous with a key (no cookie either): 401 as ever.
    status, _ = await raw_exchange(
        client,
        b"POST /api/nutrition/meals HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Idempotency-Key: anon\r\nContent-Type: application/json\r\n"
        b'Content-Length: 20\r\n\r\n{"meal_name":"Soup"}',
    )
    assert " 401 " in status


async def test_uploads_replay_across_boundaries(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    token = people["client"]["token"]
    data = samples.make_jpeg(tmp_path / "a.jpg", size=(320, 240), gps=False).read_bytes()
    other = samples.make_jpeg(tmp_path / "b.jpg", size=(320, 200), gps=False).read_bytes()
    url = "/api/files/upload?category=meal_photos"
    headers = keyed(token, "photo-1")
    first = await answer(await client.post(url, data=photo_form(data, "one"), headers=headers))
    assert first[0] == 201
    tree = tree_files(client.app)
    notes = table_count(client.app, "notifications")
    # A new boundary is the same request.
    again = await client.post(url, data=photo_form(data, "two"), headers=headers)
    assert await answer(again) == first
    # Other bytes, another field or another query under the key: 409, nothing kept.
    for body, where in (
        (photo_form(other, "three"), url),
        (photo_form(data, "four", {"note": "x"}), url),
        (photo_form(data, "five"), url + "&owner_id=" + str(people["client"]["id"])),
    ):
        resp = await client.post(where, data=body, headers=headers)
        await error_of(resp, 409, "conflict")
    assert tree_files(client.app) == tree and table_count(client.app, "files") == 1
    assert table_count(client.app, "notifications") == notes
    assert not list((client.app[config_key].media_dir / "temp").iterdir())
    # The same bytes under a new key: the dedup answer (200), itself replayed as 200.
    dup_headers = keyed(token, "photo-1-again")
    dup = await answer(await client.post(url, data=photo_form(data, "six"), headers=dup_headers))
    assert dup[0] == 200
    assert (
        await answer(await client.post(url, data=photo_form(data, "7"), headers=dup_headers)) == dup
    )
    # The seed meal-photo route takes keys as well.
    meal_id = await make_meal(client, token)
    seed = f"/api/nutrition/photos/upload?meal_completion_id={meal_id}"
    headers = keyed(token, "seed")
    first = await answer(await client.post(seed, data=photo_form(other, "s1"), headers=headers))
    assert first[0] == 201
    assert (
        await answer(await client.post(seed, data=photo_form(other, "s2"), headers=headers))
        == first
    )
    assert table_count(client.app, "files") == 2


async def test_concurrent_twins_make_one_row(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    token = people["client"]["token"]
    headers = keyed(token, "twins")
    meals = [
        client.post("/api/nutrition/meals", json={"meal_name": "Twin"}, headers=headers)
        for _ in range(6)
    ]
    answers = {await answer(r) for r in await asyncio.gather(*meals)}
    assert len(answers) == 1 and next(iter(answers))[0] == 201
    assert table_count(client.app, "meals") == 1
    data = samples.make_jpeg(tmp_path / "t.jpg", size=(320, 240), gps=False).read_bytes()
    headers = keyed(token, "twin-photo")
    uploads = [
        client.post(
            "/api/files/upload?category=meal_photos",
            data=photo_form(data, f"b{i}"),
            headers=headers,
        )
        for i in range(4)
    ]
    answers = {await answer(r) for r in await asyncio.gather(*uploads)}
    assert len(answers) == 1 and next(iter(answers))[0] == 201, answers
    assert table_count(client.app, "files") == 1
    assert len(tree_files(client.app)) == 4  # one original and its three variants
    assert not list((client.app[config_key].media_dir / "temp").iterdir())


async def test_keys_expire_after_a_day_and_are_pruned(
    client: TestClient, people: dict[str, Any]
) -> None:
    token = people["client"]["token"]
    for key in ("old-1", "old-2"):
        resp = await client.post(
            "/api/nutrition/meals", json={"meal_name": "Then"}, headers=keyed(token, key)
        )
        assert resp.status == 201
    age_every_key(client)
    # An expired key is free again: other content under it is a new meal, not a 409.
    resp = await client.post(
        "/api/nutrition/meals", json={"meal_name": "Now"}, headers=keyed(token, "old-1")
    )
    assert resp.status == 201 and (await resp.json())["meal_name"] == "Now"
    assert table_count(client.app, "meals") == 3
    # That write pruned the other expired key; only the fresh one is left.
    assert table_count(client.app, "idempotency_keys") == 1
    # The periodic prune (beside the notification retention) takes whatever expired.
    age_every_key(client)
    await prune(client.app[db_key], client.app[config_key])
    assert table_count(client.app, "idempotency_keys") == 0


async def test_the_transaction_itself_refuses_a_second_row(
    client: TestClient, people: dict[str, Any]
) -> None:
    """Twins that both passed the early look-up: the second's own write transaction finds the
    first's answer and keeps nothing (what makes concurrent twins safe, whatever the timing)."""
    member = people["client"]
    viewer = Viewer(id=member["id"], role="client", username=member["username"])
    db, publish = client.app[db_key], client.app[hub_key].publish
    answers = []
    for name in ("Twin", "Twin"):
        token = idempotency.enter(idempotency.Once(member["id"], "k", fingerprint="same"))
        try:
            meal = await log_meal(db, publish, viewer, NewMeal(name))
            answers.append((201, msgspec.json.encode(meal)))
        except idempotency.Replayed as replay:
            answers.append((replay.answer.status, replay.answer.body))
        finally:
            idempotency.leave(token)
    assert answers[0] == answers[1] and table_count(client.app, "meals") == 1


def age_every_key(client: TestClient) -> None:
    conn = sqlite3.connect(client.app[config_key].db_path)
    try:
        with conn:
            conn.execute("UPDATE idempotency_keys SET created_at = '2000-01-01T00:00:00.000Z'")
    finally:
        conn.close()
