"""Storage statistics from the rows (sizes are recorded at upload) and the disk's free space."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from gymhub.data import stats as data_stats
from gymhub.data.catalogue import CATEGORIES


def usage(conn: sqlite3.Connection, trainer_id: int | None) -> dict[str, Any]:
    """Files and bytes per category and variant bytes: the whole store, or a trainer's clients."""
    by_category = {c: {"files": 0, "bytes": 0} for c in CATEGORIES}
    for category, (count, size) in data_stats.category_totals(conn, trainer_id).items():
        by_category[category] = {"files": count, "bytes": size}
    return {
        "total_files": sum(c["files"] for c in by_category.values()),
        "total_bytes": sum(c["bytes"] for c in by_category.values()),
        "by_category": by_category,
        "variant_bytes": data_stats.variant_bytes(conn, trainer_id),
    }


def store_bytes(conn: sqlite3.Connection) -> int:
    """Every stored byte, originals and variants (the STORAGE_BYTES gauge)."""
    row = usage(conn, None)
    return int(row["total_bytes"]) + int(row["variant_bytes"])


def disk(path: Path) -> dict[str, int]:
    """Total and free bytes of the file system holding the media tree."""
    total, _, free = shutil.disk_usage(path)
    return {"total_bytes": int(total), "free_bytes": int(free)}
