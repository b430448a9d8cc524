"""Storing and deleting files: the use cases behind every upload and delete path.

An upload is owned here from its first received byte: whatever it left in temp or in the tree
is removed in one place (`_Pending.discard`) unless its row committed. Errors are the API's
error family (gymhub.errors), which the handlers answer as they always have.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gymhub import imaging, metrics
from gymhub.auth import policy
from gymhub.auth.policy import Viewer
from gymhub.data import files, notifications, stats, users
from gymhub.data.catalogue import LINK_COLUMNS, LINKS, PROGRESS_PHOTOS
from gymhub.data.db import Database, utcnow
from gymhub.data.files import FileRow, Variant
from gymhub.data.notifications import Stored
from gymhub.errors import (
    InsufficientStorage,
    InvalidRequest,
    NotFound,
    QuotaExceeded,
    is_out_of_space,
)
from gymhub.schemas.files import File
from gymhub.services import Publish
from gymhub.services.idempotency import guarded_write
from gymhub.storage.layout import Layout, remove_quietly
from gymhub.storage.store import (
    Checked,
    ChunkSource,
    Received,
    Storage,
    allowed_mimes,
    checked_image,
    place_files,
)
from gymhub.views.files import render_one, shape

log = logging.getLogger("gymhub.files")

FILE_REQUIRED = "file: required (a multipart part named file)"

Notification = tuple[int, str, dict[str, Any]]
# Whether a seed media name really is one of the file row's names.
NameCheck = Callable[[sqlite3.Connection, FileRow], bool]


@dataclass(frozen=True)
class UploadRequest:
    """What the caller asked before the body is read: category, owner and fixed links."""

    category: str
    owner_id: int | None = None
    links: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Ingested:
    """An upload's outcome: the file as its uploader sees it, and whether it is new.

    `created` is False when the same bytes were already stored for the owner (perhaps now
    linked as asked): the stored file is the answer and nothing new was kept."""

    file: File
    created: bool


@dataclass(frozen=True)
class Deleted:
    """A deleted file: its id and the bytes its removal gave back."""

    file_id: str
    freed: int


@dataclass(frozen=True)
class NewFile:
    """A checked and placed upload, ready for its rows."""

    received: Received
    checked: Checked
    owner_id: int
    uploaded_by: int
    category: str
    original_name: str
    links: Mapping[str, int] = field(default_factory=dict)
    # The upload's `visibility` field (progress photos); None: the owner's photo_visibility.
    visibility: str | None = None
    pose: str | None = None


class Body:
    """What the caller's body reader fills: the streamed file part and the link fields."""

    def __init__(self, storage: Storage, category: str):
        self._storage = storage
        self.category = category
        self.received: Received | None = None
        self.original_name = ""
        self.links: dict[str, int] = {}
        self.visibility: str | None = None
        # A progress photo's pose from the form, when given.
        self.pose: str | None = None

    async def receive(self, source: ChunkSource, original_name: str) -> None:
        """Stream the file part into temp: 413, 415 or 507 as it goes, nothing left on failure."""
        self.original_name = original_name
        self.received = await self._storage.receive(source, self.category)


ReadBody = Callable[[Body], Awaitable[None]]


@dataclass
class _Pending:
    """What an upload has written so far, and the one place it is removed again."""

    storage: Storage
    body: Body
    checked: Checked | None = None
    placed: list[Path] = field(default_factory=list)

    async def discard(self) -> None:
        await self.storage.discard_placed(self.placed)
        if self.body.received is not None:
            await self.storage.discard_temp(self.body.received, self.checked)


@dataclass
class _Found:
    """A live file with an upload's bytes, seen in a transaction."""

    ingested: Ingested
    stored: list[Stored] = field(default_factory=list)
    # Seen on a read connection: a link asked for is missing and needs a write.
    link_needed: bool = False


def upload_answer(found: _Found) -> tuple[int, File]:
    """An upload's answer: 201 with a new file, 200 with the one already stored."""
    return (201 if found.ingested.created else 200), found.ingested.file


