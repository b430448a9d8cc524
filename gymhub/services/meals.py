"""Logging and correcting meals: each write with its notifications in one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gymhub.auth import policy
from gymhub.auth.policy import Viewer
from gymhub.data import files, meals
from gymhub.data.catalogue import MEAL_LINK
from gymhub.data.db import Database
from gymhub.data.notifications import Stored
from gymhub.errors import NotFound
from gymhub.realtime.events import address, client_and_trainers
from gymhub.schemas.coaching import Meal
from gymhub.services import Publish, write_and_publish
from gymhub.services.records import Kind, delete_record
from gymhub.storage.store import Storage
from gymhub.views.meals import meal_view


@dataclass(frozen=True)
class NewMeal:
    """A meal as its client logs it (eaten_at already an API time, or None for now)."""

    meal_name: str
    eaten_at: str | None = None
    notes: str | None = None


async def log_meal(db: Database, publish: Publish, viewer: Viewer, new: NewMeal) -> Meal:
    """Store the viewer's meal and tell them and their trainers; the meal as the viewer sees it."""

    def complete(conn: sqlite3.Connection) -> tuple[Meal, list[Stored]]:
        row = meals.insert(conn, viewer.id, new.meal_name, new.eaten_at, new.notes)
        stored = address(
            conn,
            "MEAL_COMPLETED",
            client_and_trainers(conn, viewer.id),
            lambda who: {"meal": meal_view(conn, who, row, [])},
            about=viewer.id,
        )
        return meal_view(conn, viewer, row, []), stored

    return await write_and_publish(db, publish, complete)


MISSING = "No such meal."


async def edit_meal(
    db: Database, publish: Publish, viewer: Viewer, meal_id: int, changes: Mapping[str, Any]
) -> Meal:
    """Correct the viewer's own meal and tell them and their trainers (MEAL_UPDATED); an empty
    change returns the meal as it is, and tells nobody."""

    def edit(conn: sqlite3.Connection) -> tuple[Meal, list[Stored]]:
        row = meals.get(conn, meal_id)
        if row is None:
            raise NotFound(MISSING)
        policy.correct_record(conn, viewer, row.client_id, False, MISSING)
        photos = files.files_linked(conn, MEAL_LINK, [meal_id])[meal_id]
        if not changes:
            return meal_view(conn, viewer, row, photos), []
        row = meals.update(conn, meal_id, changes)
        assert row is not None
        done = row
        stored = address(
            conn,
            "MEAL_UPDATED",
            client_and_trainers(conn, done.client_id),
            lambda who: {"meal": meal_view(conn, who, done, photos)},
            about=done.client_id,
        )
        return meal_view(conn, viewer, done, photos), stored

    return await write_and_publish(db, publish, edit)


MEAL_KIND = Kind(meals.get, meals.delete, MEAL_LINK, "MEAL_DELETED", "meal_id", MISSING)


async def delete_meal(
    db: Database, storage: Storage, publish: Publish, viewer: Viewer, meal_id: int
) -> None:
    """Delete it with its photos for its client or an admin (services.records)."""
    await delete_record(db, storage, publish, viewer, MEAL_KIND, meal_id)
