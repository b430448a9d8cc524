"""Recording progress: the entry, its photo links and PROGRESS_UPDATED in one write."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gymhub.auth.policy import Viewer
from gymhub.data import files, progress
from gymhub.data.catalogue import PROGRESS_LINK
from gymhub.data.db import Database
from gymhub.data.notifications import Stored
from gymhub.errors import InvalidRequest
from gymhub.realtime.events import address, client_and_trainers
from gymhub.schemas.coaching import Progress
from gymhub.services import Publish, write_and_publish
from gymhub.views.progress import entry_view


@dataclass(frozen=True)
class NewEntry:
    """A progress entry as its client records it (recorded_at an API time, or None for now)."""

    recorded_at: str | None
    weight_kg: float | None
    body_fat_pct: float | None
    notes: str | None
    photo_ids: Sequence[str] = ()
    # In cm by name (waist_cm, ...); only the ones measured.
    measurements: Mapping[str, float] = field(default_factory=dict)


async def record_progress(
    db: Database, publish: Publish, viewer: Viewer, new: NewEntry
) -> Progress:
    """Store the viewer's entry with their unlinked progress photos (400 naming any that are
    not) and tell them and their trainers; the entry as the viewer sees it."""

    def record(conn: sqlite3.Connection) -> tuple[Progress, list[Stored]]:
        try:
            row = progress.insert(
                conn,
                viewer.id,
                new.recorded_at,
                new.weight_kg,
                new.body_fat_pct,
                new.notes,
                new.photo_ids,
                new.measurements,
            )
        except progress.BadPhotos as bad:
            raise InvalidRequest(
                f"photo_ids: not your unlinked progress photos: {', '.join(bad.ids)}"
            ) from None
        photos = files.files_linked(conn, PROGRESS_LINK, [row.id])[row.id]
        stored = address(
            conn,
            "PROGRESS_UPDATED",
            client_and_trainers(conn, viewer.id),
            lambda who: {"entry": entry_view(conn, who, row, photos)},
            about=viewer.id,
        )
        return entry_view(conn, viewer, row, photos), stored

    return await write_and_publish(db, publish, record)
