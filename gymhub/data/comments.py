"""Queries on comments: feedback on a meal, a progress entry or a photo.

target_id is stored as text (a meal's or entry's id, or a file's id); client_id is the client
the target belongs to, so the dashboard, export and erasure find a client's comments at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gymhub.data.db import utcnow

COMMENT_COLUMNS = "id, author_id, client_id, target, target_id, body, created_at"


@dataclass(frozen=True, slots=True)
class Comment:
    """A comments row: its fields in COMMENT_COLUMNS' order (target_id as stored, text)."""

    id: int
    author_id: int
    client_id: int
    target: str
    target_id: str
    body: str
    created_at: str


def _comment(row: Sequence[Any]) -> Comment:
    return Comment(*row)


def insert(
    conn: sqlite3.Connection,
    author_id: int,
    client_id: int,
    target: str,
    target_id: str,
    body: str,
) -> Comment:
    """Store a comment in the caller's transaction and return its row."""
    cur = conn.execute(
        "INSERT INTO comments (author_id, client_id, target, target_id, body, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (author_id, client_id, target, target_id, body, utcnow()),
    )
    row = get(conn, int(cur.lastrowid or 0))
    assert row is not None
    return row


def get(conn: sqlite3.Connection, comment_id: int) -> Comment | None:
    """The comment with this id, or None."""
    row = conn.execute(
        f"SELECT {COMMENT_COLUMNS} FROM comments WHERE id = ?", (comment_id,)
    ).fetchone()
    return None if row is None else _comment(row)


def list_for(conn: sqlite3.Connection, target: str, target_id: str) -> list[Comment]:
    """The comments on one target, oldest first."""
    rows = conn.execute(
        f"SELECT {COMMENT_COLUMNS} FROM comments WHERE target = ? AND target_id = ? ORDER BY id",
        (target, target_id),
    )
    return [_comment(r) for r in rows]


def delete(conn: sqlite3.Connection, comment_id: int) -> None:
    """Delete one comment."""
    conn.execute("DELETE FROM comments WHERE id = ?", (comment_id,))


def counts(conn: sqlite3.Connection, target: str, ids: Iterable[int | str]) -> dict[str, int]:
    """How many comments each target has, in one query per 500 ids (keys: ids as text; targets
    without comments are left out)."""
    keys = list(dict.fromkeys(str(i) for i in ids))
    found: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT target_id, count(*) FROM comments WHERE target = ? AND target_id IN ({marks})"
            " GROUP BY target_id",
            [target, *chunk],
        )
        found.update((str(r[0]), int(r[1])) for r in rows)
    return found
