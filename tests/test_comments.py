"""Comments on meals, progress entries and photos: who may write, read and delete them, the
COMMENT notifications (replayable with since), and comment_count on every shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from gymhub.web.appkeys import db_key
from tests import imaging_samples as samples
from tests.support import bearer, error_of
from tests.test_files_kit import make_meal, table_count, uploaded
from tests.test_ws_support import insert_photo


def same_origin(client: TestClient) -> dict[str, str]:
    """An anonymous unsafe request: no login's session cookie, an Origin past the CSRF check."""
    client.session.cookie_jar.clear()
    return {"Origin": str(client.make_url("")).rstrip("/")}


async def comment(client: TestClient, token: str, target: str, target_id: Any, body: str) -> Any:
    return await client.post(
        "/api/comments",
        headers=bearer(token),
        json={"target": target, "target_id": target_id, "body": body},
    )


async def commented(client: TestClient, token: str, target: str, target_id: Any) -> list[Any]:
    resp = await client.get(
        f"/api/comments?target={target}&target_id={target_id}", headers=bearer(token)
    )
    assert resp.status == 200, await resp.text()
    return list((await resp.json())["comments"])


async def comment_notes(client: TestClient, token: str, since: int = 0) -> list[Any]:
    resp = await client.get(f"/api/notifications?since={since}", headers=bearer(token))
    notes = (await resp.json())["notifications"]
    return [n["data"]["comment"] for n in notes if n["type"] == "COMMENT"]


