"""A user's export (round trip, nothing of anyone else) and erasure (no trace), each while
another user uploads."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from gymhub import cli
from gymhub.ops.check import check
from gymhub.web.appkeys import config_key, db_key
from tests import imaging_samples as samples
from tests.support import PASSWORD, bearer, error_of
from tests.test_files_kit import tree_files, upload, uploaded
from tests.test_privacy import jpeg
from tests.test_ws_support import closed_with, connect

USER_KEYS = {"owner_id", "uploaded_by", "deleted_by", "client_id", "sender_id"}
USER_KEYS |= {"recipient_id", "author_id", "user_id", "viewer_id"}


async def busy_stranger(client: TestClient, stranger: dict[str, Any], tmp_path: Path) -> list[str]:
    """Another client uploading photos all along (their files must not leak in or be hurt)."""
    ids = []
    for n in range(4):
        f = await uploaded(client, stranger["token"], jpeg(tmp_path, f"s{n}.jpg", 100 + n))
        ids.append(f["id"])
    return ids


async def fill(client: TestClient, people: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """A client with a meal and photo, a progress entry with a private photo, a document their
    trainer uploaded, messages both ways, a comment, and an access log entry."""
    member, trainer = people["client"], people["trainer"]
    h, t = bearer(member["token"]), bearer(trainer["token"])
    meal = await (
        await client.post("/api/nutrition/meals", headers=h, json={"meal_name": "Oats"})
    ).json()
    photo = await uploaded(client, member["token"], jpeg(tmp_path, "m.jpg", 1))
    private = await uploaded(
        client,
        member["token"],
        jpeg(tmp_path, "p.jpg", 2),
        category="progress_photos",
        fields={"visibility": "private"},
    )
    resp = await client.post(
        "/api/progress", headers=h, json={"weight_kg": 71, "photo_ids": [private["id"]]}
    )
    assert resp.status == 201
    pdf = samples.make_pdf(tmp_path / "plan.pdf").read_bytes()
    doc = await uploaded(
        client,
        trainer["token"],
        pdf,
        category="documents",
        filename="Plän.pdf",
        owner_id=member["id"],
    )
    for sender, recipient in ((h, trainer), (t, member)):
        said = await client.post(
            "/api/messages", headers=sender, json={"recipient_id": recipient["id"], "body": "hello"}
        )
        assert said.status == 201
    assert (await client.get(photo["variants"]["thumbnail"]["url"], headers=t)).status == 200

    def comment(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO comments (author_id, client_id, target, target_id, body, created_at)"
            " VALUES (?, ?, 'meal', ?, 'Nice', '2025-01-01T00:00:00.000Z')",
            (trainer["id"], member["id"], str(meal["id"])),
        )

    await client.app[db_key].write(comment)
    return {"photo": photo, "private": private, "doc": doc, "meal": meal}


def rows(db: Path, sql: str, *args: Any) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


async def test_export_round_trip(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    made = await fill(client, people, tmp_path)
    member = people["client"]
    config = client.app[config_key]
    stranger_task = asyncio.create_task(busy_stranger(client, people["stranger"], tmp_path))
    resp = await client.get("/api/me/export", headers=bearer(member["token"]))
    assert resp.status == 200 and resp.headers["Content-Type"] == "application/zip"
    body = await resp.read()
    stranger_ids = await stranger_task
    zf = zipfile.ZipFile(io.BytesIO(body))
    assert zf.testzip() is None
    names = set(zf.namelist())
    db = config.db_path
    uid = member["id"]
    expected = {
        "meals.json": rows(db, "SELECT * FROM meals WHERE client_id = ? ORDER BY id", uid),
        "progress.json": rows(
            db, "SELECT * FROM progress_entries WHERE client_id = ? ORDER BY id", uid
        ),
        "messages.json": rows(
            db, "SELECT * FROM messages WHERE ? IN (sender_id, recipient_id) ORDER BY id", uid
        ),
        "comments.json": rows(
            db, "SELECT * FROM comments WHERE ? IN (author_id, client_id) ORDER BY id", uid
        ),
        "access-log.json": rows(db, "SELECT * FROM access_log WHERE owner_id = ? ORDER BY id", uid),
    }
    for name, want in expected.items():
        assert json.loads(zf.read(name)) == want, name
    assert len(expected["messages.json"]) == 2 and len(expected["comments.json"]) == 1
    assert expected["access-log.json"][0]["count"] == 1
    account = json.loads(zf.read("account.json"))
    assert (
        account["id"] == uid and "password_hash" not in account and "token_version" not in account
    )
    notes = rows(db, "SELECT * FROM notifications WHERE user_id = ? ORDER BY id", uid)
    assert json.loads(zf.read("notifications.json")) == [
        {**n, "data": json.loads(n["data"])} for n in notes
    ]
    listed = json.loads(zf.read("files.json"))
    stored = rows(db, "SELECT * FROM files WHERE owner_id = ? ORDER BY rowid", uid)
    assert [{k: v for k, v in f.items() if k != "path"} for f in listed] == stored
    assert {f["original_name"] for f in listed} >= {"Plän.pdf"}
    for f in listed:
        original = config.media_dir / f["category"] / f"{f['id']}.{f['ext']}"
        assert zf.read(f["path"]) == original.read_bytes()
        assert zf.getinfo(f["path"]).compress_type == zipfile.ZIP_STORED
    file_members = {n for n in names if n.startswith("files/")}
    assert file_members == {f["path"] for f in listed} and len(listed) == 3
    assert not any(s in body for s in (i.encode() for i in stranger_ids))
    assert made["private"]["id"] in {f["id"] for f in listed}

    # The admin gets the same; the trainer (who sees the client) 403; others 404.
    admin_zip = await client.get(f"/api/users/{uid}/export", headers=bearer(people["admin"]))
    assert (
        admin_zip.status == 200
        and set(zipfile.ZipFile(io.BytesIO(await admin_zip.read())).namelist()) == names
    )
    path = f"/api/users/{uid}/export"
    await error_of(
        await client.get(path, headers=bearer(people["trainer"]["token"])), 403, "forbidden"
    )
    await error_of(
        await client.get(path, headers=bearer(people["stranger"]["token"])), 404, "not_found"
    )
    # The CLI writes the same archive.
    dest = tmp_path / "cli.zip"
    argv = ["export", member["username"], str(dest), "--data-dir", str(config.data_dir)]
    assert await asyncio.to_thread(cli.main, argv) == 0
    assert set(zipfile.ZipFile(dest).namelist()) == names


def traces(db: Path, media: Path, user_id: int, file_ids: set[str]) -> list[str]:
    """Every place the user's id (in a column naming users, or a user-ish JSON key) or one of
    their file ids is still found: each table's every column, notification data, the tree."""
    found = []
    conn = sqlite3.connect(db)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            user_columns = {
                fk[3]
                for fk in conn.execute(f"PRAGMA foreign_key_list({table})")
                if fk[2] == "users"
            }
            if table == "users":
                user_columns.add("id")
            if table == "notifications":
                user_columns.add("about_id")
            names = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
            for row in conn.execute(f"SELECT * FROM {table}"):
                for name, value in zip(names, row, strict=True):
                    if name in user_columns and value == user_id:
                        found.append(f"{table}.{name}")
                    if isinstance(value, str) and any(f in value for f in file_ids):
                        found.append(f"{table}.{name} names a file")
                    if table == "notifications" and name == "data":
                        found += [
                            f"notification {row[0]}: {k}"
                            for k in _user_keys(json.loads(value), user_id)
                        ]
    finally:
        conn.close()
    found += [str(p) for p in media.rglob("*") if any(f in p.name for f in file_ids)]
    return found


