"""`gymhub serve --demo`: fill an empty data dir with a small, believable gym before serving."""

from __future__ import annotations

import datetime as dt
import io
import secrets
import sqlite3
from collections.abc import Callable
from typing import Any

from PIL import Image, ImageDraw

from gymhub.auth import passwords
from gymhub.auth.policy import Viewer
from gymhub.config import Config
from gymhub.data import comments, files, meals, messages, progress, users
from gymhub.data.catalogue import MEAL_LINK, MEAL_PHOTOS, PROGRESS_LINK, PROGRESS_PHOTOS
from gymhub.data.db import connect_sync, migrate, run_write
from gymhub.imaging.figures import POSES, silhouette
from gymhub.logs import console
from gymhub.realtime.events import address, client_and_trainers
from gymhub.services import uploads
from gymhub.services.uploads import LocalFile
from gymhub.storage.layout import Layout
from gymhub.views.comments import comment_view
from gymhub.views.meals import meal_view
from gymhub.views.messages import message_view
from gymhub.views.progress import entry_view

DEMO = "gymhub demo: "
MEALS = [
    ("Oatmeal with berries", "Added a spoon of peanut butter", 3),
    ("Chicken and rice bowl", None, 2),
    ("Greek yoghurt", "Post-workout", 2),
    ("Salmon with vegetables", "Steamed broccoli", 1),
    ("Tuna salad", None, 0),
]
WEIGHTS = [(84.6, 23.0), (84.1, None), (83.7, 22.4), (83.8, None), (83.0, 21.9), (82.6, 21.5)]
# Waist and hips each week, in cm, beside WEIGHTS.
WAIST_HIPS = [
    (94.0, 104.0),
    (93.2, 103.5),
    (92.5, 103.1),
    (92.6, 102.8),
    (91.4, 102.2),
    (90.8, 101.9),
]
COMMENTS = [
    ("coach", "meal", "Great portion of protein here."),
    ("alex", "meal", "Thanks! Same again tomorrow."),
    ("coach", "progress", "Visible progress on the side photo, well done."),
]


def _ago(days: float, hour: int = 8) -> str:
    now = dt.datetime.now(dt.UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    when = now - dt.timedelta(days=days)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"


def _food(seed: int) -> bytes:
    """A plate of food drawn with Pillow, as a phone would send it (a JPEG)."""
    w, h = 1200, 900
    img = Image.new("RGB", (w, h), (215 - seed * 9 % 40, 200, 178))
    draw = ImageDraw.Draw(img)
    draw.ellipse((w * 0.15, h * 0.08, w * 0.85, h * 0.92), fill=(248, 248, 244))
    palette = [(214, 64, 69), (94, 160, 76), (240, 180, 60), (150, 90, 50), (250, 230, 190)]
    for i in range(8):
        cx = w * (0.32 + ((i * 37 + seed * 11) % 36) / 100)
        cy = h * (0.3 + ((i * 53 + seed * 17) % 40) / 100)
        r = h * (0.07 + (i % 3) * 0.03)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=palette[(i + seed) % len(palette)])
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def _photo(
    conn: sqlite3.Connection, config: Config, layout: Layout, seed: int, new: LocalFile
) -> files.FileRow:
    """A generated JPEG checked, placed and recorded as an upload would be."""
    return uploads.store_local(conn, layout, config.max_pixels, _food(seed), new)


def _named(seed: int) -> str:
    return f"IMG_{4100 + seed}.jpg"


Render = Callable[[Viewer], Any]


def _render_meal(conn: sqlite3.Connection, row: meals.Meal, photos: list[files.FileRow]) -> Render:
    return lambda viewer: {"meal": meal_view(conn, viewer, row, photos)}


def _render_entry(
    conn: sqlite3.Connection, row: progress.Entry, photos: list[files.FileRow]
) -> Render:
    return lambda viewer: {"entry": entry_view(conn, viewer, row, photos), "action": "created"}


def _constant(data: dict[str, Any]) -> Render:
    return lambda _viewer: data


def _progress(conn: sqlite3.Connection, config: Config, layout: Layout, alex: int) -> None:
    """Six weekly entries with measurements; the first and the last with photos in 3 poses."""
    recipients = client_and_trainers(conn, alex)
    for week, (weight, fat) in enumerate(WEIGHTS):
        notes = "Feeling stronger on squats" if week == len(WEIGHTS) - 1 else None
        photo_ids = []
        if week in (0, len(WEIGHTS) - 1):
            girth = 1.25 if week == 0 else 1.1
            for n, pose in enumerate(POSES):
                data = silhouette(pose, girth, tint=week + n)
                photo = LocalFile(alex, PROGRESS_PHOTOS, _named(20 + week * 3 + n), pose=pose)
                stored = uploads.store_local(conn, layout, config.max_pixels, data, photo)
                photo_ids.append(stored.id)
        waist, hips = WAIST_HIPS[week]
        entry = progress.insert(
            conn,
            alex,
            _ago((len(WEIGHTS) - 1 - week) * 7),
            weight,
            fat,
            notes,
            photo_ids,
            {"waist_cm": waist, "hips_cm": hips},
        )
        photos = files.files_linked(conn, PROGRESS_LINK, [entry.id])[entry.id]
        address(
            conn, "PROGRESS_UPDATED", recipients, _render_entry(conn, entry, photos), about=alex
        )


