"""Correcting what was logged: PATCH/DELETE of meals, progress entries and messages, for every
role, with the notifications they store (read back with `since`) and the photos they delete."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from gymhub.web.appkeys import config_key, db_key
from tests.imaging_samples import make_jpeg
from tests.support import bearer, error_of
from tests.test_files_kit import make_meal, table_count, tree_files, uploaded
from tests.test_ws_support import connect, insert_photo, recv

ANONYMOUS: dict[str, str] = {}


async def feed(client: TestClient, token: str, since: int = 0) -> list[dict[str, Any]]:
    """The caller's stored notifications after `since`, oldest first."""
    resp = await client.get(f"/api/notifications?since={since}&limit=200", headers=bearer(token))
    assert resp.status == 200, await resp.text()
    found: list[dict[str, Any]] = (await resp.json())["notifications"]
    return found


async def last_id(client: TestClient, token: str) -> int:
    seen = await feed(client, token)
    return int(seen[-1]["id"]) if seen else 0


async def refusals(
    client: TestClient, method: str, url: str, people: dict[str, Any], expect: dict[str, int]
) -> None:
    """Each named role gets its status (403 forbidden, 404 not_found, 401 anonymous)."""
    codes = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}
    for who, status in expect.items():
        if who == "anonymous":
            # No bearer token and no session cookie (the logins left theirs in the jar).
            client.session.cookie_jar.clear()
            headers = ANONYMOUS
        else:
            token = people[who] if who == "admin" else people[who]["token"]
            headers = bearer(token)
        # A valid body for either kind, so that only the caller decides the answer.
        body = {"notes": "x", "body": "x"}
        resp = await client.request(method, url, headers=headers, json=body)
        await error_of(resp, status, codes[status])


def small_jpeg(tmp_path: Path, seed: str) -> bytes:
    path = make_jpeg(tmp_path / f"{seed}.jpg", size=(64, 48), orientation=1, gps=False, icc=False)
    # Different bytes per photo: identical ones would be deduplicated into one file.
    return path.read_bytes() + seed.encode()


def about_ids(client: TestClient, kinds: tuple[str, ...]) -> set[int | None]:
    conn = sqlite3.connect(client.app[config_key].db_path)
    try:
        marks = ",".join("?" * len(kinds))
        rows = conn.execute(f"SELECT about_id FROM notifications WHERE type IN ({marks})", kinds)
        return {row[0] for row in rows}
    finally:
        conn.close()


async def test_meal_patch_roles_validation_and_notifications(
    client: TestClient, people: dict[str, Any]
) -> None:
    member, trainer = people["client"], people["trainer"]
    token = bearer(member["token"])
    meal_id = await make_meal(client, member["token"], "Oats")
    url = f"/api/nutrition/meals/{meal_id}"
    before = {who: await last_id(client, people[who]["token"]) for who in ("client", "trainer")}
    expect = {"trainer": 403, "admin": 403, "other_trainer": 404, "stranger": 404}
    await refusals(client, "PATCH", url, people, {**expect, "anonymous": 401})
    resp = await client.patch("/api/nutrition/meals/999999", headers=token, json={})
    await error_of(resp, 404, "not_found")
    bad: dict[str, list[Any]] = {
        "meal_name": [{"meal_name": ""}, {"meal_name": None}, {"meal_name": "x" * 201}],
        "eaten_at": [{"eaten_at": None}, {"eaten_at": "yesterday"}],
        "notes": [{"notes": "n" * 2001}],
    }
    for field, bodies in bad.items():
        for body in bodies:
            resp = await client.patch(url, headers=token, json=body)
            assert field in await error_of(resp, 400, "invalid_request"), body
    resp = await client.patch(url, headers=token, data=b"[1")
    await error_of(resp, 400, "invalid_request")
    # An empty PATCH is the meal unchanged, and tells nobody.
    resp = await client.patch(url, headers=token, json={})
    unchanged = await resp.json()
    assert resp.status == 200 and unchanged["meal_name"] == "Oats"
    assert await last_id(client, member["token"]) == before["client"]

    body = {"meal_name": "Porridge", "eaten_at": "2024-05-01T09:30:00+02:00", "notes": "hot"}
    resp = await client.patch(url, headers=token, json=body)
    meal = await resp.json()
    assert resp.status == 200 and meal["meal_name"] == "Porridge" and meal["notes"] == "hot"
    assert meal["eaten_at"] == "2024-05-01T07:30:00.000Z"
    resp = await client.patch(url, headers=token, json={"notes": None})
    cleared = await resp.json()
    assert cleared["notes"] is None and cleared["meal_name"] == "Porridge"
    resp = await client.get(url, headers=bearer(trainer["token"]))
    assert (await resp.json())["notes"] is None

    for who in ("client", "trainer"):
        got = await feed(client, people[who]["token"], before[who])
        assert [n["type"] for n in got] == ["MEAL_UPDATED", "MEAL_UPDATED"], got
        assert got[0]["data"] == {"meal": meal} and got[1]["data"] == {"meal": cleared}
    assert await feed(client, people["other_trainer"]["token"]) == []
    assert about_ids(client, ("MEAL_UPDATED",)) == {member["id"]}


