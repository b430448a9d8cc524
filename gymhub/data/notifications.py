"""The per-recipient notification log: written in the event's transaction, pushed after commit."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import msgspec

from gymhub.data.db import utcnow

# schemas/notifications.py spells these too, as it may not import data/.
Kind = Literal[
    "FILE_UPLOADED",
    "FILE_DELETED",
    "MEAL_COMPLETED",
    "MEAL_UPDATED",
    "MEAL_DELETED",
    "PROGRESS_UPDATED",
    "PROGRESS_DELETED",
    "MESSAGE",
    "MESSAGE_UPDATED",
    "COMMENT",
    "SYSTEM",
]
TYPES = frozenset(get_args(Kind))


@dataclass(frozen=True)
class Stored:
    """One stored notification of one recipient, ready to push."""

    id: int
    user_id: int
    type: str
    created_at: str
    data: dict[str, Any]
    read: bool = False

    def envelope(self) -> dict[str, Any]:
        """The API's envelope: {"id", "type", "created_at", "read", "data"}."""
        return {
            "id": self.id,
            "type": self.type,
            "created_at": self.created_at,
            "read": self.read,
            "data": self.data,
        }


def insert(
    conn: sqlite3.Connection, items: Iterable[tuple[int, str, Any]], *, about: int | None = None
) -> list[Stored]:
    """Store (recipient id, type, data) notifications inside the caller's write transaction.

    `data` may be a dict or a msgspec Struct; it is stored as JSON exactly as it will be sent.
    `about` is the client the notifications concern (notifications.about_id), None for
    messages and SYSTEM.
    """
    now = utcnow()
    stored: list[Stored] = []
    for user_id, kind, data in items:
        if kind not in TYPES:
            raise ValueError(f"unknown notification type {kind}")
        payload = msgspec.json.encode(data)
        cur = conn.execute(
            "INSERT INTO notifications (user_id, type, data, created_at, about_id)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, kind, payload.decode(), now, about),
        )
        stored.append(
            Stored(int(cur.lastrowid or 0), user_id, kind, now, msgspec.json.decode(payload))
        )
    return stored


# Reading, marking and pruning the log (added with the live-coaching work).

ENVELOPE_COLUMNS = "id, type, created_at, read, data"


@dataclass(frozen=True, slots=True)
class Logged:
    """A notifications row as read back: ENVELOPE_COLUMNS, the data still its stored JSON."""

    id: int
    type: Kind
    created_at: str
    read: bool
    data: str


def _logged(row: Sequence[Any]) -> Logged:
    return Logged(int(row[0]), row[1], row[2], bool(row[3]), row[4])


def after(conn: sqlite3.Connection, user_id: int, since: int, limit: int) -> list[Logged]:
    """A user's notifications with id > since, oldest first, at most limit of them."""
    rows = conn.execute(
        f"SELECT {ENVELOPE_COLUMNS} FROM notifications WHERE user_id = ? AND id > ?"
        " ORDER BY id LIMIT ?",
        (user_id, since, limit),
    )
    return [_logged(row) for row in rows]


def newest_after(conn: sqlite3.Connection, user_id: int, since: int, limit: int) -> list[Logged]:
    """The newest `limit` notifications with id > since, returned oldest first (replay)."""
    rows = conn.execute(
        f"SELECT {ENVELOPE_COLUMNS} FROM notifications WHERE user_id = ? AND id > ?"
        " ORDER BY id DESC LIMIT ?",
        (user_id, since, limit),
    )
    found = [_logged(row) for row in rows]
    found.reverse()
    return found


def unread_count(conn: sqlite3.Connection, user_id: int) -> int:
    """How many of a user's stored notifications are unread."""
    row = conn.execute(
        "SELECT count(*) FROM notifications WHERE user_id = ? AND read = 0", (user_id,)
    ).fetchone()
    return int(row[0])


def last_id(conn: sqlite3.Connection, user_id: int) -> int:
    """The highest notification id of a user, or 0."""
    row = conn.execute("SELECT max(id) FROM notifications WHERE user_id = ?", (user_id,)).fetchone()
    return int(row[0] or 0)


def mark_read(conn: sqlite3.Connection, user_id: int, up_to: int) -> int:
    """Mark a user's notifications with id <= up_to read; returns how many changed."""
    cur = conn.execute(
        "UPDATE notifications SET read = 1 WHERE user_id = ? AND id <= ? AND read = 0",
        (user_id, up_to),
    )
    return cur.rowcount


def envelope_json(row: Logged) -> bytes:
    """A stored row as the envelope's JSON, splicing the stored data in without decoding it."""
    head = msgspec.json.encode({"id": row.id, "type": row.type, "created_at": row.created_at})
    flag = b"true" if row.read else b"false"
    return head[:-1] + b',"read":' + flag + b',"data":' + row.data.encode() + b"}"


def prune(conn: sqlite3.Connection, cutoff: str, max_per_user: int) -> int:
    """Delete notifications created before cutoff and all but each user's newest max_per_user."""
    # Ids grow with time, so the first recent row bounds the old ones: a walk over rows being
    # deleted anyway instead of a scan of the whole table.
    first = conn.execute(
        "SELECT id FROM notifications WHERE created_at >= ? ORDER BY id LIMIT 1", (cutoff,)
    ).fetchone()
    bound = 2**63 - 1 if first is None else int(first[0])
    removed = conn.execute("DELETE FROM notifications WHERE id < ?", (bound,)).rowcount
    crowded = conn.execute(
        "SELECT user_id FROM notifications GROUP BY user_id HAVING count(*) > ?", (max_per_user,)
    ).fetchall()
    for (user_id,) in crowded:
        removed += conn.execute(
            "DELETE FROM notifications WHERE user_id = ? AND id <= (SELECT id FROM notifications"
            " WHERE user_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
            (user_id, user_id, max_per_user),
        ).rowcount
    return removed