def _fill(conn: sqlite3.Connection, config: Config, hashes: dict[str, str]) -> dict[str, int]:
    """Accounts, assignment, meals with photos, progress, messages and their notifications."""
    ids: dict[str, int] = {}
    for username, role, name in [
        ("admin", "admin", "Administrator"),
        ("coach", "trainer", "Coach Maya"),
        ("alex", "client", "Alex Rivera"),
        ("sam", "client", "Sam Okafor"),
    ]:
        ids[username] = users.insert_user(conn, username, role, hashes[role], name).id
    for client in ("alex", "sam"):
        users.assign(conn, ids["coach"], ids[client])

    layout = Layout(config.media_dir)
    layout.create()
    for client_name, count in (("alex", len(MEALS)), ("sam", 2)):
        client_id = ids[client_name]
        recipients = client_and_trainers(conn, client_id)
        for n, (meal_name, notes, days) in enumerate(MEALS[:count]):
            row = meals.insert(conn, client_id, meal_name, _ago(days, 8 + n % 3 * 5), notes)
            seed = n + client_id
            links = {MEAL_LINK: row.id}
            photo = LocalFile(client_id, MEAL_PHOTOS, _named(seed), links)
            linked = [_photo(conn, config, layout, seed, photo)]
            render = _render_meal(conn, row, linked)
            address(conn, "MEAL_COMPLETED", recipients, render, about=client_id)
    _progress(conn, config, layout, ids["alex"])
    for sender, recipient, body in [
        ("coach", "alex", "Welcome to gymhub! Log every meal this week; photos help a lot."),
        ("alex", "coach", "Will do. Is oatmeal fine before a morning session?"),
        ("coach", "alex", "Perfect, about 90 minutes before. Add some protein."),
        ("coach", "sam", "Hi Sam, see you Thursday at 18:00."),
    ]:
        msg = message_view(messages.insert(conn, ids[sender], ids[recipient], body))
        address(conn, "MESSAGE", [ids[recipient], ids[sender]], _constant({"message": msg}))
    _comment_on_latest(conn, ids)
    _quiet_clients(conn, ids, hashes["client"])
    welcome = {"title": "Welcome", "message": "This is a demo gym: try logging a meal."}
    address(conn, "SYSTEM", ids.values(), _constant(welcome))
    return ids


def _comment_on_latest(conn: sqlite3.Connection, ids: dict[str, int]) -> None:
    """Coach and Alex talk about Alex's latest meal and entry, with COMMENT notifications."""
    alex = ids["alex"]
    latest = {
        "meal": meals.list_for(conn, alex, 1)[0].id,
        "progress": progress.list_for(conn, alex, 1)[0].id,
    }
    recipients = client_and_trainers(conn, alex)
    for author, target, body in COMMENTS:
        row = comments.insert(conn, ids[author], alex, target, str(latest[target]), body)
        data = {"comment": comment_view(row)}
        address(conn, "COMMENT", recipients, _constant(data), about=alex)


def _quiet_clients(conn: sqlite3.Connection, ids: dict[str, int], password_hash: str) -> None:
    """Two more of the coach's clients for the dashboard: Jo stopped logging three weeks ago,
    Kim never started."""
    for username, name in (("jo", "Jo Lindqvist"), ("kim", "Kim Tanaka")):
        ids[username] = users.insert_user(conn, username, "client", password_hash, name).id
        users.assign(conn, ids["coach"], ids[username])
    for days in (24, 23, 22):
        # Logged when eaten, three weeks ago: that is when Jo was last active.
        when = _ago(days, 13)
        meals.insert(conn, ids["jo"], "Pasta", when, None, created_at=when)


def prepare(config: Config) -> None:
    """On a data dir without accounts: demo accounts, data and photos; print the logins."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    conn = connect_sync(config.db_path)
    try:
        migrate(conn)
        if users.count_users(conn):
            console("the data directory already has accounts; nothing added", prefix=DEMO)
            return
        admin_password = config.admin_password or secrets.token_urlsafe(12)
        demo_password = secrets.token_urlsafe(9)
        hashes = {
            "admin": passwords.hash_sync(config, admin_password),
            "trainer": passwords.hash_sync(config, demo_password),
        }
        hashes["client"] = hashes["trainer"]
        run_write(conn, lambda c: _fill(c, config, hashes))
    finally:
        conn.close()
    shown = "(from GYMHUB_ADMIN_PASSWORD)" if config.admin_password else admin_password
    console("created a demo gym; sign in with", prefix=DEMO)
    console(f"  admin  / {shown}   (administrator)", prefix="")
    for username, role in (
        ("coach", "trainer"),
        ("alex", "client"),
        ("sam", "client"),
        ("jo", "client"),
        ("kim", "client"),
    ):
        console(f"  {username:<6} / {demo_password}   ({role})", prefix="")
