"""Queries on meals (a client's logged meals; photos link to them through files)."""

from __future__ import annotations

import sqlite3

from gymhub.data.db import Row, utcnow

MEAL_COLUMNS = "id, client_id, meal_name, eaten_at, notes, created_at"


def insert(
    conn: sqlite3.Connection,
    client_id: int,
    meal_name: str,
    eaten_at: str | None,
    notes: str | None,
) -> Row:
    """Store a meal (eaten_at defaults to now) and return its row."""
    now = utcnow()
    cur = conn.execute(
        "INSERT INTO meals (client_id, meal_name, eaten_at, notes, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (client_id, meal_name, eaten_at or now, notes, now),
    )
    row = get(conn, int(cur.lastrowid or 0))
    assert row is not None
    return row


def get(conn: sqlite3.Connection, meal_id: int) -> Row | None:
    """The meal with this id, or None."""
    return conn.execute(f"SELECT {MEAL_COLUMNS} FROM meals WHERE id = ?", (meal_id,)).fetchone()


def list_for(
    conn: sqlite3.Connection, client_id: int, limit: int, before: int | None = None
) -> list[Row]:
    """A client's meals, newest first (by id), optionally only those with id < before."""
    return conn.execute(
        f"SELECT {MEAL_COLUMNS} FROM meals WHERE client_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
        (client_id, before if before is not None else 2**63 - 1, limit),
    ).fetchall()