def _user_keys(value: Any, user_id: int) -> list[str]:
    if isinstance(value, dict):
        hits = [k for k, v in value.items() if k in USER_KEYS and v == user_id]
        return hits + [h for v in value.values() for h in _user_keys(v, user_id)]
    if isinstance(value, list):
        return [h for v in value for h in _user_keys(v, user_id)]
    return []


async def test_erasure_leaves_no_trace(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    made = await fill(client, people, tmp_path)
    member, trainer, admin = people["client"], people["trainer"], people["admin"]
    config = client.app[config_key]
    # Refusals first: wrong password, not a client, not the admin, the last admin.
    wrong = await client.delete(
        "/api/me", headers=bearer(member["token"]), json={"current_password": "nope-nope"}
    )
    await error_of(wrong, 401, "invalid_credentials")
    for token in (trainer["token"], admin):
        await error_of(
            await client.delete(
                "/api/me", headers=bearer(token), json={"current_password": PASSWORD}
            ),
            403,
            "forbidden",
        )
    await error_of(
        await client.delete(f"/api/users/{member['id']}", headers=bearer(trainer["token"])),
        403,
        "forbidden",
    )
    await error_of(
        await client.delete(
            f"/api/users/{member['id']}", headers=bearer(people["stranger"]["token"])
        ),
        404,
        "not_found",
    )
    me = await (await client.get("/api/me", headers=bearer(admin))).json()
    await error_of(
        await client.delete(f"/api/users/{me['id']}", headers=bearer(admin)), 409, "conflict"
    )

    # The trainer goes first: the document they uploaded stays the client's.
    ws_trainer = await connect(client, trainer)
    assert (await client.delete(f"/api/users/{trainer['id']}", headers=bearer(admin))).status == 204
    await closed_with(ws_trainer, 4401)
    doc = await client.get(f"/api/files/{made['doc']['id']}", headers=bearer(member["token"]))
    assert (await doc.json())["uploaded_by"] == member["id"]
    assert traces(config.db_path, config.media_dir, trainer["id"], set()) == []

    # Then the client erases themselves while someone else uploads.
    file_ids = {
        r["id"]
        for r in rows(config.db_path, "SELECT id FROM files WHERE owner_id = ?", member["id"])
    }
    assert len(file_ids) == 3
    ws = await connect(client, member)
    stranger_task = asyncio.create_task(busy_stranger(client, people["stranger"], tmp_path))
    gone = await client.delete(
        "/api/me", headers=bearer(member["token"]), json={"current_password": PASSWORD}
    )
    assert gone.status == 204
    await closed_with(ws, 4401)
    stranger_ids = await stranger_task
    await error_of(
        await client.get("/api/me", headers=bearer(member["token"])), 401, "unauthenticated"
    )
    assert traces(config.db_path, config.media_dir, member["id"], file_ids) == []
    on_disk = tree_files(client.app)
    assert all(any(s in name for s in stranger_ids) for name in on_disk), on_disk
    assert len(on_disk) == 4 * len(stranger_ids)
    report = await asyncio.to_thread(check, config)
    assert report.problems == [], report.problems
    # The CLI erases too (the stranger, with their photos).
    argv = ["user", "erase", people["stranger"]["username"], "--data-dir", str(config.data_dir)]
    assert await asyncio.to_thread(cli.main, argv) == 0
    assert tree_files(client.app) == []
    assert (await asyncio.to_thread(check, config)).problems == []
    bad = await upload(client, people["stranger"]["token"], jpeg(tmp_path, "x.jpg", 9))
    await error_of(bad, 401, "unauthenticated")
