"""Logging a meal with its photos in one request (API.md round 2): all or nothing.

The photos stream into temp through the storage like any upload and are checked in the pool
before the one write transaction that stores the meal, its new files and one MEAL_COMPLETED per
recipient (carrying the photos). Any refusal (400, 413, 415, 422, 507) leaves no meal, no file
and no notification. A photo whose bytes the client already has as a meal photo without a meal
is linked; one whose bytes belong to another meal is stored again for this one.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gymhub.auth.policy import Viewer
from gymhub.data import files, meals, stats
from gymhub.data.catalogue import MEAL_LINK, MEAL_PHOTOS
from gymhub.data.notifications import Stored
from gymhub.errors import (
    Conflict,
    InsufficientStorage,
    InvalidRequest,
    QuotaExceeded,
    is_out_of_space,
)
from gymhub.realtime.events import address, client_and_trainers
from gymhub.schemas.coaching import Meal
from gymhub.services.idempotency import guarded_write
from gymhub.services.meals import NewMeal
from gymhub.services.uploads import NewFile, Uploads, record
from gymhub.storage.store import Checked, ChunkSource, Received, Storage
from gymhub.views.meals import meal_view

log = logging.getLogger("gymhub.files")

MAX_PHOTOS = 6
# A photo planned as a link that was linked elsewhere meanwhile needs a copy of its own, made
# outside the transaction: this many tries before the client is asked to send again.
ATTEMPTS = 3


@dataclass
class _Photo:
    """One photo part, streamed into temp; checked and placed once it needs a file of its own."""

    received: Received
    original_name: str
    checked: Checked | None = None
    placed: list[Path] = field(default_factory=list)


class MealBody:
    """What the caller's form reader fills: the meal and up to six streamed photos."""

    def __init__(self, storage: Storage):
        self._storage = storage
        self.meal: NewMeal | None = None
        self.photos: list[_Photo] = []

    async def receive(self, source: ChunkSource, original_name: str) -> Received:
        """Stream one photo into temp (413, 415 or 507 as it goes); a 7th is 400 unread."""
        if len(self.photos) >= MAX_PHOTOS:
            raise InvalidRequest(f"file: a meal takes at most {MAX_PHOTOS} photos.")
        received = await self._storage.receive(source, MEAL_PHOTOS)
        self.photos.append(_Photo(received, original_name))
        return received


ReadMeal = Callable[[MealBody], Awaitable[None]]


@dataclass(frozen=True)
class _Logged:
    meal: Meal
    stored: list[Stored]
    kept: frozenset[str]


class _NeedCopies(Exception):
    """Photos that found no file to link inside the transaction: they need copies first."""

    def __init__(self, photos: list[_Photo]):
        super().__init__(len(photos))
        self.photos = photos


async def log_meal_with_photos(uploads: Uploads, viewer: Viewer, read_body: ReadMeal) -> Meal:
    """Store the viewer's meal with the photos read_body streams, or nothing at all; the meal
    as the viewer sees it. A full disk anywhere on the way is 507."""
    try:
        return await _log(uploads, viewer, read_body)
    except Exception as exc:
        if is_out_of_space(exc):
            log.warning("out of space while logging a meal with photos: %s", exc)
            raise InsufficientStorage() from exc
        raise


async def _log(uploads: Uploads, viewer: Viewer, read_body: ReadMeal) -> Meal:
    body = MealBody(uploads.storage)
    kept: frozenset[str] = frozenset()
    try:
        await read_body(body)
        new = body.meal
        if new is None:
            raise InvalidRequest("meal_name: required.")
        # The same bytes twice in one meal are one photo.
        distinct: dict[str, _Photo] = {}
        for photo in body.photos:
            distinct.setdefault(photo.received.sha256, photo)
        photos = list(distinct.values())

        def linkable(conn: sqlite3.Connection) -> list[_Photo]:
            found = files.find_unlinked_meal_photo
            return [p for p in photos if found(conn, viewer.id, p.received.sha256) is None]

        await _prepare(uploads.storage, await uploads.db.read(linkable))
        for _ in range(ATTEMPTS):
            try:
                logged = await guarded_write(
                    uploads.db,
                    lambda conn: _commit(conn, uploads.quota, viewer, new, photos),
                    lambda done: (201, done.meal),
                )
                break
            except _NeedCopies as need:
                await _prepare(uploads.storage, need.photos)
        else:
            raise Conflict("The photos changed while the meal was saved; please send it again.")
        kept = logged.kept
    finally:
        await _discard(uploads.storage, body.photos, kept)
    uploads.publish(logged.stored)
    return logged.meal


async def _prepare(storage: Storage, photos: Sequence[_Photo]) -> None:
    """Check every photo in the pool (the first refusal is the answer), then place them."""
    waiting = [p for p in photos if p.checked is None]
    for photo in waiting:
        photo.checked = await storage.check(photo.received, MEAL_PHOTOS)
    for photo in waiting:
        assert photo.checked is not None
        photo.placed = await storage.place(photo.received, MEAL_PHOTOS, photo.checked)


async def _discard(storage: Storage, photos: Sequence[_Photo], kept: frozenset[str]) -> None:
    """Remove every photo's temp and placed files except those whose rows committed."""
    for photo in photos:
        if photo.received.file_id not in kept:
            await storage.discard_placed(photo.placed)
            await storage.discard_temp(photo.received, photo.checked)


def _commit(
    conn: sqlite3.Connection, quota: int, viewer: Viewer, new: NewMeal, photos: list[_Photo]
) -> _Logged:
    """The meal, links to unlinked copies, new files for the rest, and MEAL_COMPLETED."""
    row = meals.insert(conn, viewer.id, new.meal_name, new.eaten_at, new.notes)
    fresh: list[_Photo] = []
    for photo in photos:
        dup = files.find_unlinked_meal_photo(conn, viewer.id, photo.received.sha256)
        if dup is not None:
            files.link_unlinked(conn, dup.id, {MEAL_LINK: row.id})
        else:
            fresh.append(photo)
    if missing := [p for p in fresh if p.checked is None]:
        raise _NeedCopies(missing)
    _check_quota(conn, quota, viewer.id, fresh)
    for photo in fresh:
        assert photo.checked is not None
        record(
            conn,
            NewFile(
                photo.received,
                photo.checked,
                viewer.id,
                viewer.id,
                MEAL_PHOTOS,
                photo.original_name,
                {MEAL_LINK: row.id},
            ),
        )
    shown = files.files_linked(conn, MEAL_LINK, [row.id])[row.id]
    stored = address(
        conn,
        "MEAL_COMPLETED",
        client_and_trainers(conn, viewer.id),
        lambda who: {"meal": meal_view(conn, who, row, shown)},
        about=viewer.id,
    )
    kept = frozenset(p.received.file_id for p in fresh)
    return _Logged(meal_view(conn, viewer, row, shown), stored, kept)


def _check_quota(conn: sqlite3.Connection, quota: int, owner_id: int, fresh: list[_Photo]) -> None:
    used = stats.owner_usage(conn, owner_id)
    adding = sum(p.received.size + (p.checked.stored_bytes if p.checked else 0) for p in fresh)
    if used + adding > quota:
        raise QuotaExceeded(
            f"The owner's storage quota would be exceeded: {used} bytes used of {quota} "
            f"allowed, and these photos need {adding}."
        )
