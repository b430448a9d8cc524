"""File uploads, listing, metadata and deletion (API.md Files)."""

from __future__ import annotations

import re
import sqlite3
import time
import unicodedata
from collections.abc import AsyncGenerator
from contextlib import aclosing

from aiohttp import BodyPartReader, hdrs, web
from aiohttp.http_exceptions import HttpProcessingError

from gymhub import metrics
from gymhub.auth import policy
from gymhub.data import files
from gymhub.data.catalogue import (
    CATEGORIES,
    LINK_COLUMNS,
    LINKS,
    MEAL_LINK,
    MEAL_PHOTOS,
    POSES,
    PROGRESS_LINK,
    PROGRESS_PHOTOS,
)
from gymhub.errors import ApiError, InvalidRequest, NotFound
from gymhub.handlers.common import LIMIT, id_param
from gymhub.schemas.common import documented
from gymhub.schemas.files import File, FileList, VisibilityPatch
from gymhub.schemas.query import FormBody, IntParam, StrParam
from gymhub.services.privacy import set_visibility
from gymhub.services.uploads import (
    FILE_REQUIRED,
    Body,
    NameCheck,
    UploadRequest,
    Uploads,
)
from gymhub.storage.layout import FILE_ID
from gymhub.views.files import render_files, render_one
from gymhub.web.appkeys import config_key, db_key, hub_key, storage_key
from gymhub.web.bodies import json_response, no_content, read_json
from gymhub.web.forms import is_multipart_form
from gymhub.web.idempotency import body_read, idempotent, note_part
from gymhub.web.identity import current_viewer

routes = web.RouteTableDef()

