"""Recording and correcting progress: each entry write, its photo links and notifications in
one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gymhub.auth import policy
from gymhub.auth.policy import Viewer
from gymhub.data import files, progress
from gymhub.data.catalogue import PROGRESS_LINK
from gymhub.data.db import Database
from gymhub.data.files import FileRow
from gymhub.data.notifications import Stored
from gymhub.errors import InvalidRequest, NotFound
from gymhub.realtime.events import address, client_and_trainers
from gymhub.schemas.coaching import Progress
from gymhub.services import Publish, write_and_publish
from gymhub.services.records import Kind, delete_record
from gymhub.storage.store import Storage
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
            raise _bad_photos(bad) from None
        photos = files.files_linked(conn, PROGRESS_LINK, [row.id])[row.id]
        stored = address(
            conn,
            "PROGRESS_UPDATED",
            client_and_trainers(conn, viewer.id),
            lambda who: {"entry": entry_view(conn, who, row, photos), "action": "created"},
            about=viewer.id,
        )
        return entry_view(conn, viewer, row, photos), stored

    return await write_and_publish(db, publish, record)


MISSING = "No such progress entry."
EMPTY = "weight_kg: an entry needs a weight, body fat, notes or photo_ids."


def _bad_photos(bad: progress.BadPhotos) -> InvalidRequest:
    return InvalidRequest(f"photo_ids: not your unlinked progress photos: {', '.join(bad.ids)}")


def _empty(row: progress.Entry, photos: Sequence[FileRow]) -> bool:
    """Whether a corrected entry is left with nothing (the create shape refuses that too)."""
    kept = (row.weight_kg, row.body_fat_pct, row.notes, row.measurements, photos)
    return not any(kept)  # weights and body fat are never 0


async def edit_entry(
    db: Database, publish: Publish, viewer: Viewer, entry_id: int, changes: Mapping[str, Any]
) -> Progress:
    """Correct the viewer's own entry: columns of progress.EDITABLE, and `photo_ids` (None or a
    list) replaces the linked photos. Tells them and their trainers (PROGRESS_UPDATED, action
    "updated"); an empty change returns the entry as it is and tells nobody."""
    columns = {k: v for k, v in changes.items() if k != "photo_ids"}

    def edit(conn: sqlite3.Connection) -> tuple[Progress, list[Stored]]:
        row = progress.get(conn, entry_id)
        if row is None:
            raise NotFound(MISSING)
        policy.correct_record(conn, viewer, row.client_id, False, MISSING)
        if changes:
            row = progress.update(conn, entry_id, columns)
            assert row is not None
        if "photo_ids" in changes:
            try:
                progress.replace_photos(conn, entry_id, row.client_id, changes["photo_ids"] or [])
            except progress.BadPhotos as bad:
                raise _bad_photos(bad) from None
        photos = files.files_linked(conn, PROGRESS_LINK, [entry_id])[entry_id]
        if not changes:
            return entry_view(conn, viewer, row, photos), []
        if _empty(row, photos):
            raise InvalidRequest(EMPTY)
        done = row
        stored = address(
            conn,
            "PROGRESS_UPDATED",
            client_and_trainers(conn, done.client_id),
            lambda who: {"entry": entry_view(conn, who, done, photos), "action": "updated"},
            about=done.client_id,
        )
        return entry_view(conn, viewer, done, photos), stored

    return await write_and_publish(db, publish, edit)


ENTRY_KIND = Kind(
    progress.get, progress.delete, PROGRESS_LINK, "PROGRESS_DELETED", "entry_id", MISSING
)


async def delete_entry(
    db: Database, storage: Storage, publish: Publish, viewer: Viewer, entry_id: int
) -> None:
    """Delete it with its photos for its client or an admin (services.records)."""
    await delete_record(db, storage, publish, viewer, ENTRY_KIND, entry_id)
