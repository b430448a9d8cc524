"""Sums over stored files: bytes and counts per category, and what an owner's quota counts."""

from __future__ import annotations

import sqlite3
from typing import Any


def _scope(trainer_id: int | None) -> tuple[str, tuple[Any, ...]]:
    if trainer_id is None:
        return "", ()
    return " WHERE f.owner_id IN (SELECT client_id FROM assignments WHERE trainer_id = ?)", (
        trainer_id,
    )


def category_totals(conn: sqlite3.Connection, trainer_id: int | None) -> dict[str, tuple[int, int]]:
    """(files, bytes) per category that has any: the whole store, or a trainer's clients."""
    where, params = _scope(trainer_id)
    rows = conn.execute(
        f"SELECT f.category, COUNT(*), COALESCE(SUM(f.size), 0) FROM files f{where}"
        " GROUP BY f.category",
        params,
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in rows}


def variant_bytes(conn: sqlite3.Connection, trainer_id: int | None) -> int:
    """Bytes of every variant: the whole store's, or those of a trainer's clients' files."""
    where, params = _scope(trainer_id)
    row = conn.execute(
        "SELECT COALESCE(SUM(v.size), 0) FROM file_variants v"
        f" JOIN files f ON f.id = v.file_id{where}",
        params,
    ).fetchone()
    return int(row[0])


def owner_usage(conn: sqlite3.Connection, owner_id: int) -> int:
    """Bytes an owner stores: originals and variants together (what the quota counts)."""
    row = conn.execute(
        "SELECT (SELECT COALESCE(SUM(size), 0) FROM files WHERE owner_id = ?)"
        " + (SELECT COALESCE(SUM(v.size), 0) FROM file_variants v JOIN files f"
        " ON f.id = v.file_id WHERE f.owner_id = ?)",
        (owner_id, owner_id),
    ).fetchone()
    return int(row[0])
