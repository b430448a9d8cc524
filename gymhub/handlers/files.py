"""File uploads, listing, metadata and deletion (API.md Files)."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, hdrs, web
from aiohttp.http_exceptions import HttpProcessingError

from gymhub import metrics
from gymhub.appkeys import config_key, db_key, hub_key, storage_key
from gymhub.auth import policy
from gymhub.auth.identity import current_viewer
from gymhub.data import files, notifications
from gymhub.data.db import utcnow
from gymhub.errors import (
    ApiError,
    InsufficientStorage,
    InvalidRequest,
    NotFound,
    QuotaExceeded,
    is_out_of_space,
)
from gymhub.handlers.common import LIMIT, id_param
from gymhub.schemas.common import documented, json_response, no_content
from gymhub.schemas.files import File, FileList
from gymhub.schemas.query import FormBody, IntParam, StrParam
from gymhub.storage import stats
from gymhub.storage.layout import CATEGORIES, FILE_ID
from gymhub.storage.store import Checked, Received, Storage
from gymhub.views.files import (
    delete_notifications,
    render_files,
    render_one,
    shape,
    upload_notifications,
)

log = logging.getLogger("gymhub.files")
routes = web.RouteTableDef()

FILE_PATH = r"/api/files/{id:[0-9a-f]{32}}"
MAX_PARTS = 8
FIELD_LIMIT = 1024
NAME_LIMIT = 255
LINKS = {"meal_completion_id": "meal_photos", "progress_entry_id": "progress_photos"}
LINK_FIELDS = {
    "meal_completion_id": IntParam(
        "meal_completion_id", "links the file to this meal (meal_photos only)", low=1
    ),
    "progress_entry_id": IntParam(
        "progress_entry_id", "links the file to this progress entry (progress_photos only)", low=1
    ),
}
OWNER_ID = id_param("owner_id", "whose file it is (default: the caller)")
UPLOAD_CATEGORY = StrParam("category", "the file's category", CATEGORIES, required=True)
LIST_CATEGORY = StrParam("category", "only files of this category", CATEGORIES)
BEFORE_FILE = StrParam(
    "before",
    "only files older than this file id",
    pattern=FILE_ID.pattern,
    pattern_text="a file id (32 hex characters)",
)
UPLOAD_FORM = FormBody("file", tuple(LINK_FIELDS.values()))
FILE_REQUIRED = "file: required (a multipart part named file)"
# Multipart framing errors surface as these from aiohttp's reader; they are the client's fault.
_MALFORMED = (
    ValueError,
    RuntimeError,
    AssertionError,
    LookupError,
    UnicodeError,
    HttpProcessingError,
)


_QUOTED_FILENAME = re.compile(r'filename="((?:[^"\\]|\\.)*)"', re.IGNORECASE)
# A backslash before anything but `"` or `\` escapes nothing: it is a Windows path separator.
_PATH_BACKSLASH = re.compile(r'\\[^"\\]')


def part_filename(part: BodyPartReader) -> str:
    """The part's file name as its client meant it. aiohttp reads a backslash in a quoted name
    as an escape, but old browsers and requests/urllib3 send Windows paths with bare ones."""
    raw = part.headers.get(hdrs.CONTENT_DISPOSITION, "")
    match = _QUOTED_FILENAME.search(raw)
    if match is not None and _PATH_BACKSLASH.search(match[1]) and "filename*" not in raw:
        return re.sub(r'\\(["\\])', r"\1", match[1])
    return part.filename or ""


def clean_name(raw: str) -> str:
    """A client's file name for display only: no path parts, no control characters, ≤255."""
    name = re.split(r"[/\\]", raw)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = name.strip()
    return "" if name in (".", "..") else name[:NAME_LIMIT]


@dataclass
class Form:
    """An upload's multipart body once read: the streamed file and its link fields."""

    received: Received | None = None
    original_name: str = ""
    links: dict[str, int] = field(default_factory=dict)


async def _field(part: BodyPartReader, name: str) -> str:
    data = b""
    while chunk := await part.read_chunk(FIELD_LIMIT + 1):
        data += chunk
        if len(data) > FIELD_LIMIT:
            raise InvalidRequest(f"{name}: form fields are limited to {FIELD_LIMIT} bytes.")
    return data.decode("utf-8")