async def targets(client: TestClient, people: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """A meal with a photo, a progress entry and a document of the client."""
    token = people["client"]["token"]
    meal = await make_meal(client, token)
    data = samples.make_png(tmp_path / "m.png", size=(20, 20)).read_bytes()
    photo = await uploaded(client, token, data, fields={"meal_completion_id": str(meal)})
    resp = await client.post("/api/progress", headers=bearer(token), json={"weight_kg": 80})
    entry = (await resp.json())["id"]
    document = await insert_photo(client, people["client"]["id"], "documents")
    return {"meal": meal, "progress": entry, "file": photo["id"], "document": document}


async def test_who_may_comment_and_read(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    ids = await targets(client, people, tmp_path)
    member, trainer = people["client"]["token"], people["trainer"]["token"]
    admin = people["admin"]
    for target in ("meal", "progress", "file"):
        made = []
        for who in (member, trainer, admin):
            resp = await comment(client, who, target, ids[target], f"{target} ok")
            assert resp.status == 201, await resp.text()
            made.append(await resp.json())
        assert [c["target_id"] for c in made] == [ids[target]] * 3
        assert {c["target"] for c in made} == {target}
        authors = [c["author_id"] for c in made]
        assert authors == [people["client"]["id"], people["trainer"]["id"], 1]
        for who in (people["other_trainer"]["token"], people["stranger"]["token"]):
            resp = await comment(client, who, target, ids[target], "nosy")
            await error_of(resp, 404, "not_found")
            resp = await client.get(
                f"/api/comments?target={target}&target_id={ids[target]}", headers=bearer(who)
            )
            await error_of(resp, 404, "not_found")
        for who in (member, trainer, admin):
            assert await commented(client, who, target, ids[target]) == made
    resp = await client.post(
        "/api/comments",
        json={"target": "meal", "target_id": 1, "body": "x"},
        headers=same_origin(client),
    )
    await error_of(resp, 401, "unauthenticated")
    resp = await client.get(f"/api/comments?target=meal&target_id={ids['meal']}")
    await error_of(resp, 401, "unauthenticated")
    bad = [
        ({"target": "user", "target_id": 1, "body": "x"}, "target"),
        ({"target": "meal", "target_id": ids["file"], "body": "x"}, "target_id"),
        ({"target": "file", "target_id": ids["meal"], "body": "x"}, "target_id"),
        ({"target": "meal", "target_id": 0, "body": "x"}, "target_id"),
        ({"target": "meal", "target_id": ids["meal"], "body": ""}, "body"),
        ({"target": "meal", "target_id": ids["meal"], "body": "x" * 2001}, "body"),
        ({"target": "meal", "target_id": ids["meal"], "body": "a\x00b"}, "body"),
        ({"target": "meal", "body": "x"}, "target_id"),
        ({"target": "file", "target_id": ids["document"], "body": "x"}, "target_id"),
    ]
    for body, field in bad:
        resp = await client.post("/api/comments", headers=bearer(member), json=body)
        assert field in await error_of(resp, 400, "invalid_request"), body
    # Somebody else's document is not even there for a stranger.
    resp = await comment(client, people["stranger"]["token"], "file", ids["document"], "x")
    await error_of(resp, 404, "not_found")
    for target, target_id in (("meal", 999999), ("progress", 999999), ("file", "0" * 32)):
        resp = await comment(client, member, target, target_id, "x")
        await error_of(resp, 404, "not_found")
    for query in ("target=meal", "target_id=1", "target=x&target_id=1", "target=meal&target_id=ab"):
        resp = await client.get(f"/api/comments?{query}", headers=bearer(member))
        await error_of(resp, 400, "invalid_request")
    resp = await client.get(
        f"/api/comments?target=file&target_id={ids['meal']}", headers=bearer(member)
    )
    await error_of(resp, 400, "invalid_request")
    assert table_count(client.app, "comments") == 9


async def test_comment_counts_notifications_and_deletes(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    ids = await targets(client, people, tmp_path)
    member, trainer = people["client"]["token"], people["trainer"]["token"]
    admin, other = people["admin"], people["other_trainer"]["token"]
    before = {who: await last_note(client, who) for who in (member, trainer, admin, other)}
    mine = await (await comment(client, member, "meal", ids["meal"], "was it too much?")).json()
    theirs = await (await comment(client, trainer, "meal", ids["meal"], "fine!")).json()
    on_photo = await (await comment(client, trainer, "file", ids["file"], "nice plate")).json()
    on_entry = await (await comment(client, admin, "progress", ids["progress"], "hi")).json()
    # The client and the trainers see every comment; the author gets its own (like MESSAGE);
    # the admin only what it wrote; the unrelated trainer nothing.
    everything = [mine, theirs, on_photo, on_entry]
    assert await comment_notes(client, member, before[member]) == everything
    assert await comment_notes(client, trainer, before[trainer]) == everything
    assert await comment_notes(client, admin, before[admin]) == [on_entry]
    assert await comment_notes(client, other, before[other]) == []
    # Replay with since starts after the given id.
    resp = await client.get(f"/api/notifications?since={before[trainer]}", headers=bearer(trainer))
    second = (await resp.json())["notifications"][1]["id"]
    assert await comment_notes(client, trainer, second) == [on_photo, on_entry]
    about = await client.app[db_key].fetchone(
        "SELECT count(*), min(about_id), max(about_id) FROM notifications WHERE type = 'COMMENT'"
    )
    assert about is not None and tuple(about) == (9, people["client"]["id"], people["client"]["id"])
    # comment_count on one record, on lists, and on a photo inside its meal.
    resp = await client.get(f"/api/nutrition/meals/{ids['meal']}", headers=bearer(trainer))
    meal = await resp.json()
    assert meal["comment_count"] == 2 and meal["photos"][0]["comment_count"] == 1
    resp = await client.get("/api/nutrition/meals", headers=bearer(member))
    assert [m["comment_count"] for m in (await resp.json())["meals"]] == [2]
    resp = await client.get("/api/progress", headers=bearer(member))
    assert [e["comment_count"] for e in (await resp.json())["entries"]] == [1]
    resp = await client.get(f"/api/files/{ids['document']}", headers=bearer(member))
    assert (await resp.json())["comment_count"] is None
    # Deleting: the author or an admin; others who see it 403, the rest 404.
    resp = await client.delete(f"/api/comments/{mine['id']}", headers=bearer(trainer))
    await error_of(resp, 403, "forbidden")
    resp = await client.delete(f"/api/comments/{theirs['id']}", headers=bearer(member))
    await error_of(resp, 403, "forbidden")
    for who in (other, people["stranger"]["token"]):
        resp = await client.delete(f"/api/comments/{mine['id']}", headers=bearer(who))
        await error_of(resp, 404, "not_found")
    resp = await client.delete(f"/api/comments/{mine['id']}", headers=same_origin(client))
    await error_of(resp, 401, "unauthenticated")
    resp = await client.delete(f"/api/comments/{mine['id']}", headers=bearer(member))
    assert resp.status == 204
    resp = await client.delete(f"/api/comments/{theirs['id']}", headers=bearer(admin))
    assert resp.status == 204
    resp = await client.delete(f"/api/comments/{theirs['id']}", headers=bearer(admin))
    await error_of(resp, 404, "not_found")
    assert await commented(client, member, "meal", ids["meal"]) == []
    # A deleted target takes its comments along, whatever deleted it (migration 0007).
    resp = await client.delete(f"/api/files/{ids['file']}", headers=bearer(member))
    assert resp.status == 204, await resp.text()
    assert await commented(client, member, "progress", ids["progress"]) == [on_entry]
    assert table_count(client.app, "comments") == 1
    resp = await client.delete(f"/api/progress/{ids['progress']}", headers=bearer(member))
    assert resp.status == 204, await resp.text()
    assert table_count(client.app, "comments") == 0


async def last_note(client: TestClient, token: str) -> int:
    resp = await client.get("/api/notifications?since=0&limit=200", headers=bearer(token))
    notes = (await resp.json())["notifications"]
    return int(notes[-1]["id"]) if notes else 0