def check_links(
    conn: sqlite3.Connection, owner_id: int, category: str, links: Mapping[str, int]
) -> None:
    """Each linked meal or progress entry exists and belongs to the file's owner, else 404."""
    for column, link_id in links.items():
        if LINKS[column] != category:
            raise InvalidRequest(f"{column}: only {LINKS[column]} can be linked this way.")
        if files.link_owner(conn, column, link_id) != owner_id:
            raise NotFound(f"{column}: no such entry of this client.")


def record(conn: sqlite3.Connection, new: NewFile) -> FileRow:
    """Insert the rows of a placed upload (file and variants); returns the file row."""
    received, checked = new.received, new.checked
    visibility = None
    if new.category == PROGRESS_PHOTOS:
        visibility = new.visibility or users.photo_visibility(conn, new.owner_id)
    values = {
        "id": received.file_id,
        "owner_id": new.owner_id,
        "uploaded_by": new.uploaded_by,
        "category": new.category,
        "mime": checked.mime,
        "ext": checked.ext,
        "size": received.size,
        "sha256": received.sha256,
        "original_name": new.original_name,
        "width": checked.width,
        "height": checked.height,
        "created_at": utcnow(),
        "visibility": visibility,
        "pose": new.pose,
    } | {column: new.links.get(column) for column in LINK_COLUMNS}
    variant_rows = [
        {"file_id": received.file_id, "variant": v.name, "ext": v.ext, "mime": v.mime}
        | {"width": v.width, "height": v.height, "size": v.size}
        for v in checked.variants
    ]
    return files.insert_file(conn, values, variant_rows)


def upload_notifications(
    conn: sqlite3.Connection, row: FileRow, variants: list[Variant]
) -> list[Notification]:
    """FILE_UPLOADED for owner, uploader and the owner's trainers, each with their own view."""
    owner_id, uploader = row.owner_id, row.uploaded_by
    recipients = dict.fromkeys([owner_id, uploader, *users.trainer_ids_of(conn, owner_id)])
    items = []
    for user_id in recipients:
        user = users.get_user(conn, user_id)
        if user is None:
            continue
        who = Viewer(id=user.id, role=user.role, username=user.username)
        access = policy.file_access(conn, who, row)
        if access.visible:
            data = {"file": shape(row, variants, access), "owner_id": owner_id}
            data["uploaded_by"] = uploader
            items.append((user_id, "FILE_UPLOADED", data))
    return items


def delete_notifications(
    conn: sqlite3.Connection, row: FileRow, deleted_by: int
) -> list[Notification]:
    """FILE_DELETED for the owner and the owner's trainers."""
    owner_id = row.owner_id
    data = {
        "file_id": row.id,
        "owner_id": owner_id,
        "category": row.category,
        "deleted_by": deleted_by,
    }
    recipients = dict.fromkeys([owner_id, *users.trainer_ids_of(conn, owner_id)])
    return [(user_id, "FILE_DELETED", data) for user_id in recipients]


Taken = list[tuple[FileRow, list[Variant]]]


def take_linked(
    conn: sqlite3.Connection, column: str, record_id: int, deleted_by: int
) -> tuple[Taken, list[Notification]]:
    """Delete the rows of the files linked to a meal or progress entry, in the caller's write,
    with a FILE_DELETED each; their bytes go after the commit (`remove_taken`), as for
    `Uploads.delete`: a crash in between leaves files without a row, which the sweep takes."""
    rows = files.files_linked(conn, column, [record_id])[record_id]
    variants = files.variants_of(conn, [r.id for r in rows])
    items = [item for r in rows for item in delete_notifications(conn, r, deleted_by)]
    files.delete_files(conn, [r.id for r in rows])
    return [(r, variants[r.id]) for r in rows], items