async def read_form(request: web.Request, storage: Storage, category: str) -> Form:
    """Read the multipart body part by part, streaming the `file` part into temp."""
    if request.content_type != "multipart/form-data":
        raise InvalidRequest(f"{FILE_REQUIRED}; the body must be multipart/form-data.")
    form = Form()
    parts = 0
    try:
        reader = await request.multipart()
        for _ in range(MAX_PARTS + 1):
            part = await reader.next()
            if part is None:
                break
            parts += 1
            if not isinstance(part, BodyPartReader):
                raise InvalidRequest("Nested multipart bodies are not accepted.")
            if part.name is None:
                raise InvalidRequest(
                    f"{FILE_REQUIRED}; a part has no name (Content-Disposition: form-data; "
                    'name="...").'
                )
            if part.name == "file":
                if form.received is not None:
                    raise InvalidRequest("file: the body has more than one part named file.")
                form.original_name = clean_name(part_filename(part))
                form.received = await storage.receive(part, category)
            elif part.name in LINKS:
                if part.name in form.links:
                    raise InvalidRequest(f"{part.name}: given more than once.")
                if LINKS[part.name] != category:
                    raise InvalidRequest(f"{part.name}: only {LINKS[part.name]} can be linked.")
                text = await _field(part, part.name)
                form.links[part.name] = LINK_FIELDS[part.name].parse(text.strip())
            else:
                await _field(part, part.name)
        else:
            raise InvalidRequest(f"The body has more than {MAX_PARTS} parts.")
    except BaseException as exc:
        if form.received is not None:
            await storage.discard_temp(form.received)
        if isinstance(exc, _MALFORMED):
            # An empty body, or one without a single readable part (aiohttp finds no starting
            # boundary), is the common client mistake: name the missing field for it.
            if parts == 0:
                raise InvalidRequest(f"{FILE_REQUIRED}; the body has no readable part.") from None
            raise InvalidRequest("The multipart body is malformed.") from None
        raise
    if form.received is None:
        raise InvalidRequest(f"{FILE_REQUIRED}.")
    return form


def check_links(
    conn: sqlite3.Connection, owner_id: int, category: str, links: dict[str, int]
) -> None:
    """Each linked meal or progress entry exists and belongs to the file's owner, else 404."""
    for column, link_id in links.items():
        if LINKS[column] != category:
            raise InvalidRequest(f"{column}: only {LINKS[column]} can be linked this way.")
        if files.link_owner(conn, column, link_id) != owner_id:
            raise NotFound(f"{column}: no such entry of this client.")


@dataclass
class Outcome:
    file: File
    created: bool
    stored: list[notifications.Stored] = field(default_factory=list)
    # A duplicate found on the read connection that lacks a link asked for.
    link_needed: bool = False


async def ingest(
    request: web.Request, category: str, owner_param: int | None, links: dict[str, int]
) -> web.Response:
    """The whole upload: owner, body, dedup, checks in the pool, placement, one commit."""
    started = time.perf_counter()
    try:
        try:
            return await _ingest(request, category, owner_param, links, started)
        except Exception as exc:
            # _ingest has removed what it wrote; ENOSPC in the pool, placement or the commit
            # is one refusal among others, not a crash.
            if is_out_of_space(exc):
                log.warning("out of space during an upload to %s: %s", category, exc)
                raise InsufficientStorage() from exc
            raise
    except ApiError as err:
        metrics.UPLOADS_REJECTED.labels(err.code).inc()
        raise


async def _ingest(
    request: web.Request,
    category: str,
    owner_param: int | None,
    fixed: dict[str, int],
    started: float,
) -> web.Response:
    viewer = await current_viewer(request)
    app = request.app
    db, storage, quota = app[db_key], app[storage_key], app[config_key].quota_bytes

    def owner(conn: sqlite3.Connection) -> int:
        owner_id = policy.upload_owner(conn, viewer, owner_param)
        check_links(conn, owner_id, category, fixed)
        return owner_id

    owner_id = await db.read(owner)
    form = await read_form(request, storage, category)
    received, links = form.received, {**form.links, **fixed}
    assert received is not None
    checked: Checked | None = None
    placed: list[Path] = []
    try:

        def duplicate(conn: sqlite3.Connection, may_link: bool) -> Outcome | None:
            """The live file with these bytes, if any. A link asked for that it lacks is added
            (a photo uploaded before, now sent for a meal, joins it) and told like an upload;
            on a read connection (may_link False) that need is only reported."""
            check_links(conn, owner_id, category, links)
            dup = files.find_duplicate(conn, owner_id, category, received.sha256)
            if dup is None:
                return None
            lacking = any(dup[column] is None for column in links)
            if not lacking or not may_link:
                return Outcome(render_one(conn, viewer, dup), created=False, link_needed=lacking)
            dup = files.link_unlinked(conn, dup["id"], links)
            variants = files.variants_of(conn, [dup["id"]])[dup["id"]]
            stored = notifications.insert(conn, upload_notifications(conn, dup, variants))
            return Outcome(render_one(conn, viewer, dup), created=False, stored=stored)

        existing = await db.read(lambda conn: duplicate(conn, may_link=False))
        if existing is not None and existing.link_needed:
            existing = await db.write(lambda conn: duplicate(conn, may_link=True))
        if existing is not None:
            await storage.discard_temp(received)
            app[hub_key].publish(existing.stored)
            return json_response(existing.file, status=200)
        checked = await storage.check(received, category)
        placed = await storage.place(received, category, checked)
        values = {
            "id": received.file_id,
            "owner_id": owner_id,
            "uploaded_by": viewer.id,
            "category": category,
            "mime": checked.mime,
            "ext": checked.ext,
            "size": received.size,
            "sha256": received.sha256,
            "original_name": form.original_name,
            "width": checked.width,
            "height": checked.height,
            "created_at": utcnow(),
            "meal_completion_id": links.get("meal_completion_id"),
            "progress_entry_id": links.get("progress_entry_id"),
        }
        variant_rows = [
            {"file_id": received.file_id, "variant": v.name, "ext": v.ext, "mime": v.mime}
            | {"width": v.width, "height": v.height, "size": v.size}
            for v in checked.variants
        ]
        adding = received.size + checked.stored_bytes

        def commit(conn: sqlite3.Connection) -> Outcome:
            existing = duplicate(conn, may_link=True)
            if existing is not None:  # an identical upload committed while this one was checked
                return existing
            used = stats.owner_usage(conn, owner_id)
            if used + adding > quota:
                raise QuotaExceeded(
                    f"The owner's storage quota would be exceeded: {used} bytes used of "
                    f"{quota} allowed, and this file needs {adding}."
                )
            row = files.insert_file(conn, values, variant_rows)
            variants = files.variants_of(conn, [row["id"]])[row["id"]]
            stored = notifications.insert(conn, upload_notifications(conn, row, variants))
            access = policy.file_access(conn, viewer, row)
            return Outcome(shape(row, variants, access), True, stored)

        outcome = await db.write(commit)
    except BaseException:
        await storage.discard_placed(placed)
        await storage.discard_temp(received, checked)
        raise
    app[hub_key].publish(outcome.stored)
    if not outcome.created:
        await storage.discard_placed(placed)
        return json_response(outcome.file, status=200)
    metrics.UPLOAD_BYTES.labels(category).inc(received.size)
    metrics.UPLOAD_SECONDS.labels(category).observe(time.perf_counter() - started)
    return json_response(outcome.file, status=201)


