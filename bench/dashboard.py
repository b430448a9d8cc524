"""A trainer's dashboard with 300 clients and a year of their data against GET /api/me.

The data dir is made by the real server (first start), filled straight into SQLite with
executemany (a trainer, `--clients` clients each with three meals a day and a weighed entry
every third day for `--days` days, a few messages and comments, the trainer's notification of
every meal with the last week's unread, and an unread comment each), then the
server is started again on it as a subprocess. The admin's GET of the trainer's dashboard and
its GET /api/me take turns, one request at a time over one keep-alive connection; printed: the
median and p99 of each and their ratios, in the same run. Goal: dashboard <= 5x /api/me at the
median and at the p99.

    python bench/dashboard.py [--clients 300] [--days 365] [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from _server import PASSWORD, Server  # type: ignore[import-not-found]

GOAL = 5.0


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def fill(db_path: Path, clients: int, days: int) -> dict[str, int]:
    """The trainer, its clients and their history, in one transaction; the row counts."""
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("BEGIN")
    made = stamp(now - dt.timedelta(days=days + 1))
    cur = conn.execute(
        "INSERT INTO users (username, display_name, role, password_hash, created_at)"
        " VALUES ('coach', 'Coach', 'trainer', 'x', ?)",
        (made,),
    )
    trainer = int(cur.lastrowid or 0)
    meals, entries, messages, comments, notes = [], [], [], [], []
    for n in range(clients):
        cur = conn.execute(
            "INSERT INTO users (username, display_name, role, password_hash, created_at)"
            " VALUES (?, ?, 'client', 'x', ?)",
            (f"client{n}", f"Client {n}", made),
        )
        client = int(cur.lastrowid or 0)
        conn.execute("INSERT INTO assignments VALUES (?, ?, ?)", (trainer, client, made))
        # Some clients stopped a while ago, a few never started: the dashboard's order.
        active_days = 0 if n % 50 == 0 else days - (n % 7) * rng.randint(0, 20)
        weight = rng.uniform(60, 110)
        for day in range(active_days):
            moment = now - dt.timedelta(days=days - day)
            for hour in (8, 13, 19):
                at = stamp(moment.replace(hour=hour))
                meals.append((client, "meal", at, at))
                # The trainer hears of every meal; a week's worth is still unread.
                seen = int(day < active_days - 7)
                notes.append((trainer, "MEAL_CREATED", "{}", at, client, seen))
            if day % 3 == 0:
                weight += rng.uniform(-0.4, 0.3)
                at = stamp(moment.replace(hour=7))
                entries.append((client, at, at, round(weight, 1), '{"waist_cm": 80}'))
        for k in range(20):
            at = stamp(now - dt.timedelta(hours=k * 17 + n))
            messages.append((client, trainer, "hello", at, None if k < 2 else at))
        comments.append((client, client, "meal", "1", "how was it?", stamp(now)))
        payload = json.dumps({"comment": {"author_id": client}})
        notes.append((trainer, "COMMENT", payload, stamp(now), client, 0))
    conn.executemany(
        "INSERT INTO meals (client_id, meal_name, eaten_at, created_at) VALUES (?, ?, ?, ?)", meals
    )
    conn.executemany(
        "INSERT INTO progress_entries (client_id, recorded_at, created_at, weight_kg,"
        " measurements) VALUES (?, ?, ?, ?, ?)",
        entries,
    )
    conn.executemany(
        "INSERT INTO messages (sender_id, recipient_id, body, created_at, read_at)"
        " VALUES (?, ?, ?, ?, ?)",
        messages,
    )
    conn.executemany(
        "INSERT INTO comments (author_id, client_id, target, target_id, body, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        comments,
    )
    conn.executemany(
        "INSERT INTO notifications (user_id, type, data, created_at, about_id, read)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        notes,
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return {"trainer": trainer, "meals": len(meals), "entries": len(entries)}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(url: str, trainer: int, requests: int) -> dict[str, list[float]]:
    """Milliseconds per request of each path, the two taking turns (after a warm-up)."""
    paths = {"dashboard": f"/api/trainers/{trainer}/dashboard", "me": "/api/me"}
    times: dict[str, list[float]] = {name: [] for name in paths}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as http:
        login = {"username": "admin", "password": PASSWORD}
        async with http.post(f"{url}/api/auth/login", json=login) as r:
            token = (await r.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(url + paths["dashboard"], headers=headers) as r:
            body = await r.json()
            assert r.status == 200, body
            print(f"dashboard: {len(body['clients'])} clients, {len(await r.read())} bytes")
        for n in range(requests + 20):
            for name, path in paths.items():
                began = time.perf_counter()
                async with http.get(url + path, headers=headers) as r:
                    await r.read()
                    assert r.status == 200
                if n >= 20:
                    times[name].append((time.perf_counter() - began) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gymhub-bench-dashboard-") as tmp:
        data_dir = Path(tmp) / "data"
        Server(workers=1, data_dir=data_dir).stop()  # the data dir, its schema and the admin
        began = time.perf_counter()
        counts = fill(data_dir / "gymhub.sqlite3", args.clients, args.days)
        print(
            f"filled {args.clients} clients, {counts['meals']} meals, {counts['entries']} "
            f"entries in {time.perf_counter() - began:.1f} s"
        )
        server = Server(workers=1, data_dir=data_dir)
        try:
            times = asyncio.run(measure(server.url, counts["trainer"], args.requests))
        finally:
            server.stop()
    ok = True
    for label, q in (("median", 0.5), ("p99", 0.99)):
        dash, me = pct(times["dashboard"], q), pct(times["me"], q)
        ratio = dash / me
        ok &= ratio <= GOAL
        verdict = "PASS" if ratio <= GOAL else "MISS"
        print(
            f"{label}: dashboard {dash:.2f} ms, /api/me {me:.2f} ms, ratio {ratio:.2f}x  "
            f"{verdict} (goal <= {GOAL:g}x)"
        )
    print(
        f"({len(times['me'])} requests of each; mean /api/me {statistics.mean(times['me']):.2f} ms)"
    )
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
