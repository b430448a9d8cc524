"""Queries on direct messages between users."""

from __future__ import annotations

import sqlite3

from gymhub.data.db import Row, utcnow

MESSAGE_COLUMNS = "id, sender_id, recipient_id, body, created_at, read_at"
NO_CURSOR = 2**63 - 1


def insert(conn: sqlite3.Connection, sender_id: int, recipient_id: int, body: str) -> Row:
    """Store a message and return its row."""
    cur = conn.execute(
        "INSERT INTO messages (sender_id, recipient_id, body, created_at) VALUES (?, ?, ?, ?)",
        (sender_id, recipient_id, body, utcnow()),
    )
    row = get(conn, int(cur.lastrowid or 0))
    assert row is not None
    return row


def get(conn: sqlite3.Connection, message_id: int) -> Row | None:
    """The message with this id, or None."""
    return conn.execute(
        f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
    ).fetchone()


def conversation(
    conn: sqlite3.Connection,
    user_id: int,
    other_id: int | None,
    limit: int,
    before: int | None = None,
) -> list[Row]:
    """Messages the user sent or received (with one other user, if given), newest first."""
    cursor = before if before is not None else NO_CURSOR
    if other_id is None:
        sql = (
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE (sender_id = ? OR recipient_id = ?)"
            " AND id < ? ORDER BY id DESC LIMIT ?"
        )
        return conn.execute(sql, (user_id, user_id, cursor, limit)).fetchall()
    # Two index-friendly halves (one per direction) instead of an OR over both columns.
    sql = (
        f"SELECT {MESSAGE_COLUMNS} FROM messages"
        " WHERE sender_id = ? AND recipient_id = ? AND id < ?"
        f" UNION ALL SELECT {MESSAGE_COLUMNS} FROM messages"
        " WHERE sender_id = ? AND recipient_id = ? AND id < ? ORDER BY id DESC LIMIT ?"
    )
    params = (user_id, other_id, cursor, other_id, user_id, cursor, limit)
    return conn.execute(sql, params).fetchall()


def mark_read(conn: sqlite3.Connection, message_id: int) -> Row:
    """Set read_at once (the first read wins) and return the row."""
    conn.execute(
        "UPDATE messages SET read_at = ? WHERE id = ? AND read_at IS NULL", (utcnow(), message_id)
    )
    row = get(conn, message_id)
    assert row is not None
    return row
