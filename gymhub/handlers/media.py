"""The seed media paths: GET/HEAD/DELETE /api/files/media/... and /api/files/media/stats."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
import stat
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from gymhub.auth import policy
from gymhub.auth.tokens import Claims
from gymhub.data import files
from gymhub.data.memo import GenerationMemo
from gymhub.errors import NotFound, PreconditionFailed, RangeNotSatisfiable
from gymhub.handlers.files import clean_name, delete_by_id
from gymhub.schemas.common import documented, json_response
from gymhub.schemas.files import CleanupReport, MediaStats
from gymhub.schemas.query import FlagParam
from gymhub.storage import stats
from gymhub.storage.cache import MAX_ENTRY_BYTES, Cached, UnsafeMedia, Validators, open_media
from gymhub.storage.layout import MediaName, parse_media_name
from gymhub.web.appkeys import config_key, db_key, storage_key
from gymhub.web.identity import claims_of, current_viewer, live_viewer
from gymhub.web.storage_lifecycle import sweeper_key

routes = web.RouteTableDef()
log = logging.getLogger("gymhub.media")
# Media decisions for (user, token version, media name): a page of thumbnails asks many at once.
MEDIA_MEMO_SIZE = 4096
media_memo_key: web.AppKey[GenerationMemo[tuple[int, int, MediaName], Found]] = web.AppKey(
    "media_memo"
)

MEDIA_PATH = "/api/files/media/{file_type}/{filename}"
DRY_RUN = FlagParam("dry_run", "1 (or true, yes) only reports what would be removed")
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


# The account behind the token, the file and the named variant in one statement: the media
# route is the hottest path, and each statement is a GIL hand-off with the reader's thread.
# User columns keep their names (live_viewer reads them) and so do the file's owner_id,
# uploaded_by and category (policy.file_access reads them); the rest are aliased.
@dataclass(frozen=True)
class Found:
    """What a media name resolved to for this viewer: the file and the variant to send."""

    file_id: str
    category: str
    ext: str
    mime: str
    original_name: str
    variant: str | None
    # Of the file sent: the original's or the variant's.
    size: int


def _lookup(conn: sqlite3.Connection, claims: Claims, name: MediaName) -> Found:
    """Authenticate the claims and resolve the media name, if the viewer may fetch it."""
    row = files.media_lookup(conn, claims.user_id, name.file_id, name.variant)
    viewer = live_viewer(row, claims)
    assert row is not None  # live_viewer refuses a missing account
    if row["file_id"] is None:
        raise NotFound("No such file.")
    access = policy.file_access(conn, viewer, row)
    if name.variant is None:
        if row["category"] != name.category or row["file_ext"] != name.ext or not access.original:
            raise NotFound("No such file.")
        return Found(
            row["file_id"],
            row["category"],
            row["file_ext"],
            row["file_mime"],
            row["original_name"],
            None,
            row["file_size"],
        )
    if row["variant"] is None or row["variant_ext"] != name.ext or not access.variants:
        raise NotFound("No such file.")
    return Found(
        row["file_id"],
        row["category"],
        row["variant_ext"],
        row["variant_mime"],
        row["original_name"],
        row["variant"],
        row["variant_size"],
    )


def names_row(conn: sqlite3.Connection, row: sqlite3.Row, name: MediaName) -> bool:
    """Whether the media name is one of the row's real names (not a guessed extension)."""
    if name.variant is None:
        return bool(row["category"] == name.category and row["ext"] == name.ext)
    return files.has_variant(conn, row["id"], name.variant, name.ext)


def _disposition(found: Found) -> str:
    """attachment, with an ASCII fallback name and the UTF-8 original (RFC 6266)."""
    shown = clean_name(found.original_name) or f"{found.file_id}.{found.ext}"
    if not shown.lower().endswith("." + found.ext):
        shown += "." + found.ext
    ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in "._- " else "_" for c in shown)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(shown, safe='')}"


def _matches(header: str, etag: str, weak: bool) -> bool:
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in tags or (weak and f"W/{etag}" in tags)


# Headers that make an answer depend on the file's validators: looked up with one stat first.
_VALIDATING = (
    "Range",
    "If-Range",
    "If-None-Match",
    "If-Modified-Since",
    "If-Match",
    "If-Unmodified-Since",
)
_BYTE_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)")


def _range_applies(request: web.Request, v: Validators) -> bool:
    """If-Range: absent, the same (strong) ETag, or a date the file is not newer than."""
    if_range = request.headers.get("If-Range")
    if if_range is None:
        return True
    if if_range.startswith(('"', "W/")):
        return if_range == v.etag
    since = request.if_range
    return since is not None and v.mtime <= since.timestamp()


def _byte_range(request: web.Request, size: int) -> tuple[int, int] | None:
    """The one byte range [start, end) a GET asks for; None for a Range to ignore (RFC 9110
    14.2: another unit, a list of ranges, a malformed one, or not a GET): the whole file."""
    found = _BYTE_RANGE.fullmatch(request.headers["Range"].strip())
    if request.method != "GET" or found is None or found[1] == found[2] == "":
        return None
    first, last = found[1], found[2]
    if not first:  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(size)
        return max(0, size - suffix), size
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable(size)
    return start, size if not last else min(int(last) + 1, size)


@dataclass(frozen=True)
class Verdict:
    """What a request gets for a file: 200, 304, or 206 with the bytes [start, end)."""

    status: int
    start: int = 0
    end: int = 0


WHOLE, NOT_MODIFIED = Verdict(200), Verdict(304)


