"""The seed media paths: GET/HEAD/DELETE /api/files/media/... and /api/files/media/stats."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from gymhub.auth import policy
from gymhub.auth.tokens import Claims
from gymhub.data import files
from gymhub.data.catalogue import DOCUMENTS
from gymhub.data.db import Database
from gymhub.data.memo import GenerationMemo
from gymhub.errors import NotFound
from gymhub.handlers.files import clean_name, delete_by_id
from gymhub.schemas.common import documented
from gymhub.schemas.files import CleanupReport, MediaStats
from gymhub.schemas.query import FlagParam
from gymhub.services.viewlog import ViewRecorder
from gymhub.storage import stats
from gymhub.storage.layout import MediaName, parse_media_name
from gymhub.storage.store import Storage
from gymhub.web.appkeys import config_key, db_key, keys_key, storage_key
from gymhub.web.bodies import json_response
from gymhub.web.identity import bearer_claims, claims_of, current_viewer, viewer_of
from gymhub.web.media import Found, answer_cached, send_media
from gymhub.web.storage_lifecycle import sweeper_key
from gymhub.web.viewlog_lifecycle import views_key

routes = web.RouteTableDef()
# Media decisions for (user, token version, file type, file name): a page of thumbnails asks
# many at once. Plain strings in the key: a dataclass's Python-level __eq__ and __hash__ were a
# measurable part of a cached thumbnail's GET.
MEDIA_MEMO_SIZE = 4096
media_memo_key: web.AppKey[GenerationMemo[tuple[int, int, str, str], Found]] = web.AppKey(
    "media_memo"
)


@dataclass(frozen=True, slots=True)
class MediaRoute:
    """What the media route uses on every request, looked up once at start-up: each lookup in
    the app (and `request.app` itself) is a Python call, and this is the hottest path."""

    db: Database
    memo: GenerationMemo[tuple[int, int, str, str], Found]
    storage: Storage
    views: ViewRecorder
    jwt_key: bytes


media_route_key = web.AppKey("media_route", MediaRoute)


async def media_route_ctx(app: web.Application) -> AsyncIterator[None]:
    """Gather the media route's resources (opened by the contexts before this one)."""
    app[media_route_key] = MediaRoute(
        app[db_key], app[media_memo_key], app[storage_key], app[views_key], app[keys_key].jwt
    )
    yield


MEDIA_PATH = "/api/files/media/{file_type}/{filename}"
DRY_RUN = FlagParam("dry_run", "1 (or true, yes) only reports what would be removed")


def _name(request: web.Request) -> MediaName:
    name = parse_media_name(request.match_info["file_type"], request.match_info["filename"])
    if name is None:
        raise NotFound("No such file.")
    return name


# The account behind the token, the file and the named variant in one statement: the media
# route is the hottest path, and each statement is a GIL hand-off with the reader's thread.
# data.files builds its records once; the MediaFile is what policy.file_access reads.
def _lookup(conn: sqlite3.Connection, claims: Claims, name: MediaName) -> Found:
    """Authenticate the claims and resolve the media name, if the viewer may fetch it."""
    hit = files.media_lookup(conn, claims.user_id, name.file_id, name.variant)
    viewer = viewer_of(None if hit is None else hit.account, claims)
    assert hit is not None  # viewer_of refuses a missing account
    file = hit.file
    if file is None:
        raise NotFound("No such file.")
    access = policy.file_access(conn, viewer, file)
    if name.variant is None:
        if file.category != name.category or file.ext != name.ext or not access.original:
            raise NotFound("No such file.")
        return Found(
            file.id,
            file.category,
            file.ext,
            file.mime,
            file.original_name,
            None,
            file.size,
            file.owner_id,
        )
    if file.variant is None or file.variant_ext != name.ext or not access.variants:
        raise NotFound("No such file.")
    assert file.variant_mime is not None and file.variant_size is not None
    return Found(
        file.id,
        file.category,
        file.variant_ext,
        file.variant_mime,
        file.original_name,
        file.variant,
        file.variant_size,
        file.owner_id,
    )


def names_row(conn: sqlite3.Connection, row: files.FileRow, name: MediaName) -> bool:
    """Whether the media name is one of the row's real names (not a guessed extension)."""
    if name.variant is None:
        return row.category == name.category and row.ext == name.ext
    return files.has_variant(conn, row.id, name.variant, name.ext)


def _disposition(found: Found) -> str:
    """attachment, with an ASCII fallback name and the UTF-8 original (RFC 6266)."""
    shown = clean_name(found.original_name) or f"{found.file_id}.{found.ext}"
    if not shown.lower().endswith("." + found.ext):
        shown += "." + found.ext
    ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in "._- " else "_" for c in shown)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(shown, safe='')}"


@routes.get(MEDIA_PATH)
@documented("A stored original or variant (ETag, Last-Modified, Range, If-None-Match, HEAD)")
async def serve_media(request: web.Request) -> web.StreamResponse:
    info = request.match_info
    file_type, filename = info["file_type"], info["filename"]
    route = request.app[media_route_key]
    claims = bearer_claims(request, key=route.jwt_key) or await claims_of(request)
    db, memo = route.db, route.memo
    # Only a granted access is remembered, and only until the next write anywhere; the name
    # it was granted for was parsed then, so a hit skips that too.
    memo_key = (claims.user_id, claims.ver, file_type, filename)
    generation = db.generation
    found = memo.get(memo_key, generation)
    if found is None:
        name = _name(request)
        found = await db.read(lambda conn: _lookup(conn, claims, name))
        memo.put(memo_key, found, generation)
    response: web.StreamResponse | None = answer_cached(request, route.storage, found, filename)
    if response is None:
        extra: dict[str, str] = {}
        if found.variant is None and found.category == DOCUMENTS:
            extra["Content-Disposition"] = _disposition(found)
        response = await send_media(request, route.storage, found, filename, extra)
    route.views.fetched(request.method, response.status, claims.user_id, found)
    return response


@routes.delete(MEDIA_PATH)
@documented("Delete a file by any one of its names: the original and all variants go", status=204)
async def delete_media(request: web.Request) -> web.Response:
    name = _name(request)
    return await delete_by_id(request, name.file_id, lambda conn, row: names_row(conn, row, name))


@routes.get("/api/files/media/stats")
@documented(
    "Storage statistics: the whole store (admin) or a trainer's clients", response=MediaStats
)
async def media_stats(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    scope = policy.stats_scope(viewer)
    usage = await request.app[db_key].read(lambda conn: stats.usage(conn, scope))
    usage["disk"] = await asyncio.to_thread(stats.disk, request.app[config_key].media_dir)
    return json_response(usage)


@routes.post("/api/files/media/cleanup")
@documented(
    "Sweep orphaned media now (admin); dry_run=1 only reports",
    response=CleanupReport,
    query=[DRY_RUN],
)
async def media_cleanup(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    policy.require_admin(viewer)
    dry_run = DRY_RUN.read(request)
    app = request.app
    report = await app[sweeper_key].run(app[config_key].orphan_max_age, dry_run)
    # `removed` lists every name that left the store, quarantined ones included (api-notes).
    return json_response(
        CleanupReport(removed=report.taken, bytes=report.bytes, dry_run=report.dry_run)
    )
