"""Events reach the right sockets with the documented data; the stored log and its REST API."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from gymhub.config import Config
from gymhub.web.appkeys import db_key
from gymhub.web.hub_lifecycle import prune
from tests.support import bearer, error_of
from tests.test_ws_support import connect, insert_photo, marker, next_is_marker, recv


async def test_live_feed_follows_assignments(client: TestClient, people: dict[str, Any]) -> None:
    admin, member = people["admin"], people["client"]
    trainer, other = people["trainer"], people["other_trainer"]
    own, coach, outsider = (
        await connect(client, member),
        await connect(client, trainer),
        await connect(client, other),
    )
    token = bearer(member["token"])

    resp = await client.post(
        "/api/nutrition/meals",
        headers=token,
        json={"meal_name": "Oats", "eaten_at": "2024-05-01T09:30:00+02:00", "notes": "with fruit"},
    )
    meal = await resp.json()
    assert resp.status == 201 and meal["eaten_at"] == "2024-05-01T07:30:00.000Z"
    for ws in (own, coach):
        frame = await recv(ws)
        assert frame["type"] == "MEAL_COMPLETED" and frame["data"] == {"meal": meal}
        assert set(frame) == {"id", "type", "created_at", "read", "data"} and not frame["read"]

    photo = await insert_photo(client, member["id"], "progress_photos")
    resp = await client.post(
        "/api/progress", headers=token, json={"weight_kg": 80.5, "photo_ids": [photo]}
    )
    entry = await resp.json()
    assert resp.status == 201 and entry["photos"][0]["original_url"]
    frame = await recv(own)
    assert frame["type"] == "PROGRESS_UPDATED" and frame["data"] == {
        "entry": entry,
        "action": "created",
    }
    frame = await recv(coach)
    seen = frame["data"]["entry"]
    # The trainer's copy: the image original (GPS and all) stays with its owner.
    assert seen["photos"][0]["original_url"] is None and seen["photos"][0]["variants"]
    assert {**seen, "photos": []} == {**entry, "photos": []}

    resp = await client.post(
        "/api/messages", headers=token, json={"recipient_id": trainer["id"], "body": "Hi coach"}
    )
    message = await resp.json()
    assert resp.status == 201
    for ws in (own, coach):
        frame = await recv(ws)
        assert frame["type"] == "MESSAGE" and frame["data"] == {"message": message}

    # The unassigned trainer got none of it: the next frame is this marker.
    await marker(client, admin, other["id"], "nothing before me")
    await next_is_marker(outsider, "nothing before me")

    resp = await client.delete(
        f"/api/trainers/{trainer['id']}/clients/{member['id']}", headers=bearer(admin)
    )
    assert resp.status == 204
    told_client = await recv(own)  # the client's page learns it too, and drops the trainer
    assert told_client["type"] == "SYSTEM" and told_client["data"]["trainer_id"] == trainer["id"]
    resp = await client.post("/api/nutrition/meals", headers=token, json={"meal_name": "Soup"})
    assert resp.status == 201
    assert (await recv(own))["data"]["meal"]["meal_name"] == "Soup"
    # The trainer's page hears of the unassignment (and drops the client), then nothing more.
    told = (await recv(coach))["data"]
    assert told["event"] == "unassigned" and told["client_id"] == member["id"]
    await marker(client, admin, trainer["id"], "after unassignment")
    await next_is_marker(coach, "after unassignment")


async def test_rest_list_and_read(client: TestClient, people: dict[str, Any]) -> None:
    admin, member = people["admin"], people["client"]
    ids = [
        (await marker(client, admin, member["id"], f"n{i}"))["notification"]["id"] for i in range(5)
    ]
    token = bearer(member["token"])
    resp = await client.get("/api/notifications", headers=token)
    body = await resp.json()
    assert [n["id"] for n in body["notifications"]] == ids and body["unread"] == 5
    assert body["notifications"][0]["data"] == {"message": "n0"}
    resp = await client.get(f"/api/notifications?since={ids[1]}&limit=2", headers=token)
    assert [n["id"] for n in (await resp.json())["notifications"]] == ids[2:4]
    resp = await client.post("/api/notifications/read", headers=token, json={"up_to": ids[2]})
    assert resp.status == 204
    resp = await client.get("/api/notifications", headers=token)
    body = await resp.json()
    assert (
        body["unread"] == 2
        and [n["read"] for n in body["notifications"]] == [True] * 3 + [False] * 2
    )
    # Other users' notifications are untouched and invisible.
    resp = await client.get("/api/notifications", headers=bearer(people["trainer"]["token"]))
    assert await resp.json() == {"notifications": [], "unread": 0}
    for bad in ({"up_to": -1}, {"up_to": "x"}, {}):
        resp = await client.post("/api/notifications/read", headers=token, json=bad)
        assert "up_to" in await error_of(resp, 400, "invalid_request")
    for query in ("since=abc", "since=-3", "limit=0", "limit=201"):
        resp = await client.get(f"/api/notifications?{query}", headers=token)
        await error_of(resp, 400, "invalid_request")
    client.session.cookie_jar.clear()
    resp = await client.get("/api/notifications")
    await error_of(resp, 401, "unauthenticated")
    # The welcome counts them.
    ws = await client.ws_connect(f"/api/ws/ws/{member['id']}?token={member['token']}")
    assert await recv(ws) == {
        "type": "welcome",
        "user_id": member["id"],
        "unread": 2,
        "last_id": ids[-1],
    }
    await ws.close()


async def test_retention(client: TestClient, people: dict[str, Any], config: Config) -> None:
    admin, member, trainer = people["admin"], people["client"], people["trainer"]
    for i in range(6):
        await marker(client, admin, member["id"], f"m{i}")
    await marker(client, admin, trainer["id"], "t")
    db = client.app[db_key]
    await db.write(
        lambda c: c.execute(
            "UPDATE notifications SET created_at = '2000-01-01T00:00:00.000Z'"
            " WHERE id = (SELECT min(id) FROM notifications)"
        )
    )
    small = Config(**{**config.__dict__, "notification_max_per_user": 3})
    assert await prune(db, small) == 1 + 2
    resp = await client.get("/api/notifications", headers=bearer(member["token"]))
    assert [n["data"]["message"] for n in (await resp.json())["notifications"]] == [
        "m3",
        "m4",
        "m5",
    ]
    resp = await client.get("/api/notifications", headers=bearer(trainer["token"]))
    assert len((await resp.json())["notifications"]) == 1
