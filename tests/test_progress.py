"""Progress entries: ranges, photo linking in one transaction, visibility."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from gymhub.web.appkeys import db_key
from tests.support import bearer, error_of
from tests.test_ws_support import insert_photo


async def counts(client: TestClient) -> tuple[int, int, int]:
    db = client.app[db_key]
    entries = await db.fetchone("SELECT count(*) FROM progress_entries")
    linked = await db.fetchone("SELECT count(*) FROM files WHERE progress_entry_id IS NOT NULL")
    notes = await db.fetchone("SELECT count(*) FROM notifications")
    assert entries and linked and notes
    return entries[0], linked[0], notes[0]


async def test_progress_validation_is_all_or_nothing(
    client: TestClient, people: dict[str, Any]
) -> None:
    member, stranger = people["client"], people["stranger"]
    token = bearer(member["token"])
    mine = await insert_photo(client, member["id"], "progress_photos")
    meal_photo = await insert_photo(client, member["id"], "meal_photos")
    theirs = await insert_photo(client, stranger["id"], "progress_photos")
    bad: dict[str, list[dict[str, Any]]] = {
        "weight_kg": [{"weight_kg": 19.9}, {"weight_kg": 400.1}, {"weight_kg": "80"}],
        "body_fat_pct": [{"body_fat_pct": 0.5}, {"body_fat_pct": 76}],
        "notes": [{"notes": "n" * 2001}],
        "photo_ids": [
            {"photo_ids": ["../../etc/passwd"]},
            {"photo_ids": [mine, theirs]},
            {"photo_ids": [mine, meal_photo]},
            {"photo_ids": [mine, "0" * 32]},
            {"weight_kg": 70, "photo_ids": "abc"},
        ],
        "recorded_at": [{"weight_kg": 70, "recorded_at": "2024-13-01T00:00:00Z"}],
    }
    for field, bodies in bad.items():
        for body in bodies:
            resp = await client.post("/api/progress", headers=token, json=body)
            assert field in await error_of(resp, 400, "invalid_request"), body
    resp = await client.post("/api/progress", headers=token, json={})
    await error_of(resp, 400, "invalid_request")
    assert await counts(client) == (0, 0, 0)
    resp = await client.post(
        "/api/progress",
        headers=token,
        json={"weight_kg": 20, "body_fat_pct": 75, "photo_ids": [mine, mine]},
    )
    entry = await resp.json()
    assert resp.status == 201 and [p["id"] for p in entry["photos"]] == [mine]
    assert entry["photos"][0]["progress_entry_id"] == entry["id"]
    # The client and the assigned trainer were notified in the same transaction.
    assert await counts(client) == (1, 1, 2)
    # A photo already on an entry stays there.
    resp = await client.post("/api/progress", headers=token, json={"photo_ids": [mine]})
    assert "photo_ids" in await error_of(resp, 400, "invalid_request")
    for who in (people["trainer"]["token"], people["admin"]):
        resp = await client.post("/api/progress", headers=bearer(who), json={"weight_kg": 80})
        await error_of(resp, 403, "forbidden")


async def test_progress_visibility(client: TestClient, people: dict[str, Any]) -> None:
    member = people["client"]
    token = bearer(member["token"])
    ids = []
    for kg in (80, 79.5, 79):
        resp = await client.post(
            "/api/progress",
            headers=token,
            json={"weight_kg": kg, "notes": "ok", "recorded_at": "2024-03-01T06:00:00+01:00"},
        )
        body = await resp.json()
        assert body["recorded_at"] == "2024-03-01T05:00:00.000Z"
        ids.append(body["id"])
    resp = await client.get(
        f"/api/progress?client_id={member['id']}&limit=2",
        headers=bearer(people["trainer"]["token"]),
    )
    assert [e["weight_kg"] for e in (await resp.json())["entries"]] == [79, 79.5]
    resp = await client.get(f"/api/progress?before={ids[1]}", headers=token)
    assert [e["id"] for e in (await resp.json())["entries"]] == [ids[0]]
    resp = await client.get(f"/api/progress/{ids[0]}", headers=token)
    assert (await resp.json())["weight_kg"] == 80
    for who in ("other_trainer", "stranger"):
        other = bearer(people[who]["token"])
        resp = await client.get(f"/api/progress?client_id={member['id']}", headers=other)
        await error_of(resp, 404, "not_found")
        resp = await client.get(f"/api/progress/{ids[0]}", headers=other)
        await error_of(resp, 404, "not_found")


async def test_recorded_at_out_of_range_is_400_and_stores_nothing(
    client: TestClient, people: dict[str, Any]
) -> None:
    token = bearer(people["client"]["token"])
    before = await counts(client)
    for edge in ("0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-05:00"):
        resp = await client.post(
            "/api/progress", headers=token, json={"weight_kg": 80, "recorded_at": edge}
        )
        assert (await error_of(resp, 400, "invalid_request")).startswith("recorded_at: "), edge
    assert await counts(client) == before
    resp = await client.post(
        "/api/progress",
        headers=token,
        json={"weight_kg": 80, "recorded_at": "0001-01-01T00:30:00Z"},
    )
    assert resp.status == 201 and (await resp.json())["recorded_at"] == "0001-01-01T00:30:00.000Z"
