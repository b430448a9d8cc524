"""The trainer's dashboard on hand-made data (one statement whatever the clients), and
announcements to each audience."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from aiohttp.test_utils import TestClient

from gymhub.config import Config
from gymhub.data import trainers
from gymhub.data.db import _configure
from gymhub.web.appkeys import db_key
from tests.support import assign, bearer, create_user, error_of

NOW = dt.datetime.now(dt.UTC)


def ago(**delta: float) -> str:
    moment = NOW - dt.timedelta(**delta)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# The UTC days of busy's meals and entries within the week (hours ago may cross midnight).
BUSY_DAYS = {ago(hours=1)[:10], ago(hours=2)[:10], ago(days=2)[:10], ago(days=4)[:10]}
BUSY_DAYS.add(ago(days=1)[:10])


def put_rows(conn: sqlite3.Connection, busy: int, light: int, quiet: int) -> None:
    """Meals, entries and a message whose times the test chooses (the API stamps now)."""
    meals = [
        (busy, ago(hours=1), ago(hours=1)),
        (busy, ago(hours=2), ago(hours=2)),
        (busy, ago(days=2), ago(days=2)),
        (busy, ago(days=7, hours=1), ago(days=7, hours=1)),  # outside the week
        (light, ago(days=20), ago(days=3)),  # logged late: counts by eaten_at
        (quiet, ago(days=300), ago(days=300)),
    ]
    conn.executemany(
        "INSERT INTO meals (client_id, meal_name, created_at, eaten_at) VALUES (?, 'm', ?, ?)",
        meals,
    )
    entries = [
        (busy, ago(days=40), 90.0),
        (busy, ago(days=35), 88.0),
        (busy, ago(days=4), None),  # a day logged without a weight
        (busy, ago(days=1), 85.0),
        (light, ago(days=10), 70.0),
        (light, ago(days=9), 70.4),
    ]
    conn.executemany(
        "INSERT INTO progress_entries (client_id, recorded_at, created_at, weight_kg, notes)"
        " VALUES (?, ?, ?, ?, 'n')",
        [(c, at, at, kg) for c, at, kg in entries],
    )


async def test_dashboard_numbers_order_and_access(
    client: TestClient, people: dict[str, Any], config: Config
) -> None:
    admin, trainer = people["admin"], people["trainer"]
    busy = people["client"]
    light = await create_user(client, admin, "client")
    quiet = await create_user(client, admin, "client")
    idle = await create_user(client, admin, "client")
    for c in (light, quiet, idle):
        await assign(client, admin, trainer["id"], c["id"])
    await client.app[db_key].write(lambda c: put_rows(c, busy["id"], light["id"], quiet["id"]))
    # Two unread messages to this trainer (one read, one to somebody else do not count).
    for text in ("a", "b", "c"):
        resp = await client.post(
            "/api/messages",
            headers=bearer(busy["token"]),
            json={"recipient_id": trainer["id"], "body": text},
        )
        message = await resp.json()
    await client.post(f"/api/messages/{message['id']}/read", headers=bearer(trainer["token"]))
    await client.post(
        "/api/messages", headers=bearer(busy["token"]), json={"recipient_id": 1, "body": "hi"}
    )
    # The client's two comments reach the trainer unread; the trainer's own does not count.
    meal = await client.app[db_key].fetchone(
        "SELECT id FROM meals WHERE client_id = ?", (quiet["id"],)
    )
    assert meal is not None
    for who in (quiet, quiet, trainer):
        resp = await client.post(
            "/api/comments",
            headers=bearer(who["token"]),
            json={"target": "meal", "target_id": meal[0], "body": "?"},
        )
        assert resp.status == 201
    resp = await client.get(f"/api/trainers/{trainer['id']}/dashboard", headers=bearer(admin))
    assert resp.status == 200, await resp.text()
    rows = (await resp.json())["clients"]
    # Never active first; then least recently active: light (an entry made 9 days ago), busy
    # (its messages just now), quiet (its comments after them).
    assert [r["user"]["id"] for r in rows] == [idle["id"], light["id"], busy["id"], quiet["id"]]
    assert rows[0]["user"]["username"] == idle["username"]
    figures = {
        r["user"]["id"]: [
            r["meals_7d"],
            r["days_logged_7d"],
            r["last_weight_kg"],
            r["weight_change_30d_kg"],
            r["unread_messages"],
            r["unread_comments"],
        ]
        for r in rows
    }
    assert figures == {
        idle["id"]: [0, 0, None, None, 0, 0],
        light["id"]: [1, 1, 70.4, None, 0, 0],
        busy["id"]: [3, len(BUSY_DAYS), 85.0, -3.0, 2, 0],
        quiet["id"]: [0, 0, None, None, 0, 2],
    }
    assert rows[0]["last_activity_at"] is None
    assert rows[1]["last_activity_at"] == ago(days=9)  # its last entry
    assert rows[2]["last_activity_at"] < rows[3]["last_activity_at"]
    # Reading the notifications clears unread_comments.
    resp = await client.post(
        "/api/notifications/read", headers=bearer(trainer["token"]), json={"up_to": 10**9}
    )
    assert resp.status == 204
    resp = await client.get(
        f"/api/trainers/{trainer['id']}/dashboard", headers=bearer(trainer["token"])
    )
    assert [r["unread_comments"] for r in (await resp.json())["clients"]] == [0, 0, 0, 0]
    # Who may look: as for the trainer's client list.
    url = f"/api/trainers/{trainer['id']}/dashboard"
    for who, status, code in (
        (busy, 403, "forbidden"),
        (people["other_trainer"], 404, "not_found"),
        (people["stranger"], 404, "not_found"),
    ):
        await error_of(await client.get(url, headers=bearer(who["token"])), status, code)
    resp = await client.get(f"/api/trainers/{busy['id']}/dashboard", headers=bearer(admin))
    await error_of(resp, 404, "not_found")
    resp = await client.get(
        f"/api/trainers/{people['other_trainer']['id']}/dashboard", headers=bearer(admin)
    )
    assert (await resp.json()) == {"clients": []}
    client.session.cookie_jar.clear()
    await error_of(await client.get(url), 401, "unauthenticated")
    await one_statement(config, trainer["id"])


async def one_statement(config: Config, trainer_id: int) -> None:
    """The dashboard's data is one SQL statement, for 4 clients as for 44."""
    conn = sqlite3.connect(config.db_path, isolation_level=None)
    _configure(conn)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        now, week_ago = ago(), ago(days=7)
        assert len(trainers.dashboard(conn, trainer_id, now, week_ago)) == 4
        assert len(statements) == 1
        conn.set_trace_callback(None)
        stamp = ago()
        for n in range(40):
            cur = conn.execute(
                "INSERT INTO users (username, display_name, role, password_hash, created_at)"
                " VALUES (?, 'x', 'client', 'x', ?)",
                (f"bulk{n}", stamp),
            )
            conn.execute(
                "INSERT INTO assignments VALUES (?, ?, ?)", (trainer_id, cur.lastrowid, stamp)
            )
            conn.execute(
                "INSERT INTO meals (client_id, meal_name, created_at, eaten_at)"
                " VALUES (?, 'm', ?, ?)",
                (cur.lastrowid, stamp, stamp),
            )
        statements.clear()
        conn.set_trace_callback(statements.append)
        assert len(trainers.dashboard(conn, trainer_id, now, week_ago)) == 44
        assert len(statements) == 1
    finally:
        conn.close()


