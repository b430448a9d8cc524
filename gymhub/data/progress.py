"""Queries on progress entries (weight, body fat, notes; progress photos link to them)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gymhub.data import files
from gymhub.data.db import set_columns, utcnow

PROGRESS_COLUMNS = (
    "id, client_id, recorded_at, weight_kg, body_fat_pct, notes, created_at, measurements"
)


@dataclass(frozen=True, slots=True)
class Entry:
    """A progress entry, as stored (its photos are files linked through progress_entry_id)."""

    id: int
    client_id: int
    recorded_at: str
    weight_kg: float | None
    body_fat_pct: float | None
    notes: str | None
    created_at: str
    # The measurements in cm by name (waist_cm, ...); {} when none were taken.
    measurements: dict[str, float]


def _entry(row: Sequence[Any]) -> Entry:
    # The stored JSON object becomes a dict: views turn it into the API's Measurements.
    return Entry(row[0], row[1], row[2], row[3], row[4], row[5], row[6], json.loads(row[7]))


class BadPhotos(Exception):
    """Some photo ids are not the owner's unlinked progress photos."""

    def __init__(self, ids: Sequence[str]):
        super().__init__(", ".join(ids))
        self.ids = list(ids)


def insert(
    conn: sqlite3.Connection,
    client_id: int,
    recorded_at: str | None,
    weight_kg: float | None,
    body_fat_pct: float | None,
    notes: str | None,
    photo_ids: Sequence[str] = (),
    measurements: Mapping[str, float] | None = None,
) -> Entry:
    """Store an entry and link its photos, inside the caller's transaction (BadPhotos aborts it)."""
    now = utcnow()
    cur = conn.execute(
        "INSERT INTO progress_entries (client_id, recorded_at, weight_kg, body_fat_pct, notes,"
        " created_at, measurements) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            client_id,
            recorded_at or now,
            weight_kg,
            body_fat_pct,
            notes,
            now,
            json.dumps(dict(measurements or {})),
        ),
    )
    entry_id = int(cur.lastrowid or 0)
    _link(conn, entry_id, client_id, photo_ids)
    row = get(conn, entry_id)
    assert row is not None
    return row


def get(conn: sqlite3.Connection, entry_id: int) -> Entry | None:
    """The entry with this id, or None."""
    row = conn.execute(
        f"SELECT {PROGRESS_COLUMNS} FROM progress_entries WHERE id = ?", (entry_id,)
    ).fetchone()
    return None if row is None else _entry(row)


def list_for(
    conn: sqlite3.Connection, client_id: int, limit: int, before: int | None = None
) -> list[Entry]:
    """A client's entries, newest first (by id), optionally only those with id < before."""
    rows = conn.execute(
        f"SELECT {PROGRESS_COLUMNS} FROM progress_entries WHERE client_id = ? AND id < ?"
        " ORDER BY id DESC LIMIT ?",
        (client_id, before if before is not None else 2**63 - 1, limit),
    ).fetchall()
    return [_entry(r) for r in rows]


def _link(
    conn: sqlite3.Connection, entry_id: int, client_id: int, photo_ids: Sequence[str]
) -> None:
    """Link the client's unlinked progress photos to the entry (BadPhotos names the others)."""
    if not photo_ids:
        return
    # A photo already shown on another entry stays there: moving it would rewrite history.
    taken = [
        fid
        for fid in photo_ids
        if conn.execute(
            "SELECT 1 FROM files WHERE id = ? AND progress_entry_id IS NOT NULL"
            " AND progress_entry_id != ?",
            (fid, entry_id),
        ).fetchone()
    ]
    bad = taken + files.link_progress_photos(conn, entry_id, client_id, photo_ids)
    if bad:
        raise BadPhotos(bad)


# The columns a correction may change (PATCH /api/progress/{id}); photos go by replace_photos.
EDITABLE = ("recorded_at", "weight_kg", "body_fat_pct", "notes", "measurements")


def _stored(column: str, value: Any) -> Any:
    # measurements is a JSON object in its column; None clears it like {}.
    return json.dumps(dict(value or {})) if column == "measurements" else value


def update(conn: sqlite3.Connection, entry_id: int, changes: Mapping[str, Any]) -> Entry | None:
    """Apply changes to EDITABLE columns (others are refused) and return the row, or None."""
    set_columns(conn, "progress_entries", entry_id, changes, EDITABLE, _stored)
    return get(conn, entry_id)


def replace_photos(
    conn: sqlite3.Connection, entry_id: int, client_id: int, photo_ids: Sequence[str]
) -> None:
    """Make exactly these photos the entry's: the others are unlinked (kept as files), the new
    ones must be the client's unlinked progress photos (BadPhotos aborts the transaction)."""
    marks = ",".join("?" * len(photo_ids))
    keep = f" AND id NOT IN ({marks})" if photo_ids else ""
    conn.execute(
        f"UPDATE files SET progress_entry_id = NULL WHERE progress_entry_id = ?{keep}",
        (entry_id, *photo_ids),
    )
    _link(conn, entry_id, client_id, photo_ids)


def delete(conn: sqlite3.Connection, entry_id: int) -> None:
    """Delete an entry row (its photos' rows are the caller's to delete first)."""
    conn.execute("DELETE FROM progress_entries WHERE id = ?", (entry_id,))
