"""Connections for the offline commands and SQLite's own checks of a database file."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

# Offline commands wait this long for the server's write lock rather than fail at once.
BUSY_TIMEOUT_MS = 10_000


def open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection (mode=ro): a check never migrates or writes, even by accident."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def open_existing(path: Path) -> sqlite3.Connection:
    """A connection to an existing database file that never creates one (mode=rw)."""
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=rw", uri=True, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def make_standalone(conn: sqlite3.Connection) -> None:
    """Leave the database one self-contained file (no -wal or -shm beside it), keys enforced."""
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA foreign_keys = ON")


def schema_version(conn: sqlite3.Connection) -> int:
    """The number of the last migration applied (PRAGMA user_version)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def integrity_check(conn: sqlite3.Connection) -> list[str]:
    """SQLite's integrity check: ["ok"], or a line per problem found."""
    return [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]


def foreign_key_violations(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """Rows whose foreign keys point nowhere: (table, rowid, parent table, key index)."""
    return [tuple(r) for r in conn.execute("PRAGMA foreign_key_check").fetchall()]


def dangling_about(conn: sqlite3.Connection) -> int:
    """Notifications about a user who no longer exists (about_id has no foreign key)."""
    row = conn.execute(
        "SELECT count(*) FROM notifications WHERE about_id IS NOT NULL"
        " AND about_id NOT IN (SELECT id FROM users)"
    ).fetchone()
    return int(row[0])


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows in each table of the schema, by table name (SQLite's own tables left out)."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    return {n: int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}