def evaluate(request: web.Request, v: Validators) -> Verdict:
    """What a request gets for a file with these validators, by RFC 9110; 412 and 416 are raised,
    so they carry the JSON error body like every other error."""
    headers = request.headers
    # RFC 9110 13.2.2: If-Match (strong), else If-Unmodified-Since; then If-None-Match, else
    # If-Modified-Since; then Range.
    if_match = headers.get("If-Match")
    if if_match is not None:
        if not _matches(if_match, v.etag, weak=False):
            raise PreconditionFailed()
    elif "If-Unmodified-Since" in headers:
        since = request.if_unmodified_since
        if since is not None and v.mtime > since.timestamp():
            raise PreconditionFailed()
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        if _matches(if_none_match, v.etag, weak=True):
            return NOT_MODIFIED
    elif "If-Modified-Since" in headers:
        since = request.if_modified_since
        if since is not None and v.mtime <= since.timestamp():
            return NOT_MODIFIED
    if "Range" not in headers or not _range_applies(request, v):
        return WHOLE
    span = _byte_range(request, v.size)
    return WHOLE if span is None else Verdict(206, *span)


def _validator_headers(v: Validators) -> dict[str, str]:
    return {
        **MEDIA_HEADERS,
        "ETag": v.etag,
        "Last-Modified": v.last_modified,
        "Accept-Ranges": "bytes",
    }


def respond_cached(
    request: web.Request,
    entry: Cached,
    mime: str,
    extra: dict[str, str] | None = None,
    make: Callable[..., web.Response] = web.Response,
) -> web.Response:
    """A file from RAM answered by `evaluate`: 304, 206, or the full body in a response built by
    `make` (412 and 416 raised as errors)."""
    body = entry.body
    verdict = evaluate(request, entry.validators)
    headers = {**_validator_headers(entry.validators), **(extra or {})}
    if verdict.status == 304:
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = mime
    if verdict.status == 200:
        return make(body=body, headers=headers)
    start, end = verdict.start, verdict.end
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(body)}"
    return web.Response(status=206, body=body[start:end], headers=headers)


class SentOnce(web.Response):
    """A body read whole for this one response. aiohttp keeps the response until the
    connection's next request; this one lets its body, and the read budget, go once written."""

    def __init__(self, release: Callable[[], object], **kwargs: Any):
        # Also given back if it is never written (the client left) or not even built: when the
        # response is freed. Registered first, so a failing __init__ cannot keep it.
        self._give_back = weakref.finalize(self, release)
        super().__init__(**kwargs)

    async def write_eof(self, data: bytes = b"") -> None:
        try:
            await super().write_eof(data)
        finally:
            self.body = None
            self._give_back()


class SafeFileResponse(web.FileResponse):
    """FileResponse that takes no symbolic link: a link swapped in after serve_media's check
    is refused (403) rather than followed."""

    def _get_file_path_stat_encoding(
        self, accept_encoding: str
    ) -> tuple[Path | None, os.stat_result, str | None]:
        path = Path(self._path)
        st = path.lstat()
        return (path if stat.S_ISREG(st.st_mode) else None), st, None


@routes.get(MEDIA_PATH)
@documented("A stored original or variant (ETag, Last-Modified, Range, If-None-Match, HEAD)")
async def serve_media(request: web.Request) -> web.StreamResponse:
    try:
        return await _serve_media(request)
    except UnsafeMedia as exc:
        log.warning("refused to serve %s: %s", request.path, exc)
        raise NotFound("No such file.") from None


def _check_regular(path: Path) -> None:
    os.close(open_media(path))


async def _serve_media(request: web.Request) -> web.StreamResponse:
    name = _name(request)
    claims = await claims_of(request)
    db, memo = request.app[db_key], request.app[media_memo_key]
    # Only a granted access is remembered, and only until the next write anywhere.
    memo_key = (claims.user_id, claims.ver, name)
    generation = db.generation
    found = memo.get(memo_key, generation)
    if found is None:
        found = await db.read(lambda conn: _lookup(conn, claims, name))
        memo.put(memo_key, found, generation)
    storage = request.app[storage_key]
    if found.variant is not None:
        if found.size <= MAX_ENTRY_BYTES:
            key = request.match_info["filename"]
            # A hit needs no path: building one is a measurable part of a cached response.
            entry = storage.cache.get(key) or await storage.cached(
                key, storage.layout.variant(found.file_id, found.variant, found.ext)
            )
            if entry is not None:
                return respond_cached(request, entry, found.mime)
        path = storage.layout.variant(found.file_id, found.variant, found.ext)
    else:
        path = storage.layout.original(found.category, found.file_id, found.ext)
    extra: dict[str, str] = {}
    if found.variant is None and found.category == "documents":
        extra["Content-Disposition"] = _disposition(found)
    read = request.method == "GET"
    if any(h in request.headers for h in _VALIDATING):
        validators = await storage.validators(path)
        if validators is not None:
            verdict = evaluate(request, validators)
            if verdict.status == 304:
                return web.Response(status=304, headers={**_validator_headers(validators), **extra})
            # FileResponse sends a 206 as evaluate does. A Range to be ignored (a stale
            # If-Range, another unit, a list, a HEAD) it would still apply: read that one whole.
            read = verdict.status == 200 and (read or "Range" in request.headers)
    if read:
        whole = await storage.read_whole(path, found.size)
        if whole is not None:
            entry, release = whole
            return respond_cached(request, entry, found.mime, extra, partial(SentOnce, release))
    with contextlib.suppress(FileNotFoundError):  # FileResponse answers a missing file itself
        await asyncio.to_thread(_check_regular, path)
    return SafeFileResponse(path, headers={**MEDIA_HEADERS, "Content-Type": found.mime, **extra})


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
