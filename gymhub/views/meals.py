"""Meals as the API shows them to one viewer."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from gymhub.auth import policy
from gymhub.data import files
from gymhub.data.catalogue import MEAL_LINK
from gymhub.schemas.coaching import Meal
from gymhub.views.files import render_files


def meal_view(
    conn: sqlite3.Connection, viewer: policy.Viewer, row: sqlite3.Row, photos: Sequence[sqlite3.Row]
) -> Meal:
    """A meal row as this viewer may see it (photos filtered and shaped by the file policy)."""
    return Meal(
        id=row["id"],
        client_id=row["client_id"],
        meal_name=row["meal_name"],
        eaten_at=row["eaten_at"],
        notes=row["notes"],
        created_at=row["created_at"],
        photos=render_files(conn, viewer, photos),
    )


def meals_view(
    conn: sqlite3.Connection, viewer: policy.Viewer, rows: Sequence[sqlite3.Row]
) -> list[Meal]:
    """Several meals with their photos, loaded in one query."""
    linked = files.files_linked(conn, MEAL_LINK, [r["id"] for r in rows])
    return [meal_view(conn, viewer, r, linked[r["id"]]) for r in rows]