async def remove_taken(storage: Storage, taken: Taken) -> int:
    """Remove the originals and variants of committed file deletions; the bytes freed."""
    freed = 0
    for row, variants in taken:
        freed += await storage.remove(row, variants)
    return freed


class Uploads:
    """The file use cases over one data dir's database, storage and notification hub."""

    def __init__(self, db: Database, storage: Storage, publish: Publish, quota: int):
        self.db = db
        self.storage = storage
        self.publish = publish
        self.quota = quota

    async def ingest(self, viewer: Viewer, ask: UploadRequest, read_body: ReadBody) -> Ingested:
        """The whole upload: owner, body, dedup, checks in the pool, placement, one commit.

        read_body streams the file part through `Body.receive`; a full disk anywhere on the
        way is 507 with nothing of the upload left behind."""
        try:
            return await self._ingest(viewer, ask, read_body)
        except Exception as exc:
            if is_out_of_space(exc):
                log.warning("out of space during an upload to %s: %s", ask.category, exc)
                raise InsufficientStorage() from exc
            raise

    async def _ingest(self, viewer: Viewer, ask: UploadRequest, read_body: ReadBody) -> Ingested:
        category = ask.category

        def owner(conn: sqlite3.Connection) -> int:
            owner_id = policy.upload_owner(conn, viewer, ask.owner_id)
            check_links(conn, owner_id, category, ask.links)
            return owner_id

        # Before the body is read: a refused owner or link costs no upload.
        owner_id = await self.db.read(owner)
        pending = _Pending(self.storage, Body(self.storage, category))
        kept = False
        try:
            started = time.perf_counter()
            await read_body(pending.body)
            metrics.stage("receive", time.perf_counter() - started)
            received = pending.body.received
            if received is None:
                raise InvalidRequest(f"{FILE_REQUIRED}.")
            links = {**pending.body.links, **ask.links}
            found = await self._known(viewer, owner_id, category, received, links)
            if found is None:
                pending.checked = await self.storage.check(received, category)
                pending.placed = await self.storage.place(received, category, pending.checked)
                new = NewFile(
                    received,
                    pending.checked,
                    owner_id,
                    viewer.id,
                    category,
                    pending.body.original_name,
                    links,
                    visibility=pending.body.visibility,
                    pose=pending.body.pose,
                )
                started = time.perf_counter()
                found = await guarded_write(
                    self.db, lambda conn: self._commit(conn, viewer, new), upload_answer
                )
                metrics.stage("commit", time.perf_counter() - started)
            kept = found.ingested.created
        finally:
            if not kept:
                await pending.discard()
        started = time.perf_counter()
        self.publish(found.stored)
        metrics.stage("notify", time.perf_counter() - started)
        return found.ingested

    async def _known(
        self,
        viewer: Viewer,
        owner_id: int,
        category: str,
        received: Received,
        links: Mapping[str, int],
    ) -> _Found | None:
        """The live file with these bytes, looked up before the pool is asked; a link it lacks
        is added in a write of its own."""

        def look(conn: sqlite3.Connection, may_link: bool) -> _Found | None:
            return _duplicate(conn, viewer, owner_id, category, received.sha256, links, may_link)

        found = await self.db.read(lambda conn: look(conn, False))
        if found is not None and found.link_needed:
            found = await self.db.write(lambda conn: look(conn, True))
        return found

    def _commit(self, conn: sqlite3.Connection, viewer: Viewer, new: NewFile) -> _Found:
        """The write transaction of a new file: dedup again, quota, rows, notifications."""
        found = _duplicate(
            conn, viewer, new.owner_id, new.category, new.received.sha256, new.links, True
        )
        if found is not None:  # an identical upload committed while this one was checked
            return found
        used = stats.owner_usage(conn, new.owner_id)
        adding = new.received.size + new.checked.stored_bytes
        if used + adding > self.quota:
            raise QuotaExceeded(
                f"The owner's storage quota would be exceeded: {used} bytes used of "
                f"{self.quota} allowed, and this file needs {adding}."
            )
        row = record(conn, new)
        variants = files.variants_of(conn, [row.id])[row.id]
        items = upload_notifications(conn, row, variants)
        stored = notifications.insert(conn, items, about=row.owner_id)
        access = policy.file_access(conn, viewer, row)
        return _Found(Ingested(shape(row, variants, access), created=True), stored)

    async def delete(self, viewer: Viewer, file_id: str, named: NameCheck | None = None) -> Deleted:
        """Row first (with its FILE_DELETED notifications), then the original and every variant.

        `named` checks that a seed media name really is one of the file's names (else 404)."""

        def drop(conn: sqlite3.Connection) -> tuple[FileRow, list[Variant], list[Stored]]:
            row = files.get_file(conn, file_id)
            if row is None or (named is not None and not named(conn, row)):
                raise NotFound("No such file.")
            policy.require_delete(policy.file_access(conn, viewer, row))
            variants = files.variants_of(conn, [file_id])[file_id]
            items = delete_notifications(conn, row, viewer.id)
            files.delete_file(conn, file_id)
            return row, variants, notifications.insert(conn, items, about=row.owner_id)

        row, variants, stored = await self.db.write(drop)
        freed = await self.storage.remove(row, variants)
        self.publish(stored)
        return Deleted(file_id, freed)


