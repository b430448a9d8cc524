"""Privacy use cases: a progress photo's visibility, and what an ended assignment takes back."""

from __future__ import annotations

import sqlite3

from gymhub.auth import policy
from gymhub.auth.policy import PRIVATE, Viewer
from gymhub.data import files, notifications, users
from gymhub.data.db import Database
from gymhub.data.notifications import Stored
from gymhub.errors import NotFound
from gymhub.realtime.events import address
from gymhub.schemas.files import File
from gymhub.services import Publish, write_and_publish
from gymhub.views.files import render_one

# The machine fields of the SYSTEM notification an unassigned trainer gets (docs/api-notes.md).
UNASSIGNED = "unassigned"


async def set_visibility(db: Database, viewer: Viewer, file_id: str, visibility: str) -> File:
    """Change who sees the owner's progress photo. Made private, it leaves everyone else's
    stored notifications in the same transaction, so no list or replay shows it afterwards."""

    def apply(conn: sqlite3.Connection) -> File:
        row = files.get_file(conn, file_id)
        if row is None:
            raise NotFound("No such file.")
        policy.change_visibility(conn, viewer, row)
        if row.visibility != visibility:
            row = files.set_visibility(conn, file_id, visibility)
            if visibility == PRIVATE:
                notifications.withdraw_file(conn, row.owner_id, file_id)
        return render_one(conn, viewer, row)

    return await db.write(apply)


def unassign_in(conn: sqlite3.Connection, trainer_id: int, client_id: int) -> bool:
    """End an assignment in the caller's transaction: the trainer's notifications about the
    client go (their messages stay), and the trainer gets a SYSTEM notification with
    `"event": "unassigned"` (stored, for the caller to publish). False when there was none."""
    ended = users.unassign(conn, trainer_id, client_id)
    notifications.withdraw_about(conn, trainer_id, client_id)
    return ended


def _tell_both(conn: sqlite3.Connection, trainer_id: int, client_id: int) -> list[Stored]:
    """The trainer's page drops the client, and the client's page drops the trainer."""
    client = users.get_user(conn, client_id)
    trainer = users.get_user(conn, trainer_id)
    assert client is not None and trainer is not None  # assignment_pair found them
    ids = {"event": UNASSIGNED, "client_id": client_id, "trainer_id": trainer_id}
    to_trainer = {
        "message": f"{client.display_name} is no longer your client.",
        "title": "Client unassigned",
        **ids,
    }
    to_client = {
        "message": f"{trainer.display_name} is no longer your trainer.",
        "title": "Trainer unassigned",
        **ids,
    }
    told = address(conn, "SYSTEM", [trainer_id], lambda _: to_trainer)
    return told + address(conn, "SYSTEM", [client_id], lambda _: to_client)


async def end_assignment(db: Database, publish: Publish, trainer_id: int, client_id: int) -> None:
    """Unassign (admin's call) and tell both sides' open pages live; a repeated DELETE tells
    nobody again."""

    def apply(conn: sqlite3.Connection) -> tuple[None, list[Stored]]:
        policy.assignment_pair(conn, trainer_id, client_id)
        if not unassign_in(conn, trainer_id, client_id):
            return None, []
        return None, _tell_both(conn, trainer_id, client_id)

    await write_and_publish(db, publish, apply)
