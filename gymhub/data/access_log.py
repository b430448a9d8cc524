"""The access log: views of a user's files by someone else, one row per viewer, file and day."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ACCESS_COLUMNS = "id, owner_id, viewer_id, file_id, category, day, count, first_at, last_at"

# Added to what is stored: a batch from the recorder may meet a row an earlier batch wrote. A
# view by or of a user erased since it was counted is dropped (the EXISTS guards).
_UPSERT = """
INSERT INTO access_log (owner_id, viewer_id, file_id, category, day, count, first_at, last_at)
SELECT :owner_id, :viewer_id, :file_id, :category, :day, :count, :first_at, :last_at
WHERE EXISTS (SELECT 1 FROM users WHERE id = :owner_id)
  AND EXISTS (SELECT 1 FROM users WHERE id = :viewer_id)
ON CONFLICT (viewer_id, file_id, day) DO UPDATE SET
    count = count + excluded.count,
    first_at = min(first_at, excluded.first_at),
    last_at = max(last_at, excluded.last_at)
"""


@dataclass(frozen=True, slots=True)
class Seen:
    """An access_log row: ACCESS_COLUMNS in order."""

    id: int
    owner_id: int
    viewer_id: int
    file_id: str
    category: str
    day: str
    count: int
    first_at: str
    last_at: str


def add(conn: sqlite3.Connection, views: Sequence[dict[str, Any]]) -> None:
    """Add counted views (owner_id, viewer_id, file_id, category, day, count, first_at,
    last_at) to the log, in the caller's transaction."""
    conn.executemany(_UPSERT, views)


def page(conn: sqlite3.Connection, owner_id: int, limit: int, before: int | None) -> list[Seen]:
    """An owner's log, newest first by id, optionally before an id."""
    rows = conn.execute(
        f"SELECT {ACCESS_COLUMNS} FROM access_log WHERE owner_id = ? AND id < ?"
        " ORDER BY id DESC LIMIT ?",
        (owner_id, 2**63 - 1 if before is None else before, limit),
    )
    return [Seen(*row) for row in rows]


def all_of(conn: sqlite3.Connection, owner_id: int) -> list[Seen]:
    """An owner's whole log, oldest first (the export)."""
    rows = conn.execute(
        f"SELECT {ACCESS_COLUMNS} FROM access_log WHERE owner_id = ? ORDER BY id", (owner_id,)
    )
    return [Seen(*row) for row in rows]
