"""Queries on direct messages between users."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gymhub.data.db import utcnow

MESSAGE_COLUMNS = "id, sender_id, recipient_id, body, created_at, read_at, edited_at, deleted_at"
NO_CURSOR = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Message:
    """A messages row: its fields in MESSAGE_COLUMNS' order."""

    id: int
    sender_id: int
    recipient_id: int
    body: str
    created_at: str
    read_at: str | None
    edited_at: str | None = None
    deleted_at: str | None = None


def _message(row: Sequence[Any]) -> Message:
    return Message(*row)


def insert(conn: sqlite3.Connection, sender_id: int, recipient_id: int, body: str) -> Message:
    """Store a message and return its row."""
    cur = conn.execute(
        "INSERT INTO messages (sender_id, recipient_id, body, created_at) VALUES (?, ?, ?, ?)",
        (sender_id, recipient_id, body, utcnow()),
    )
    row = get(conn, int(cur.lastrowid or 0))
    assert row is not None
    return row


def get(conn: sqlite3.Connection, message_id: int) -> Message | None:
    """The message with this id, or None."""
    row = conn.execute(
        f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    return None if row is None else _message(row)


def conversation(
    conn: sqlite3.Connection,
    user_id: int,
    other_id: int | None,
    limit: int,
    before: int | None = None,
) -> list[Message]:
    """Messages the user sent or received (with one other user, if given), newest first."""
    cursor = before if before is not None else NO_CURSOR
    if other_id is None:
        sql = (
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE (sender_id = ? OR recipient_id = ?)"
            " AND id < ? ORDER BY id DESC LIMIT ?"
        )
        return [_message(row) for row in conn.execute(sql, (user_id, user_id, cursor, limit))]
    # Two index-friendly halves (one per direction) instead of an OR over both columns.
    sql = (
        f"SELECT {MESSAGE_COLUMNS} FROM messages"
        " WHERE sender_id = ? AND recipient_id = ? AND id < ?"
        f" UNION ALL SELECT {MESSAGE_COLUMNS} FROM messages"
        " WHERE sender_id = ? AND recipient_id = ? AND id < ? ORDER BY id DESC LIMIT ?"
    )
    params = (user_id, other_id, cursor, other_id, user_id, cursor, limit)
    return [_message(row) for row in conn.execute(sql, params)]


def mark_read(conn: sqlite3.Connection, message_id: int) -> Message:
    """Set read_at once (the first read wins) and return the row."""
    conn.execute(
        "UPDATE messages SET read_at = ? WHERE id = ? AND read_at IS NULL", (utcnow(), message_id)
    )
    row = get(conn, message_id)
    assert row is not None
    return row


def edit(conn: sqlite3.Connection, message_id: int, body: str) -> Message:
    """Replace a message's body and set edited_at; returns the row."""
    conn.execute(
        "UPDATE messages SET body = ?, edited_at = ? WHERE id = ?", (body, utcnow(), message_id)
    )
    row = get(conn, message_id)
    assert row is not None
    return row


def erase(conn: sqlite3.Connection, message_id: int) -> Message:
    """Mark a message deleted and drop its text (the row stays so both threads keep their
    order); a second call changes nothing. Returns the row."""
    conn.execute(
        "UPDATE messages SET body = '', deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
        (utcnow(), message_id),
    )
    row = get(conn, message_id)
    assert row is not None
    return row
