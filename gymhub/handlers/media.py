"""The seed media paths: GET/HEAD/DELETE /api/files/media/... and /api/files/media/stats."""

from __future__ import annotations

import asyncio
import sqlite3
from email.utils import formatdate
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from gymhub.appkeys import config_key, db_key, storage_key
from gymhub.auth import policy
from gymhub.auth.identity import claims_of, current_viewer, viewer_from
from gymhub.data import files
from gymhub.errors import InvalidRequest, NotFound
from gymhub.handlers.files import clean_name, delete_by_id
from gymhub.schemas.common import documented, json_response
from gymhub.schemas.files import CleanupReport, MediaStats
from gymhub.storage import stats
from gymhub.storage.cache import MAX_ENTRY_BYTES, Cached
from gymhub.storage.layout import MediaName, parse_media_name
from gymhub.storage.lifecycle import sweep

routes = web.RouteTableDef()

MEDIA_PATH = "/api/files/media/{file_type}/{filename}"
MEDIA_HEADERS = {
    "Cache-Control": "private, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    # Media is never a document of ours: no scripts, no same-origin, even if a browser renders it.
    "Content-Security-Policy": "sandbox",
}


def _name(request: web.Request) -> MediaName:
    name = parse_media_name(request.match_info["file_type"], request.match_info["filename"])
    if name is None:
        raise NotFound("No such file.")
    return name


def _lookup(
    conn: sqlite3.Connection, viewer: policy.Viewer, name: MediaName
) -> tuple[sqlite3.Row, sqlite3.Row | None]:
    """The file row (and the variant row) a media name points at, if the viewer may fetch it."""
    row = files.get_file(conn, name.file_id)
    if row is None:
        raise NotFound("No such file.")
    access = policy.file_access(conn, viewer, row)
    if name.variant is None:
        if row["category"] != name.category or row["ext"] != name.ext or not access.original:
            raise NotFound("No such file.")
        return row, None
    variant = conn.execute(
        "SELECT variant, ext, mime, size FROM file_variants WHERE file_id = ? AND variant = ?",
        (name.file_id, name.variant),
    ).fetchone()
    if variant is None or variant["ext"] != name.ext or not access.variants:
        raise NotFound("No such file.")
    return row, variant


def names_row(conn: sqlite3.Connection, row: sqlite3.Row, name: MediaName) -> bool:
    """Whether the media name is one of the row's real names (not a guessed extension)."""
    if name.variant is None:
        return bool(row["category"] == name.category and row["ext"] == name.ext)
    found = conn.execute(
        "SELECT 1 FROM file_variants WHERE file_id = ? AND variant = ? AND ext = ?",
        (row["id"], name.variant, name.ext),
    ).fetchone()
    return found is not None


def _disposition(row: sqlite3.Row) -> str:
    """attachment, with an ASCII fallback name and the UTF-8 original (RFC 6266)."""
    shown = clean_name(row["original_name"]) or f"{row['id']}.{row['ext']}"
    if not shown.lower().endswith("." + row["ext"]):
        shown += "." + row["ext"]
    ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in "._- " else "_" for c in shown)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(shown, safe='')}"


def _matches(header: str, etag: str) -> bool:
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def respond_cached(request: web.Request, entry: Cached, mime: str) -> web.Response:
    """A small file from RAM with FileResponse's validators: ETag, 304, Range, HEAD."""
    headers = dict(MEDIA_HEADERS)
    headers["ETag"] = entry.etag
    headers["Last-Modified"] = formatdate(entry.mtime, usegmt=True)
    headers["Accept-Ranges"] = "bytes"
    inm = request.headers.get("If-None-Match")
    ims = request.if_modified_since
    if (inm is not None and _matches(inm, entry.etag)) or (
        inm is None and ims is not None and int(entry.mtime) <= ims.timestamp()
    ):
        return web.Response(status=304, headers=headers)
    body, size = entry.body, len(entry.body)
    if_range = request.headers.get("If-Range")
    if "Range" in request.headers and (if_range is None or if_range == entry.etag):
        try:
            rng = request.http_range
        except ValueError:
            rng = None
        start = None if rng is None else rng.start
        if start is not None and start < 0:
            start = max(0, size + start)
        if rng is None or start is None or start >= size:
            headers["Content-Range"] = f"bytes */{size}"
            return web.Response(status=416, headers=headers)
        end = size if rng.stop is None else min(rng.stop, size)
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        return web.Response(status=206, body=body[start:end], content_type=mime, headers=headers)
    return web.Response(body=body, content_type=mime, headers=headers)


@routes.get(MEDIA_PATH)
@documented("A stored original or variant (ETag, Last-Modified, Range, If-None-Match, HEAD)")
async def serve_media(request: web.Request) -> web.StreamResponse:
    name = _name(request)
    claims = await claims_of(request)
    row, variant = await request.app[db_key].read(
        lambda conn: _lookup(conn, viewer_from(conn, claims), name)
    )
    storage = request.app[storage_key]
    if variant is not None:
        path = storage.layout.variant(row["id"], variant["variant"], variant["ext"])
        if variant["size"] <= MAX_ENTRY_BYTES:
            entry = await storage.cached(request.match_info["filename"], path)
            if entry is not None:
                return respond_cached(request, entry, variant["mime"])
        mime = variant["mime"]
    else:
        path = storage.layout.original(row["category"], row["id"], row["ext"])
        mime = row["mime"]
    headers = dict(MEDIA_HEADERS)
    headers["Content-Type"] = mime
    if variant is None and row["category"] == "documents":
        headers["Content-Disposition"] = _disposition(row)
    return web.FileResponse(Path(path), headers=headers)


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
    query={"dry_run": "0|1"},
)
async def media_cleanup(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    policy.require_admin(viewer)
    raw = request.query.get("dry_run", "0")
    if raw not in ("0", "1", "true", "false"):
        raise InvalidRequest("dry_run: must be 0 or 1.")
    app = request.app
    report = await sweep(
        app[db_key], app[storage_key], app[config_key].orphan_max_age, raw in ("1", "true")
    )
    return json_response(
        CleanupReport(removed=report.removed, bytes=report.bytes, dry_run=report.dry_run)
    )
