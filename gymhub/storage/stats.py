"""Storage statistics from the rows (sizes are recorded at upload) and the disk's free space."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from gymhub.storage.layout import CATEGORIES


def _scope(trainer_id: int | None) -> tuple[str, tuple[Any, ...]]:
    if trainer_id is None:
        return "", ()
    return " WHERE f.owner_id IN (SELECT client_id FROM assignments WHERE trainer_id = ?)", (
        trainer_id,
    )


def usage(conn: sqlite3.Connection, trainer_id: int | None) -> dict[str, Any]:
    """Files and bytes per category and variant bytes: the whole store, or a trainer's clients."""
    where, params = _scope(trainer_id)
    by_category = {c: {"files": 0, "bytes": 0} for c in CATEGORIES}
    for row in conn.execute(
        f"SELECT f.category, COUNT(*), COALESCE(SUM(f.size), 0) FROM files f{where}"
        " GROUP BY f.category",
        params,
    ):
        by_category[row[0]] = {"files": int(row[1]), "bytes": int(row[2])}
    variant_bytes = conn.execute(
        "SELECT COALESCE(SUM(v.size), 0) FROM file_variants v"
        f" JOIN files f ON f.id = v.file_id{where}",
        params,
    ).fetchone()[0]
    return {
        "total_files": sum(c["files"] for c in by_category.values()),
        "total_bytes": sum(c["bytes"] for c in by_category.values()),
        "by_category": by_category,
        "variant_bytes": int(variant_bytes),
    }


def owner_usage(conn: sqlite3.Connection, owner_id: int) -> int:
    """Bytes an owner stores: originals and variants together (what the quota counts)."""
    row = conn.execute(
        "SELECT (SELECT COALESCE(SUM(size), 0) FROM files WHERE owner_id = ?)"
        " + (SELECT COALESCE(SUM(v.size), 0) FROM file_variants v JOIN files f"
        " ON f.id = v.file_id WHERE f.owner_id = ?)",
        (owner_id, owner_id),
    ).fetchone()
    return int(row[0])


def store_bytes(conn: sqlite3.Connection) -> int:
    """Every stored byte, originals and variants (the STORAGE_BYTES gauge)."""
    row = usage(conn, None)
    return int(row["total_bytes"]) + int(row["variant_bytes"])


def disk(path: Path) -> dict[str, int]:
    """Total and free bytes of the file system holding the media tree."""
    total, _, free = shutil.disk_usage(path)
    return {"total_bytes": int(total), "free_bytes": int(free)}
