"""The trainer's day (the dashboard) and announcements."""

from __future__ import annotations

import datetime as dt
import sqlite3

from gymhub.auth import policy
from gymhub.auth.policy import Viewer
from gymhub.data import notifications, trainers
from gymhub.data.db import Database
from gymhub.data.notifications import Stored
from gymhub.schemas.feedback import Announced
from gymhub.services import Publish, write_and_publish

WEEK = dt.timedelta(days=7)


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def dashboard(
    db: Database, viewer: Viewer, trainer_id: int, now: dt.datetime | None = None
) -> list[trainers.ClientDay]:
    """The trainer's clients, least active first, for the admin or that trainer (403/404 as
    their client list); one statement for all the clients."""
    moment = now or dt.datetime.now(dt.UTC)
    bounds = _stamp(moment), _stamp(moment - WEEK)

    def load(conn: sqlite3.Connection) -> list[trainers.ClientDay]:
        policy.trainer_scope(conn, viewer, trainer_id, "see the trainer's dashboard")
        return trainers.dashboard(conn, trainer_id, *bounds)

    return await db.read(load)


async def announce(
    db: Database,
    publish: Publish,
    viewer: Viewer,
    audience: str,
    message: str,
    title: str | None,
) -> Announced:
    """A SYSTEM notification to every active user of the audience but the sender, in one
    write; admin any audience, a trainer my_clients only (else 403)."""
    policy.announcement(viewer, audience)
    data: dict[str, str] = {"message": message}
    if title is not None:
        data["title"] = title

    def send(conn: sqlite3.Connection) -> tuple[Announced, list[Stored]]:
        ids = trainers.audience_ids(conn, audience, viewer.id)
        stored = notifications.insert(conn, [(uid, "SYSTEM", data) for uid in ids])
        return Announced(len(stored)), stored

    return await write_and_publish(db, publish, send)
