"""Privacy the client controls: private progress photos, the access log, unassignment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from tests import imaging_samples as samples
from tests.support import bearer, error_of
from tests.test_files_kit import upload, uploaded
from tests.test_ws_support import connect, recv


def jpeg(tmp_path: Path, name: str, color: int) -> bytes:
    image = samples.photo_like((320, 240))
    image.putpixel((0, 0), (color, color, color))
    return samples.make_jpeg(tmp_path / name, image=image, orientation=1).read_bytes()


async def notes_of(client: TestClient, token: str) -> list[dict[str, Any]]:
    resp = await client.get("/api/notifications?limit=200", headers=bearer(token))
    assert resp.status == 200
    found: list[dict[str, Any]] = (await resp.json())["notifications"]
    return found


async def replay(client: TestClient, user: dict[str, Any]) -> list[dict[str, Any]]:
    """Every stored notification the user's socket replays from the start."""
    ws = await connect(client, user, since=0)
    frames = []
    try:
        while True:
            frame = await recv(ws, timeout=0.5)
            frames.append(frame)
    except TimeoutError:
        pass
    await ws.close()
    return frames


def names(paths: list[dict[str, Any]], file_id: str) -> bool:
    return file_id in json.dumps(paths)


async def test_private_photo_is_the_owners_alone(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    member, trainer = people["client"], people["trainer"]
    token = member["token"]
    private = await uploaded(
        client,
        token,
        jpeg(tmp_path, "a.jpg", 1),
        category="progress_photos",
        fields={"visibility": "private"},
    )
    shared = await uploaded(client, token, jpeg(tmp_path, "b.jpg", 2), category="progress_photos")
    meal = await uploaded(client, token, jpeg(tmp_path, "c.jpg", 3))
    assert private["visibility"] == "private" and shared["visibility"] == "trainers"
    assert meal["visibility"] is None
    resp = await client.post(
        "/api/progress",
        headers=bearer(token),
        json={"weight_kg": 70, "photo_ids": [private["id"], shared["id"]]},
    )
    assert resp.status == 201 and len((await resp.json())["photos"]) == 2
    pid = private["id"]
    urls = [private["original_url"]] + [v["url"] for v in private["variants"].values()]
    for url in urls:  # the trainer's page would have these in its cache first
        assert (await client.get(url, headers=bearer(token))).status == 200
    others = {"trainer": trainer["token"], "stranger": people["stranger"]["token"]}
    others["admin"] = people["admin"]
    for who, other in others.items():
        h = bearer(other)
        await error_of(await client.get(f"/api/files/{pid}", headers=h), 404, "not_found")
        listed = await client.get(f"/api/files?owner_id={member['id']}", headers=h)
        assert who == "stranger" or pid not in await listed.text(), who
        for url in urls:
            await error_of(await client.get(url, headers=h), 404, "not_found")
            ranged = await client.get(url, headers={**h, "Range": "bytes=0-9"})
            await error_of(ranged, 404, "not_found")
            assert (await client.head(url, headers=h)).status == 404
        patch = await client.patch(f"/api/files/{pid}", headers=h, json={"visibility": "trainers"})
        await error_of(patch, 404, "not_found")
        entries = await client.get(f"/api/progress?client_id={member['id']}", headers=h)
        assert pid not in await entries.text()
    for user in (trainer, people["admin"]):
        seen = await notes_of(client, user if isinstance(user, str) else user["token"])
        assert not names(seen, pid)
    trainer_frames = await replay(client, trainer)
    assert not names(trainer_frames, pid) and names(trainer_frames, shared["id"])
    # The owner sees all of it.
    h = bearer(token)
    assert (await client.get(f"/api/files/{pid}", headers=h)).status == 200
    assert pid in await (await client.get("/api/files", headers=h)).text()
    for url in urls:
        assert (await client.head(url, headers=h)).status == 200
        assert (await client.get(url, headers={**h, "Range": "bytes=0-9"})).status == 206
    assert names(await notes_of(client, token), pid) and names(await replay(client, member), pid)

    # PATCH: owner only (the trainer sees the shared photo: 403), progress photos only (400).
    body = {"visibility": "private"}
    sid = shared["id"]
    patch = await client.patch(f"/api/files/{sid}", headers=bearer(trainer["token"]), json=body)
    await error_of(patch, 403, "forbidden")
    patch = await client.patch(f"/api/files/{meal['id']}", headers=h, json=body)
    await error_of(patch, 400, "invalid_request")
    patch = await client.patch(f"/api/files/{sid}", headers=h, json={"visibility": "nobody"})
    await error_of(patch, 400, "invalid_request")
    thumb = shared["variants"]["thumbnail"]["url"]
    assert (await client.get(thumb, headers=bearer(trainer["token"]))).status == 200
    patch = await client.patch(f"/api/files/{sid}", headers=h, json=body)
    assert patch.status == 200 and (await patch.json())["visibility"] == "private"
    # At once: the cached thumbnail, the list, the notifications and the replay.
    await error_of(await client.get(thumb, headers=bearer(trainer["token"])), 404, "not_found")
    assert not names(await notes_of(client, trainer["token"]), sid)
    frames = await replay(client, trainer)
    assert not names(frames, sid)
    progress = [f for f in frames if f["type"] == "PROGRESS_UPDATED"]
    assert progress and progress[-1]["data"]["entry"]["photos"] == []
    assert names(await notes_of(client, token), sid)

    # The upload field: progress photos only, one of the two values.
    bad = await upload(client, token, jpeg(tmp_path, "d.jpg", 4), fields={"visibility": "private"})
    await error_of(bad, 400, "invalid_request")
    bad = await upload(
        client,
        token,
        jpeg(tmp_path, "e.jpg", 5),
        category="progress_photos",
        fields={"visibility": "everyone"},
    )
    await error_of(bad, 400, "invalid_request")


async def test_access_log_counts_views_by_others(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    member, trainer = people["client"], people["trainer"]
    photo = await uploaded(client, member["token"], jpeg(tmp_path, "a.jpg", 1))
    pdf = samples.make_pdf(tmp_path / "d.pdf").read_bytes()
    doc = await uploaded(client, member["token"], pdf, category="documents", filename="d.pdf")
    t = bearer(trainer["token"])
    thumb, medium = photo["variants"]["thumbnail"]["url"], photo["variants"]["medium"]["url"]
    first = await client.get(thumb, headers=t)
    assert first.status == 200
    etag = first.headers["ETag"]
    assert (await client.get(thumb, headers={**t, "If-None-Match": etag})).status == 304
    assert (await client.get(medium, headers={**t, "Range": "bytes=0-9"})).status == 206
    assert (await client.head(thumb, headers=t)).status == 200  # a HEAD is no view
    assert (await client.get(doc["original_url"], headers=t)).status == 200
    assert (await client.get(thumb, headers=bearer(member["token"]))).status == 200  # own

    resp = await client.get("/api/me/access-log", headers=bearer(member["token"]))
    assert resp.status == 200
    log = await resp.json()
    entries = log["entries"]
    assert log["next_before"] is None and len(entries) == 2
    assert entries[0]["id"] > entries[1]["id"]
    counts = {e["file_id"]: e["count"] for e in entries}
    assert counts == {photo["id"]: 3, doc["id"]: 1}
    for e in entries:
        assert e["viewer"]["id"] == trainer["id"] and e["viewer"]["username"] == trainer["username"]
        assert e["first_at"] <= e["last_at"] and e["first_at"].startswith(e["day"])
        assert e["category"] in ("meal_photos", "documents")
    page = await (
        await client.get("/api/me/access-log?limit=1", headers=bearer(member["token"]))
    ).json()
    assert page["entries"] == entries[:1] and page["next_before"] == entries[0]["id"]
    rest = await client.get(
        f"/api/me/access-log?before={page['next_before']}", headers=bearer(member["token"])
    )
    assert (await rest.json())["entries"] == entries[1:]
    # More views of the same file on the same day add to the same row.
    assert (await client.get(thumb, headers=t)).status == 200
    again = await (await client.get("/api/me/access-log", headers=bearer(member["token"]))).json()
    assert {e["file_id"]: e["count"] for e in again["entries"]}[photo["id"]] == 4

    path = f"/api/users/{member['id']}/access-log"
    admin_view = await client.get(path, headers=bearer(people["admin"]))
    assert (await admin_view.json())["entries"] == again["entries"]
    await error_of(await client.get(path, headers=t), 403, "forbidden")
    stranger = bearer(people["stranger"]["token"])
    await error_of(await client.get(path, headers=stranger), 404, "not_found")
    mine = await (await client.get("/api/me/access-log", headers=t)).json()
    assert mine == {"entries": [], "next_before": None}
    client.session.cookie_jar.clear()
    await error_of(await client.get("/api/me/access-log"), 401, "unauthenticated")


async def test_unassignment_takes_the_clients_notifications_back(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    member, trainer, admin = people["client"], people["trainer"], people["admin"]
    h = bearer(member["token"])
    assert (await client.post("/api/nutrition/meals", headers=h, json={"meal_name": "Oats"})).ok
    await uploaded(client, member["token"], jpeg(tmp_path, "a.jpg", 1), category="progress_photos")
    assert (await client.post("/api/progress", headers=h, json={"weight_kg": 70})).ok
    said = await client.post(
        "/api/messages", headers=h, json={"recipient_id": trainer["id"], "body": "hi"}
    )
    assert said.status == 201
    kinds = {n["type"] for n in await notes_of(client, trainer["token"])}
    assert kinds == {"MEAL_COMPLETED", "FILE_UPLOADED", "PROGRESS_UPDATED", "MESSAGE"}
    ws = await connect(client, trainer)
    resp = await client.delete(
        f"/api/trainers/{trainer['id']}/clients/{member['id']}", headers=bearer(admin)
    )
    assert resp.status == 204
    live = await recv(ws)
    assert live["type"] == "SYSTEM" and live["data"]["event"] == "unassigned"
    assert live["data"]["client_id"] == member["id"] and live["data"]["message"]
    await ws.close()
    left = await notes_of(client, trainer["token"])
    assert [n["type"] for n in left] == ["MESSAGE", "SYSTEM"]
    assert [n["type"] for n in await replay(client, trainer)] == ["MESSAGE", "SYSTEM"]
    thread = await client.get(
        f"/api/messages?with={member['id']}", headers=bearer(trainer["token"])
    )
    assert thread.status == 200 and len((await thread.json())["messages"]) == 1
    mine = await notes_of(client, member["token"])  # the client's own stay, and they are told
    assert len(mine) == 5 and mine[-1]["type"] == "SYSTEM"
    assert mine[-1]["data"]["event"] == "unassigned"
    assert mine[-1]["data"]["trainer_id"] == trainer["id"]
    # Unassigning again is idempotent and tells nobody twice.
    resp = await client.delete(
        f"/api/trainers/{trainer['id']}/clients/{member['id']}", headers=bearer(admin)
    )
    assert resp.status == 204 and len(await notes_of(client, trainer["token"])) == 2
    assert len(await notes_of(client, member["token"])) == 5
