"""Everything of one user, read for their export: rows as plain column dicts."""

from __future__ import annotations

import sqlite3
from typing import Any

# The file name in the archive and the rows of the user it holds. Secrets stay out.
QUERIES = {
    "account": "SELECT * FROM users WHERE id = :id",
    "meals": "SELECT * FROM meals WHERE client_id = :id ORDER BY id",
    "progress": "SELECT * FROM progress_entries WHERE client_id = :id ORDER BY id",
    "messages": "SELECT * FROM messages WHERE :id IN (sender_id, recipient_id) ORDER BY id",
    "comments": "SELECT * FROM comments WHERE :id IN (author_id, client_id) ORDER BY id",
    "notifications": "SELECT * FROM notifications WHERE user_id = :id ORDER BY id",
    "access-log": "SELECT * FROM access_log WHERE owner_id = :id ORDER BY id",
    "files": "SELECT * FROM files WHERE owner_id = :id ORDER BY rowid",
}
SECRET_COLUMNS = frozenset({"password_hash", "token_version"})


def _dicts(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [
        {n: v for n, v in zip(names, row, strict=True) if n not in SECRET_COLUMNS} for row in cur
    ]


def snapshot(conn: sqlite3.Connection, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every export table's rows of the user, read in one transaction so they agree."""
    conn.execute("BEGIN")
    try:
        return {name: _dicts(conn.execute(sql, {"id": user_id})) for name, sql in QUERIES.items()}
    finally:
        conn.execute("COMMIT")