FILE_PATH = r"/api/files/{id:[0-9a-f]{32}}"
MAX_PARTS = 8
FIELD_LIMIT = 1024
NAME_LIMIT = 255
LINK_FIELDS = {
    MEAL_LINK: IntParam(MEAL_LINK, f"links the file to this meal ({MEAL_PHOTOS} only)", low=1),
    PROGRESS_LINK: IntParam(
        PROGRESS_LINK, f"links the file to this progress entry ({PROGRESS_PHOTOS} only)", low=1
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
VISIBILITY_FIELD = StrParam(
    "visibility",
    f"who sees a {PROGRESS_PHOTOS} besides its owner (default: the owner's photo_visibility)",
    ("trainers", "private"),
)
POSE = StrParam("pose", f"the photo's pose ({PROGRESS_PHOTOS} only)", POSES)
UPLOAD_FORM = FormBody("file", (*LINK_FIELDS.values(), VISIBILITY_FIELD, POSE))
# Multipart framing errors surface as these from aiohttp's reader; they are the client's fault.
MALFORMED = (
    ValueError,
    RuntimeError,
    AssertionError,
    LookupError,
    UnicodeError,
    HttpProcessingError,
)


async def named_parts(
    request: web.Request, max_parts: int, unnamed: str
) -> AsyncGenerator[tuple[str, BodyPartReader], None]:
    """Each part of the request's multipart form with its name; 400 for a nested body, a part
    without a name (`unnamed` is the message) or more than `max_parts` parts."""
    reader = await request.multipart()
    for _ in range(max_parts + 1):
        part = await reader.next()
        if part is None:
            return
        if not isinstance(part, BodyPartReader):
            raise InvalidRequest("Nested multipart bodies are not accepted.")
        name = part.name  # read once: aiohttp parses the Content-Disposition on every access
        if name is None:
            raise InvalidRequest(unnamed)
        yield name, part
    raise InvalidRequest(f"The body has more than {max_parts} parts.")


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


async def form_field(part: BodyPartReader, name: str, limit: int = FIELD_LIMIT) -> str:
    data = b""
    while chunk := await part.read_chunk(limit + 1):
        data += chunk
        if len(data) > limit:
            raise InvalidRequest(f"{name}: form fields are limited to {limit} bytes.")
    return data.decode("utf-8")


def file_print(name: str, sha256: str, size: int) -> str:
    """What a file part adds to an Idempotency-Key's fingerprint: its name and bytes' digest."""
    return f"{name}\0{sha256}\0{size}"


async def _read_part(part: BodyPartReader, name: str, body: Body) -> str:
    """One named part: the file is streamed into temp, link fields parsed, others skipped.
    Returns what the part adds to a fingerprint."""
    if name == "file":
        if body.received is not None:
            raise InvalidRequest("file: the body has more than one part named file.")
        await body.receive(part, clean_name(part_filename(part)))
        assert body.received is not None
        return file_print(body.original_name, body.received.sha256, body.received.size)
    if name in LINKS:
        if name in body.links:
            raise InvalidRequest(f"{name}: given more than once.")
        if LINKS[name] != body.category:
            raise InvalidRequest(f"{name}: only {LINKS[name]} can be linked.")
        text = await form_field(part, name)
        body.links[name] = LINK_FIELDS[name].parse(text.strip())
        return text
    if name == VISIBILITY_FIELD.name:
        if body.category != PROGRESS_PHOTOS or body.visibility is not None:
            raise InvalidRequest(f"visibility: only once, and only for {PROGRESS_PHOTOS}.")
        text = await form_field(part, name)
        body.visibility = VISIBILITY_FIELD.parse(text)
        return text
    if name == POSE.name:
        return await _read_pose(part, body)
    return await form_field(part, name)


async def _read_pose(part: BodyPartReader, body: Body) -> str:
    if body.pose is not None:
        raise InvalidRequest("pose: given more than once.")
    if body.category != PROGRESS_PHOTOS:
        raise InvalidRequest(f"pose: only {PROGRESS_PHOTOS} carry a pose.")
    text = await form_field(part, POSE.name)
    body.pose = POSE.parse(text.strip())
    return text


async def read_form(request: web.Request, body: Body) -> None:
    """Read the multipart body part by part into body (the file part streamed, not buffered).

    What it received is the service's to remove when this fails."""
    if not is_multipart_form(request):
        raise InvalidRequest(f"{FILE_REQUIRED}; the body must be multipart/form-data.")
    parts = 0
    unnamed = f'{FILE_REQUIRED}; a part has no name (Content-Disposition: form-data; name="...").'
    try:
        async with aclosing(named_parts(request, MAX_PARTS, unnamed)) as named:
            async for name, part in named:
                parts += 1
                note_part(request, name, await _read_part(part, name, body))
    except MALFORMED:
        # An empty body, or one without a single readable part (aiohttp finds no starting
        # boundary), is the common client mistake: name the missing field for it.
        if parts == 0:
            raise InvalidRequest(f"{FILE_REQUIRED}; the body has no readable part.") from None
        raise InvalidRequest("The multipart body is malformed.") from None
    await body_read(request)


def uploads_of(app: web.Application) -> Uploads:
    """The file use cases over this app's database, storage and hub."""
    return Uploads(app[db_key], app[storage_key], app[hub_key].publish, app[config_key].quota_bytes)


async def ingest(
    request: web.Request, category: str, owner_param: int | None, links: dict[str, int]
) -> web.Response:
    """Upload the request's multipart file: 201 with a new file, 200 with the one stored."""
    started = time.perf_counter()
    try:
        viewer = await current_viewer(request)
        ask = UploadRequest(category, owner_param, links)
        outcome = await uploads_of(request.app).ingest(
            viewer, ask, lambda body: read_form(request, body)
        )
    except ApiError as err:
        metrics.UPLOADS_REJECTED.labels(err.code).inc()
        raise
    if not outcome.created:
        return json_response(outcome.file, status=200)
    metrics.UPLOAD_BYTES.labels(category).inc(outcome.file.size)
    metrics.UPLOAD_SECONDS.labels(category).observe(time.perf_counter() - started)
    return json_response(outcome.file, status=201)


@routes.post("/api/files/upload")
@documented(
    "Upload a file (multipart/form-data: part `file`, optional fields "
    f"{', '.join(LINK_COLUMNS)}, pose); 200 with the existing file for identical bytes",
    response=File,
    status=201,
    query=[UPLOAD_CATEGORY, OWNER_ID],
    form=UPLOAD_FORM,
)
@idempotent
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
        return FileList(files=shown, next_before=rows[-1].id if more else None)

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


async def delete_by_id(
    request: web.Request, file_id: str, named: NameCheck | None = None
) -> web.Response:
    """Delete a file with all its variants for the caller: 204, or 404 when it is not theirs
    to delete (or `named` says the seed media name is not one of its names)."""
    viewer = await current_viewer(request)
    await uploads_of(request.app).delete(viewer, file_id, named)
    return no_content()


@routes.delete(FILE_PATH)
@documented("Delete a file with all its variants (owner, uploader or admin)", status=204)
async def delete_file(request: web.Request) -> web.Response:
    return await delete_by_id(request, request.match_info["id"])


@routes.patch(FILE_PATH)
@documented(
    "Change who sees a progress photo (its owner): trainers or private (the owner alone)",
    request=VisibilityPatch,
    response=File,
)
async def patch_file(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    body = await read_json(request, VisibilityPatch)
    file_id = request.match_info["id"]
    shown = await set_visibility(request.app[db_key], viewer, file_id, body.visibility)
    return json_response(shown)
