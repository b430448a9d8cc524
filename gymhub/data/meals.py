"""Queries on meals (a client's logged meals; photos link to them through files)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gymhub.data.db import set_columns, utcnow

MEAL_COLUMNS = "id, client_id, meal_name, eaten_at, notes, created_at"


@dataclass(frozen=True, slots=True)
class Meal:
    """A logged meal, as stored (its photos are files linked through meal_completion_id)."""

    id: int
    client_id: int
    meal_name: str
    eaten_at: str
    notes: str | None
    created_at: str


def _meal(row: Sequence[Any]) -> Meal:
    return Meal(*row)


def insert(
    conn: sqlite3.Connection,
    client_id: int,
    meal_name: str,
    eaten_at: str | None,
    notes: str | None,
    *,
    created_at: str | None = None,
) -> Meal:
    """Store a meal (eaten_at defaults to now) and return its row; `created_at` other than now
    is for made-up history (the demo)."""
    now = created_at or utcnow()
    cur = conn.execute(
        "INSERT INTO meals (client_id, meal_name, eaten_at, notes, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (client_id, meal_name, eaten_at or now, notes, now),
    )
    row = get(conn, int(cur.lastrowid or 0))
    assert row is not None
    return row


def get(conn: sqlite3.Connection, meal_id: int) -> Meal | None:
    """The meal with this id, or None."""
    row = conn.execute(f"SELECT {MEAL_COLUMNS} FROM meals WHERE id = ?", (meal_id,)).fetchone()
    return None if row is None else _meal(row)


def list_for(
    conn: sqlite3.Connection, client_id: int, limit: int, before: int | None = None
) -> list[Meal]:
    """A client's meals, newest first (by id), optionally only those with id < before."""
    rows = conn.execute(
        f"SELECT {MEAL_COLUMNS} FROM meals WHERE client_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
        (client_id, before if before is not None else 2**63 - 1, limit),
    ).fetchall()
    return [_meal(r) for r in rows]


# The columns a correction may change (PATCH /api/nutrition/meals/{id}).
EDITABLE = ("meal_name", "eaten_at", "notes")


def update(conn: sqlite3.Connection, meal_id: int, changes: Mapping[str, Any]) -> Meal | None:
    """Apply changes to EDITABLE columns (others are refused) and return the row, or None."""
    set_columns(conn, "meals", meal_id, changes, EDITABLE)
    return get(conn, meal_id)


def delete(conn: sqlite3.Connection, meal_id: int) -> None:
    """Delete a meal row (its photos' rows are the caller's to delete first)."""
    conn.execute("DELETE FROM meals WHERE id = ?", (meal_id,))