async def system_notes(client: TestClient, token: str) -> list[Any]:
    resp = await client.get("/api/notifications?since=0&limit=200", headers=bearer(token))
    notes = (await resp.json())["notifications"]
    return [n["data"] for n in notes if n["type"] == "SYSTEM"]


async def test_announcements_reach_their_audience(
    client: TestClient, people: dict[str, Any]
) -> None:
    admin, trainer = people["admin"], people["trainer"]
    gone = await create_user(client, admin, "client")
    await assign(client, admin, trainer["id"], gone["id"])
    resp = await client.patch(
        f"/api/users/{gone['id']}", headers=bearer(admin), json={"disabled": True}
    )
    assert resp.status == 200
    second_admin = await create_user(client, admin, "admin")
    # Everyone active: 2 trainers, 2 clients and the other admin; not the disabled client.
    sent = [
        (admin, "all", 5),
        (admin, "trainers", 2),
        (admin, "clients", 2),
        (admin, "my_clients", 0),
        (trainer["token"], "my_clients", 1),
    ]
    for token, audience, count in sent:
        resp = await client.post(
            "/api/announcements",
            headers=bearer(token),
            json={"message": f"to {audience}", "title": "News", "audience": audience},
        )
        assert resp.status == 202, await resp.text()
        assert await resp.json() == {"recipients": count}, audience
    resp = await client.post(
        "/api/announcements",
        headers=bearer(admin),
        json={"message": "untitled", "audience": "trainers"},
    )
    assert await resp.json() == {"recipients": 2}
    everyone = ["to all"]
    expected = {
        "admin": [],
        "second": everyone,
        "trainer": [*everyone, "to trainers", "untitled"],
        "other_trainer": [*everyone, "to trainers", "untitled"],
        "client": [*everyone, "to clients", "to my_clients"],
        "stranger": [*everyone, "to clients"],
    }
    tokens = {name: people[name]["token"] for name in expected if name not in ("admin", "second")}
    tokens |= {"admin": admin, "second": second_admin["token"]}
    for name, messages in expected.items():
        notes = await system_notes(client, tokens[name])
        assert [n["message"] for n in notes] == messages, name
    notes = await system_notes(client, people["trainer"]["token"])
    assert notes[0] == {"message": "to all", "title": "News"} and notes[-1] == {
        "message": "untitled"
    }
    disabled = await client.app[db_key].fetchone(
        "SELECT count(*) FROM notifications WHERE user_id = ?", (gone["id"],)
    )
    assert disabled is not None and disabled[0] == 0
    for token, audience in (
        (trainer["token"], "all"),
        (trainer["token"], "clients"),
        (people["client"]["token"], "my_clients"),
    ):
        resp = await client.post(
            "/api/announcements",
            headers=bearer(token),
            json={"message": "x", "audience": audience},
        )
        await error_of(resp, 403, "forbidden")
    for body, field in (
        ({"message": "", "audience": "all"}, "message"),
        ({"message": "x" * 2001, "audience": "all"}, "message"),
        ({"message": "x", "audience": "everyone"}, "audience"),
        ({"message": "x"}, "audience"),
        ({"message": "x", "audience": "all", "title": "t" * 201}, "title"),
    ):
        resp = await client.post("/api/announcements", headers=bearer(admin), json=body)
        assert field in await error_of(resp, 400, "invalid_request"), body
    client.session.cookie_jar.clear()
    origin = {"Origin": str(client.make_url("")).rstrip("/")}
    resp = await client.post(
        "/api/announcements", headers=origin, json={"message": "x", "audience": "all"}
    )
    await error_of(resp, 401, "unauthenticated")


