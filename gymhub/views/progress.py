"""Progress entries as the API shows them to one viewer."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from gymhub.auth import policy
from gymhub.data import files
from gymhub.data.catalogue import PROGRESS_LINK
from gymhub.schemas.coaching import Progress
from gymhub.views.files import render_files


def entry_view(
    conn: sqlite3.Connection, viewer: policy.Viewer, row: sqlite3.Row, photos: Sequence[sqlite3.Row]
) -> Progress:
    """A progress row as this viewer may see it (photos filtered by the file policy)."""
    return Progress(
        id=row["id"],
        client_id=row["client_id"],
        recorded_at=row["recorded_at"],
        weight_kg=row["weight_kg"],
        body_fat_pct=row["body_fat_pct"],
        notes=row["notes"],
        created_at=row["created_at"],
        photos=render_files(conn, viewer, photos),
    )


def entries_view(
    conn: sqlite3.Connection, viewer: policy.Viewer, rows: Sequence[sqlite3.Row]
) -> list[Progress]:
    """Several entries with their photos, loaded in one query."""
    linked = files.files_linked(conn, PROGRESS_LINK, [r["id"] for r in rows])
    return [entry_view(conn, viewer, r, linked[r["id"]]) for r in rows]
