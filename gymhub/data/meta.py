"""The meta table: the data directory's identity and the time of the last clean shutdown."""

from __future__ import annotations

import sqlite3

DATA_DIR_ID = "data_dir_id"
CLEAN_SHUTDOWN_AT = "clean_shutdown_at"


def has_meta_table(conn: sqlite3.Connection) -> bool:
    """Whether the database has the meta table yet (a round-1 database does not)."""
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    return row is not None


def get(conn: sqlite3.Connection, key: str) -> str | None:
    """One meta value, or None when unset (or when there is no meta table yet)."""
    if not has_meta_table(conn):
        return None
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def put(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Set one meta value (inside the caller's write transaction)."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def delete(conn: sqlite3.Connection, key: str) -> None:
    """Unset one meta value (inside the caller's write transaction)."""
    conn.execute("DELETE FROM meta WHERE key = ?", (key,))


def table_count(conn: sqlite3.Connection) -> int:
    """How many tables the schema has: 0 for a new, empty database file."""
    return int(
        conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    )


def file_rows(conn: sqlite3.Connection) -> int:
    """How many file rows there are (0 when the files table does not exist yet)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'files'"
    ).fetchone()
    if exists is None:
        return 0
    return int(conn.execute("SELECT count(*) FROM files").fetchone()[0])


def clean_shutdown_at(conn: sqlite3.Connection) -> float | None:
    """When the server last stopped cleanly (epoch seconds), or None if never recorded."""
    value = get(conn, CLEAN_SHUTDOWN_AT)
    try:
        return None if value is None else float(value)
    except ValueError:
        return None  # unreadable: treat as never, so nothing is taken for a crash leftover


def mark_clean_shutdown(conn: sqlite3.Connection, when: float) -> None:
    """Record a clean shutdown at `when` (inside the caller's write transaction)."""
    put(conn, CLEAN_SHUTDOWN_AT, repr(when))