async def dashboard_activity(client: TestClient, admin: str, trainer_id: int) -> dict[int, Any]:
    resp = await client.get(f"/api/trainers/{trainer_id}/dashboard", headers=bearer(admin))
    assert resp.status == 200, await resp.text()
    return {r["user"]["id"]: r["last_activity_at"] for r in (await resp.json())["clients"]}


def kept_and_recomputed(conn: sqlite3.Connection) -> tuple[list[Any], list[Any]]:
    """The trigger-kept last activity of every user, and the same computed from scratch."""
    kept = conn.execute("SELECT user_id, at FROM last_activity ORDER BY user_id").fetchall()
    fresh = conn.execute(
        "SELECT user_id, at FROM last_activity_recomputed WHERE at IS NOT NULL ORDER BY user_id"
    ).fetchall()
    return [tuple(r) for r in kept], [tuple(r) for r in fresh]


async def test_last_activity_follows_every_insert_and_delete(
    client: TestClient, people: dict[str, Any]
) -> None:
    """The moment the dashboard orders by is kept by triggers; a deleted meal or entry no longer
    counts as something the client made, and an erased client leaves nothing behind."""
    admin, trainer, member = people["admin"], people["trainer"], people["client"]
    token = bearer(member["token"])
    resp = await client.post("/api/nutrition/meals", headers=token, json={"meal_name": "Oats"})
    meal = await resp.json()
    resp = await client.post("/api/progress", headers=token, json={"weight_kg": 80})
    entry = await resp.json()
    seen = await dashboard_activity(client, admin, trainer["id"])
    assert seen[member["id"]] == entry["created_at"] > meal["created_at"]
    resp = await client.delete(f"/api/progress/{entry['id']}", headers=token)
    assert resp.status == 204
    seen = await dashboard_activity(client, admin, trainer["id"])
    assert seen[member["id"]] == meal["created_at"]
    resp = await client.delete(f"/api/nutrition/meals/{meal['id']}", headers=token)
    assert resp.status == 204
    assert (await dashboard_activity(client, admin, trainer["id"]))[member["id"]] is None
    # A message stays something the client made when deleted (it reads as deleted).
    resp = await client.post(
        "/api/messages", headers=token, json={"recipient_id": trainer["id"], "body": "hi"}
    )
    message = await resp.json()
    await client.delete(f"/api/messages/{message['id']}", headers=token)
    seen = await dashboard_activity(client, admin, trainer["id"])
    assert seen[member["id"]] == message["created_at"]
    db = client.app[db_key]
    kept, fresh = await db.read(kept_and_recomputed)
    assert kept == fresh and (member["id"], message["created_at"]) in kept
    # Erasure cascades through every table without tripping over the user row it removes.
    other = await create_user(client, admin, "client")
    await assign(client, admin, trainer["id"], other["id"])
    await client.post(
        "/api/nutrition/meals", headers=bearer(other["token"]), json={"meal_name": "x"}
    )
    resp = await client.delete(f"/api/users/{other['id']}", headers=bearer(admin))
    assert resp.status == 204, await resp.text()
    kept, fresh = await db.read(kept_and_recomputed)
    assert kept == fresh and other["id"] not in {user_id for user_id, _ in kept}
