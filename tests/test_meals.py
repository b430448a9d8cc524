"""Meals: who may log and read them, validation, timestamps, photos and paging."""

from __future__ import annotations

import sqlite3
from typing import Any

from aiohttp.test_utils import TestClient

from gymhub.web.appkeys import db_key
from tests.support import bearer, error_of
from tests.test_ws_support import insert_photo


async def test_meals_policy_and_shape(client: TestClient, people: dict[str, Any]) -> None:
    member, trainer = people["client"], people["trainer"]
    token = bearer(member["token"])
    resp = await client.post("/api/nutrition/meals", headers=token, json={"meal_name": "Eggs"})
    meal = await resp.json()
    assert resp.status == 201 and meal["client_id"] == member["id"] and meal["photos"] == []
    assert meal["eaten_at"].endswith("Z") and meal["eaten_at"] == meal["created_at"]
    assert meal["notes"] is None
    # A meal photo linked to it shows up (trainer: no original URL for an image).
    photo = await insert_photo(client, member["id"], "meal_photos")
    meal_id = meal["id"]

    def link(c: sqlite3.Connection) -> None:
        c.execute("UPDATE files SET meal_completion_id = ? WHERE id = ?", (meal_id, photo))

    await client.app[db_key].write(link)
    resp = await client.get(f"/api/nutrition/meals/{meal_id}", headers=token)
    assert (await resp.json())["photos"][0]["original_url"]
    resp = await client.get(
        f"/api/nutrition/meals?client_id={member['id']}", headers=bearer(trainer["token"])
    )
    (seen,) = (await resp.json())["meals"]
    assert seen["id"] == meal_id and seen["photos"][0]["original_url"] is None
    # Everyone else: 404, never a hint.
    for who in ("other_trainer", "stranger"):
        other = bearer(people[who]["token"])
        resp = await client.get(f"/api/nutrition/meals/{meal_id}", headers=other)
        await error_of(resp, 404, "not_found")
        resp = await client.get(f"/api/nutrition/meals?client_id={member['id']}", headers=other)
        await error_of(resp, 404, "not_found")
    resp = await client.get("/api/nutrition/meals/424242", headers=token)
    await error_of(resp, 404, "not_found")
    # Admin reads; trainers and admins do not log meals.
    resp = await client.get(f"/api/nutrition/meals/{meal_id}", headers=bearer(people["admin"]))
    assert resp.status == 200
    for who in (trainer["token"], people["admin"]):
        resp = await client.post(
            "/api/nutrition/meals", headers=bearer(who), json={"meal_name": "x"}
        )
        await error_of(resp, 403, "forbidden")


async def test_timestamp_without_offset_is_utc(client: TestClient, people: dict[str, Any]) -> None:
    token = bearer(people["client"]["token"])
    resp = await client.post(
        "/api/nutrition/meals",
        headers=token,
        json={"meal_name": "naive", "eaten_at": "2024-05-01T10:00:00"},
    )
    assert (await resp.json())["eaten_at"] == "2024-05-01T10:00:00.000Z"


async def test_meal_validation_and_paging(client: TestClient, people: dict[str, Any]) -> None:
    token = bearer(people["client"]["token"])
    bad_bodies: dict[str, list[dict[str, Any]]] = {
        "meal_name": [{}, {"meal_name": ""}, {"meal_name": "x" * 201}, {"meal_name": 5}],
        "eaten_at": [
            {"meal_name": "a", "eaten_at": "yesterday"},
            {"meal_name": "a", "eaten_at": "2024-05-01 10:00"},
        ],
        "notes": [{"meal_name": "a", "notes": "n" * 2001}],
    }
    for field, bodies in bad_bodies.items():
        for body in bodies:
            resp = await client.post("/api/nutrition/meals", headers=token, json=body)
            assert field in await error_of(resp, 400, "invalid_request"), body
    resp = await client.post("/api/nutrition/meals", headers=token, data=b"{nope")
    await error_of(resp, 400, "invalid_request")
    ids = []
    for i in range(5):
        resp = await client.post(
            "/api/nutrition/meals",
            headers=token,
            json={"meal_name": f"m{i}", "eaten_at": "2024-01-02T03:04:05.678901-05:00"},
        )
        body = await resp.json()
        assert body["eaten_at"] == "2024-01-02T08:04:05.678Z"
        ids.append(body["id"])
    resp = await client.get("/api/nutrition/meals?limit=2", headers=token)
    assert [m["id"] for m in (await resp.json())["meals"]] == ids[::-1][:2]
    resp = await client.get(f"/api/nutrition/meals?before={ids[2]}", headers=token)
    assert [m["id"] for m in (await resp.json())["meals"]] == [ids[1], ids[0]]
    for query in ("limit=0", "limit=500", "before=x", "client_id=abc"):
        resp = await client.get(f"/api/nutrition/meals?{query}", headers=token)
        await error_of(resp, 400, "invalid_request")
    # Nothing half-stored by the refusals above.
    count = await client.app[db_key].fetchone("SELECT count(*) FROM meals")
    assert count is not None and count[0] == 5


async def test_timestamps_keep_four_digit_years_and_refuse_overflow(
    client: TestClient, people: dict[str, Any]
) -> None:
    token = bearer(people["client"]["token"])
    resp = await client.post(
        "/api/nutrition/meals",
        headers=token,
        json={"meal_name": "old", "eaten_at": "0999-05-05T00:00:00Z"},
    )
    assert resp.status == 201
    eaten_at = (await resp.json())["eaten_at"]
    assert eaten_at == "0999-05-05T00:00:00.000Z"
    # What the server writes, it reads back.
    again = await client.post(
        "/api/nutrition/meals", headers=token, json={"meal_name": "again", "eaten_at": eaten_at}
    )
    assert again.status == 201 and (await again.json())["eaten_at"] == eaten_at
    before = await client.app[db_key].fetchone("SELECT count(*) FROM meals")
    # Valid ISO 8601, but no year 1-9999 once moved to UTC.
    for edge in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        resp = await client.post(
            "/api/nutrition/meals", headers=token, json={"meal_name": "x", "eaten_at": edge}
        )
        assert (await error_of(resp, 400, "invalid_request")).startswith("eaten_at: "), edge
    assert await client.app[db_key].fetchone("SELECT count(*) FROM meals") == before


async def test_the_admin_gets_404_for_an_owner_that_does_not_exist(
    client: TestClient, people: dict[str, Any]
) -> None:
    admin = bearer(people["admin"])
    member = people["client"]["id"]
    for path in (
        "/api/nutrition/meals?client_id={}",
        "/api/progress?client_id={}",
        "/api/nutrition/photos/list?client_id={}",
        "/api/files?owner_id={}",
    ):
        resp = await client.get(path.format(member), headers=admin)
        assert resp.status == 200, path
        await error_of(await client.get(path.format(999999), headers=admin), 404, "not_found")
