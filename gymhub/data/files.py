"""Queries on stored files and their variants (the bytes live in the media tree)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from gymhub.data.db import Row

FILE_COLUMNS = (
    "id, owner_id, uploaded_by, category, mime, ext, size, sha256, original_name, width, height,"
    " created_at, meal_completion_id, progress_entry_id"
)
CATEGORIES = ("meal_photos", "progress_photos", "profile_photos", "documents")
IMAGE_CATEGORIES = frozenset({"meal_photos", "progress_photos", "profile_photos"})


def get_file(conn: sqlite3.Connection, file_id: str) -> Row | None:
    """The file row with this id, or None."""
    return conn.execute(f"SELECT {FILE_COLUMNS} FROM files WHERE id = ?", (file_id,)).fetchone()


def variants_of(conn: sqlite3.Connection, file_ids: Sequence[str]) -> dict[str, list[Row]]:
    """Variant rows of each file id, largest first."""
    found: dict[str, list[Row]] = {fid: [] for fid in file_ids}
    for chunk in _chunks(list(file_ids)):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT file_id, variant, ext, mime, width, height, size FROM file_variants"
            f" WHERE file_id IN ({marks}) ORDER BY file_id, width DESC",
            chunk,
        )
        for row in rows:
            found[row["file_id"]].append(row)
    return found


def files_linked(conn: sqlite3.Connection, column: str, ids: Iterable[int]) -> dict[int, list[Row]]:
    """Files linked to each meal (column meal_completion_id) or progress entry, oldest first."""
    if column not in ("meal_completion_id", "progress_entry_id"):
        raise ValueError(column)
    found: dict[int, list[Row]] = {i: [] for i in ids}
    for chunk in _chunks(list(found)):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT {FILE_COLUMNS} FROM files WHERE {column} IN ({marks}) ORDER BY rowid",
            chunk,
        )
        for row in rows:
            found[row[column]].append(row)
    return found


def link_progress_photos(
    conn: sqlite3.Connection, entry_id: int, owner_id: int, file_ids: Sequence[str]
) -> list[str]:
    """Link the owner's progress photos to an entry; returns the ids that are not such photos."""
    bad = []
    for file_id in file_ids:
        cur = conn.execute(
            "UPDATE files SET progress_entry_id = ? WHERE id = ? AND owner_id = ?"
            " AND category = 'progress_photos'",
            (entry_id, file_id, owner_id),
        )
        if cur.rowcount == 0:
            bad.append(file_id)
    return bad


def _chunks(items: list[str] | list[int], size: int = 500) -> Iterable[list[str] | list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
