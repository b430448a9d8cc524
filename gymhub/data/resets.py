"""Password reset codes: one live code per user, stored only as a hash."""

from __future__ import annotations

import sqlite3


def store(conn: sqlite3.Connection, user_id: int, code_hash: str, expires_at: str) -> None:
    """Store a user's code hash, replacing any earlier code."""
    conn.execute(
        "INSERT INTO reset_codes (user_id, code_hash, expires_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET code_hash = excluded.code_hash,"
        " expires_at = excluded.expires_at",
        (user_id, code_hash, expires_at),
    )


def live_hash(conn: sqlite3.Connection, user_id: int, now: str) -> str | None:
    """The hash of the user's code if it has not expired by `now`, else None."""
    row = conn.execute(
        "SELECT code_hash FROM reset_codes WHERE user_id = ? AND expires_at > ?", (user_id, now)
    ).fetchone()
    return None if row is None else str(row[0])


def consume(conn: sqlite3.Connection, user_id: int, code_hash: str, now: str) -> bool:
    """Delete the user's code if it is this one and still live; whether it was (single use)."""
    cur = conn.execute(
        "DELETE FROM reset_codes WHERE user_id = ? AND code_hash = ? AND expires_at > ?",
        (user_id, code_hash, now),
    )
    return cur.rowcount == 1