async def test_meal_delete_takes_its_photos_off_the_disk(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    member, trainer = people["client"], people["trainer"]
    meal_id = await make_meal(client, member["token"], "Salad")
    fields = {"meal_completion_id": str(meal_id)}
    photos = [
        await uploaded(client, member["token"], small_jpeg(tmp_path, str(i)), fields=fields)
        for i in range(2)
    ]
    assert len(tree_files(client.app)) == 2 * 4  # each: the original and three variants
    url = f"/api/nutrition/meals/{meal_id}"
    watching = await connect(client, trainer)
    since = await last_id(client, trainer["token"])
    expect = {"trainer": 403, "other_trainer": 404, "stranger": 404, "anonymous": 401}
    await refusals(client, "DELETE", url, people, expect)
    assert len(tree_files(client.app)) == 8

    resp = await client.delete(url, headers=bearer(member["token"]))
    assert resp.status == 204
    assert tree_files(client.app) == [] and table_count(client.app, "files") == 0
    assert table_count(client.app, "file_variants") == 0
    resp = await client.get(url, headers=bearer(member["token"]))
    await error_of(resp, 404, "not_found")
    resp = await client.delete(url, headers=bearer(member["token"]))
    await error_of(resp, 404, "not_found")

    # Live over the trainer's socket, and stored for a replay with since.
    live = [await recv(watching) for _ in range(3)]
    stored = await feed(client, trainer["token"], since)
    assert [n["type"] for n in stored] == ["FILE_DELETED", "FILE_DELETED", "MEAL_DELETED"]
    assert live == stored
    assert {n["data"]["file_id"] for n in stored[:2]} == {p["id"] for p in photos}
    assert stored[2]["data"] == {"meal_id": meal_id, "client_id": member["id"]}
    own = await feed(client, member["token"])
    assert own[-1]["type"] == "MEAL_DELETED" and own[-1]["data"] == stored[2]["data"]
    assert about_ids(client, ("MEAL_DELETED", "FILE_DELETED")) == {member["id"]}
    await watching.close()

    # The admin may delete a client's meal too.
    other_meal = await make_meal(client, member["token"], "Soup")
    resp = await client.delete(
        f"/api/nutrition/meals/{other_meal}", headers=bearer(people["admin"])
    )
    assert resp.status == 204
    assert table_count(client.app, "meals") == 0


async def test_progress_patch_roles_photos_and_notifications(
    client: TestClient, people: dict[str, Any]
) -> None:
    member, trainer, stranger = people["client"], people["trainer"], people["stranger"]
    token = bearer(member["token"])
    first = await insert_photo(client, member["id"], "progress_photos")
    second = await insert_photo(client, member["id"], "progress_photos")
    theirs = await insert_photo(client, stranger["id"], "progress_photos")
    resp = await client.post(
        "/api/progress", headers=token, json={"weight_kg": 80, "photo_ids": [first]}
    )
    entry = await resp.json()
    url = f"/api/progress/{entry['id']}"
    since = await last_id(client, trainer["token"])
    expect = {"trainer": 403, "admin": 403, "other_trainer": 404, "stranger": 404}
    await refusals(client, "PATCH", url, people, {**expect, "anonymous": 401})
    bad: dict[str, list[Any]] = {
        "weight_kg": [{"weight_kg": 19.9}, {"weight_kg": "80"}],
        "body_fat_pct": [{"body_fat_pct": 76}],
        "recorded_at": [{"recorded_at": None}],
        "notes": [{"notes": "n" * 2001}],
        "photo_ids": [{"photo_ids": [theirs]}, {"photo_ids": ["nope"]}],
    }
    for field, bodies in bad.items():
        for body in bodies:
            resp = await client.patch(url, headers=token, json=body)
            assert field in await error_of(resp, 400, "invalid_request"), body
    # Clearing everything would leave an empty entry, which the create shape refuses too.
    resp = await client.patch(url, headers=token, json={"weight_kg": None, "photo_ids": []})
    assert "weight_kg" in await error_of(resp, 400, "invalid_request")
    resp = await client.get(url, headers=token)
    kept = await resp.json()
    assert kept["weight_kg"] == 80 and [p["id"] for p in kept["photos"]] == [first]
    assert await feed(client, trainer["token"], since) == []

    body = {"weight_kg": None, "body_fat_pct": 20.5, "photo_ids": [second, second]}
    resp = await client.patch(url, headers=token, json=body)
    changed = await resp.json()
    assert resp.status == 200 and changed["weight_kg"] is None
    assert changed["body_fat_pct"] == 20.5 and [p["id"] for p in changed["photos"]] == [second]
    # The replaced photo is unlinked, not deleted: it may go on another entry.
    resp = await client.get(f"/api/files/{first}", headers=token)
    assert resp.status == 200 and (await resp.json())["progress_entry_id"] is None
    resp = await client.patch(url, headers=token, json={})
    assert resp.status == 200 and await resp.json() == changed

    got = await feed(client, trainer["token"], since)
    assert [(n["type"], n["data"]["action"]) for n in got] == [("PROGRESS_UPDATED", "updated")]
    assert got[0]["data"]["entry"]["photos"][0]["original_url"] is None
    assert {**got[0]["data"]["entry"], "photos": []} == {**changed, "photos": []}
    own = await feed(client, member["token"])
    actions = [n["data"]["action"] for n in own if n["type"] == "PROGRESS_UPDATED"]
    assert actions == ["created", "updated"]
    assert own[-1]["data"]["entry"] == changed
    assert about_ids(client, ("PROGRESS_UPDATED",)) == {member["id"]}


async def test_progress_delete_by_role(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    member, trainer = people["client"], people["trainer"]
    token = bearer(member["token"])
    photo = await uploaded(
        client, member["token"], small_jpeg(tmp_path, "p"), category="progress_photos"
    )
    ids = []
    for weight in (80, 81):
        resp = await client.post(
            "/api/progress",
            headers=token,
            json={"weight_kg": weight, "photo_ids": [photo["id"]] if weight == 80 else []},
        )
        ids.append((await resp.json())["id"])
    since = await last_id(client, trainer["token"])
    url = f"/api/progress/{ids[0]}"
    expect = {"trainer": 403, "other_trainer": 404, "stranger": 404, "anonymous": 401}
    await refusals(client, "DELETE", url, people, expect)
    assert len(tree_files(client.app)) == 4
    resp = await client.delete(url, headers=token)
    assert resp.status == 204 and tree_files(client.app) == []
    resp = await client.delete(f"/api/progress/{ids[1]}", headers=bearer(people["admin"]))
    assert resp.status == 204
    resp = await client.get("/api/progress", headers=token)
    assert (await resp.json())["entries"] == []
    got = await feed(client, trainer["token"], since)
    assert [n["type"] for n in got] == ["FILE_DELETED", "PROGRESS_DELETED", "PROGRESS_DELETED"]
    assert got[0]["data"]["deleted_by"] == member["id"]
    assert [n["data"] for n in got[1:]] == [
        {"entry_id": ids[0], "client_id": member["id"]},
        {"entry_id": ids[1], "client_id": member["id"]},
    ]
    assert about_ids(client, ("PROGRESS_DELETED",)) == {member["id"]}


async def age_message(client: TestClient, message_id: int, created_at: str) -> None:
    def put(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE messages SET created_at = ? WHERE id = ?", (created_at, message_id))

    await client.app[db_key].write(put)


async def test_message_edit_and_delete(client: TestClient, people: dict[str, Any]) -> None:
    member, trainer = people["client"], people["trainer"]
    token = bearer(member["token"])
    resp = await client.post(
        "/api/messages", headers=token, json={"recipient_id": trainer["id"], "body": "secret 1"}
    )
    sent = await resp.json()
    assert sent["edited_at"] is None and sent["deleted_at"] is None
    url = f"/api/messages/{sent['id']}"
    coach = await connect(client, trainer)
    since = await last_id(client, trainer["token"])
    expect = {"trainer": 403, "admin": 404, "other_trainer": 404, "stranger": 404}
    for method in ("PATCH", "DELETE"):
        await refusals(client, method, url, people, {**expect, "anonymous": 401})
    for body in ({}, {"body": ""}, {"body": "x" * 5001}, {"body": None}):
        resp = await client.patch(url, headers=token, json=body)
        assert "body" in await error_of(resp, 400, "invalid_request"), body

    resp = await client.patch(url, headers=token, json={"body": "hello"})
    edited = await resp.json()
    assert resp.status == 200 and edited["body"] == "hello" and edited["edited_at"]
    frame = await recv(coach)
    assert frame["type"] == "MESSAGE_UPDATED" and frame["data"] == {"message": edited}
    # The stored MESSAGE no longer carries the edited-away text, for either side.
    for who in (member, trainer):
        stored = [n for n in await feed(client, who["token"]) if n["type"] == "MESSAGE"]
        assert stored[0]["data"]["message"] == edited

    resp = await client.delete(url, headers=token)
    assert resp.status == 204
    frame = await recv(coach)
    gone = frame["data"]["message"]
    assert frame["type"] == "MESSAGE_UPDATED" and gone["body"] is None and gone["deleted_at"]
    for who in (member, trainer):
        resp = await client.get("/api/messages", headers=bearer(who["token"]))
        assert (await resp.json())["messages"] == [gone]
        replay = [n for n in await feed(client, who["token"]) if "message" in n["data"]]
        assert [n["data"]["message"] for n in replay] == [gone] * 3
    assert "secret 1" not in str(await feed(client, trainer["token"]))
    # Deleting again changes nothing and tells nobody; a deleted message cannot be edited.
    resp = await client.delete(url, headers=token)
    assert resp.status == 204
    resp = await client.patch(url, headers=token, json={"body": "back"})
    await error_of(resp, 403, "forbidden")
    assert len(await feed(client, trainer["token"], since)) == 2
    await coach.close()

    # The edit window: 24 hours from sending.
    resp = await client.post(
        "/api/messages", headers=token, json={"recipient_id": trainer["id"], "body": "old"}
    )
    old = await resp.json()
    await age_message(client, old["id"], "2020-01-01T00:00:00.000Z")
    resp = await client.patch(f"/api/messages/{old['id']}", headers=token, json={"body": "new"})
    assert "24 hours" in await error_of(resp, 403, "forbidden")
    resp = await client.delete(f"/api/messages/{old['id']}", headers=token)
    assert resp.status == 204
    assert about_ids(client, ("MESSAGE_UPDATED",)) == {None}


async def test_an_unassigned_trainer_no_longer_sees_or_hears(
    client: TestClient, people: dict[str, Any]
) -> None:
    member, trainer, admin = people["client"], people["trainer"], people["admin"]
    meal_id = await make_meal(client, member["token"])
    resp = await client.delete(
        f"/api/trainers/{trainer['id']}/clients/{member['id']}", headers=bearer(admin)
    )
    assert resp.status == 204
    resp = await client.patch(
        f"/api/nutrition/meals/{meal_id}", headers=bearer(trainer["token"]), json={}
    )
    await error_of(resp, 404, "not_found")
    since = await last_id(client, trainer["token"])
    resp = await client.delete(f"/api/nutrition/meals/{meal_id}", headers=bearer(member["token"]))
    assert resp.status == 204
    assert await feed(client, trainer["token"], since) == []