def _duplicate(
    conn: sqlite3.Connection,
    viewer: Viewer,
    owner_id: int,
    category: str,
    sha256: str,
    links: Mapping[str, int],
    may_link: bool,
) -> _Found | None:
    """The live file with these bytes, if any. A link asked for that it lacks is added (a photo
    uploaded before, now sent for a meal, joins it) and told like an upload; on a read
    connection (may_link False) that need is only reported."""
    check_links(conn, owner_id, category, links)
    dup = files.find_duplicate(conn, owner_id, category, sha256)
    if dup is None:
        return None
    lacking = any(dup.link(column) is None for column in links)
    if not lacking or not may_link:
        return _Found(Ingested(render_one(conn, viewer, dup), created=False), link_needed=lacking)
    dup = files.link_unlinked(conn, dup.id, dict(links))
    variants = files.variants_of(conn, [dup.id])[dup.id]
    items = upload_notifications(conn, dup, variants)
    stored = notifications.insert(conn, items, about=dup.owner_id)
    return _Found(Ingested(render_one(conn, viewer, dup), created=False), stored)


@dataclass(frozen=True)
class LocalFile:
    """Who a locally made file is for and what it is called."""

    owner_id: int
    category: str
    original_name: str
    links: Mapping[str, int] = field(default_factory=dict)
    pose: str | None = None

    def placed(self, received: Received, checked: Checked) -> NewFile:
        """This file once checked and placed: uploaded by its owner."""
        return NewFile(
            received,
            checked,
            self.owner_id,
            self.owner_id,
            self.category,
            self.original_name,
            self.links,
            pose=self.pose,
        )


def store_local(
    conn: sqlite3.Connection, layout: Layout, max_pixels: int, data: bytes, new: LocalFile
) -> FileRow:
    """Check, place and record an image made on this machine (the demo's photos), in the
    caller's write transaction and without the pool or notifications.

    Nothing of it is left in temp or in the tree when any step fails."""
    file_id = uuid.uuid4().hex
    temp = layout.temp_part(file_id)
    received = Received(file_id, temp, len(data), hashlib.sha256(data).hexdigest())
    checked: Checked | None = None
    placed: list[Path] = []
    try:
        temp.write_bytes(data)
        out = imaging.process_image(
            str(temp), str(layout.temp), file_id, max_pixels, allowed_mimes(new.category)
        )
        checked = checked_image(out)
        placed = place_files(layout, received, new.category, checked)
        return record(conn, new.placed(received, checked))
    except BaseException:
        variants = [v.path for v in checked.variants] if checked else []
        remove_quietly([temp, *variants, *placed])
        raise
