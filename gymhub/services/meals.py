"""Logging a meal: its row and MEAL_COMPLETED notifications in one write."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from gymhub.auth.policy import Viewer
from gymhub.data import meals
from gymhub.data.db import Database
from gymhub.data.notifications import Stored
from gymhub.realtime.events import address, client_and_trainers
from gymhub.schemas.coaching import Meal
from gymhub.services import Publish, write_and_publish
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
