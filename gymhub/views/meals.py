"""Meals as the API shows them to one viewer."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from gymhub.auth import policy
from gymhub.data import meals
from gymhub.data.catalogue import MEAL_LINK
from gymhub.data.files import FileRow
from gymhub.schemas.coaching import Meal
from gymhub.views.records import many_with_photos, with_photos


def meal_view(
    conn: sqlite3.Connection, viewer: policy.Viewer, row: meals.Meal, photos: Sequence[FileRow]
) -> Meal:
    """A meal row as this viewer may see it (photos filtered and shaped by the file policy)."""
    return with_photos(Meal, conn, viewer, row, photos)


def meals_view(
    conn: sqlite3.Connection, viewer: policy.Viewer, rows: Sequence[meals.Meal]
) -> list[Meal]:
    """Several meals with their photos, loaded in one query."""
    return many_with_photos(Meal, MEAL_LINK, conn, viewer, rows)