@routes.post("/api/files/upload")
@documented(
    "Upload a file (multipart/form-data: part `file`, optional fields meal_completion_id, "
    "progress_entry_id); 200 with the existing file for identical bytes",
    response=File,
    status=201,
    query=[UPLOAD_CATEGORY, OWNER_ID],
    form=UPLOAD_FORM,
)
async def upload(request: web.Request) -> web.Response:
    category = UPLOAD_CATEGORY.get(request)
    owner_param = OWNER_ID.read(request)
    return await ingest(request, category, owner_param, {})


@routes.get("/api/files")
@documented(
    "Files of an owner the caller may see, newest first",
    response=FileList,
    query=[OWNER_ID, LIST_CATEGORY, LIMIT, BEFORE_FILE],
)
async def list_files(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    owner_id = OWNER_ID.read(request) or viewer.id
    category = LIST_CATEGORY.read(request)
    limit = LIMIT.get(request)
    before = BEFORE_FILE.read(request)

    def load(conn: sqlite3.Connection) -> FileList:
        only = policy.file_listing(conn, viewer, owner_id)
        if only is not None and category not in (None, only):
            return FileList(files=[], next_before=None)
        rows = files.list_files(conn, owner_id, category or only, limit + 1, before)
        more = len(rows) > limit
        rows = rows[:limit]
        shown = render_files(conn, viewer, rows)
        return FileList(files=shown, next_before=rows[-1]["id"] if more else None)

    return json_response(await request.app[db_key].read(load))


@routes.get(FILE_PATH)
@documented("One file's metadata, if the caller may see it", response=File)
async def get_file(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    file_id = request.match_info["id"]

    def load(conn: sqlite3.Connection) -> File:
        row = files.get_file(conn, file_id)
        if row is None:
            raise NotFound("No such file.")
        return render_one(conn, viewer, row)

    return json_response(await request.app[db_key].read(load))


NameCheck = Callable[[sqlite3.Connection, sqlite3.Row], bool]


async def delete_by_id(
    request: web.Request, file_id: str, named: NameCheck | None = None
) -> web.Response:
    """Row first (with its FILE_DELETED notifications), then the original and every variant.

    `named` checks that a seed media name really is one of the file's names (else 404).
    """
    viewer = await current_viewer(request)
    app = request.app

    def drop(conn: sqlite3.Connection) -> tuple[sqlite3.Row, list[Any], list[notifications.Stored]]:
        row = files.get_file(conn, file_id)
        if row is None or (named is not None and not named(conn, row)):
            raise NotFound("No such file.")
        policy.require_delete(policy.file_access(conn, viewer, row))
        variants = files.variants_of(conn, [file_id])[file_id]
        items = delete_notifications(conn, row, viewer.id)
        files.delete_file(conn, file_id)
        return row, variants, notifications.insert(conn, items)

    row, variants, stored = await app[db_key].write(drop)
    await app[storage_key].remove(row, variants)
    app[hub_key].publish(stored)
    return no_content()


@routes.delete(FILE_PATH)
@documented("Delete a file with all its variants (owner, uploader or admin)", status=204)
async def delete_file(request: web.Request) -> web.Response:
    return await delete_by_id(request, request.match_info["id"])
