"""Addressing an event: one stored notification per recipient, inside the event's transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from gymhub.auth.policy import Viewer
from gymhub.data import notifications, users
from gymhub.data.notifications import Stored


def address(
    conn: sqlite3.Connection,
    kind: str,
    recipient_ids: Iterable[int],
    render: Callable[[Viewer], Any],
    *,
    about: int | None = None,
) -> list[Stored]:
    """Store `kind` for each distinct recipient with data rendered as that recipient may see it.

    Runs inside the event's write transaction; recipients that no longer exist are skipped.
    `about` is the client the event concerns (notifications.about_id).
    Push the result with `Hub.publish` once the transaction has committed.
    """
    items: list[tuple[int, str, Any]] = []
    for user_id in dict.fromkeys(recipient_ids):
        row = users.get_user(conn, user_id)
        if row is None:
            continue
        viewer = Viewer(id=row.id, role=row.role, username=row.username)
        items.append((user_id, kind, render(viewer)))
    return notifications.insert(conn, items, about=about)


def client_and_trainers(conn: sqlite3.Connection, client_id: int) -> list[int]:
    """A client and the trainers assigned right now (read when the event is addressed)."""
    return [client_id, *users.trainer_ids_of(conn, client_id)]
