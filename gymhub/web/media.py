"""The media fast path over HTTP: which of the three ways a granted file goes out (the LRU of
small variants, a read whole under the `media_read_bytes` budget, or sendfile), and the RFC 9110
preconditions, Range, 304, 206 and 416 that all three answer alike. Who may fetch what is decided
before this (handlers/media.py asks auth/policy); the bytes come from storage/cache.py."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
import stat
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import hdrs, web
from multidict import CIMultiDict, CIMultiDictProxy

from gymhub.errors import NotFound, PreconditionFailed, RangeNotSatisfiable
from gymhub.storage.cache import MAX_ENTRY_BYTES, Cached, UnsafeMedia, Validators, open_media
from gymhub.storage.store import Storage

log = logging.getLogger("gymhub.media")
MEDIA_HEADERS = {
    "Cache-Control": "private, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    # Media is never a document of ours: no scripts, no same-origin, even if a browser renders it.
    "Content-Security-Policy": "sandbox",
    # What web/headers.py adds to every answer, here so a cached file's headers hold them.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


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
    # Whose file it is: a fetch by anyone else is counted in the owner's access log.
    owner_id: int = 0


def _matches(header: str, etag: str, weak: bool) -> bool:
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in tags or (weak and f"W/{etag}" in tags)


def _validating(headers: CIMultiDictProxy[str]) -> bool:
    """Whether the request names a header that makes its answer depend on the file's validators
    (spelt out: a generator over a tuple of names cost more than the lookups)."""
    return (
        hdrs.IF_NONE_MATCH in headers
        or hdrs.IF_MODIFIED_SINCE in headers
        or hdrs.RANGE in headers
        or hdrs.IF_MATCH in headers
        or hdrs.IF_UNMODIFIED_SINCE in headers
        or hdrs.IF_RANGE in headers
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


# The headers of a plain 200 for a cached file, built once per file and type (a response copies
# them): most GETs of a page's thumbnails carry no validator, and building these per request was
# a measurable part of a cached thumbnail's cost (bench/serve.py).
@functools.lru_cache(maxsize=4096)
def _plain_headers(etag: str, last_modified: str, mime: str) -> CIMultiDict[str]:
    return CIMultiDict(
        {
            **MEDIA_HEADERS,
            "ETag": etag,
            "Last-Modified": last_modified,
            "Accept-Ranges": "bytes",
            "Content-Type": mime,
        }
    )


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
    if extra is None and make is web.Response and not _validating(request.headers):
        v = entry.validators
        return web.Response(body=body, headers=_plain_headers(v.etag, v.last_modified, mime))
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
    """FileResponse that takes no symbolic link: a link swapped in after send_media's check
    is refused (403) rather than followed."""

    def _get_file_path_stat_encoding(
        self, accept_encoding: str
    ) -> tuple[Path | None, os.stat_result, str | None]:
        path = Path(self._path)
        st = path.lstat()
        return (path if stat.S_ISREG(st.st_mode) else None), st, None


def _check_regular(path: Path) -> None:
    os.close(open_media(path))


def answer_cached(
    request: web.Request, storage: Storage, found: Found, key: str
) -> web.Response | None:
    """The answer for a small variant already in the LRU under `key`, without a coroutine or a
    path (most of a page of thumbnails); None for anything else, which send_media answers."""
    if found.variant is None:
        return None
    entry = storage.cache.get(key)
    return None if entry is None else respond_cached(request, entry, found.mime)


async def send_media(
    request: web.Request, storage: Storage, found: Found, key: str, extra: dict[str, str]
) -> web.StreamResponse:
    """Answer a GET or HEAD for a file the viewer may fetch; `key` names a small variant in the
    LRU, `extra` are headers of this file's every answer. A symbolic link or anything but a
    regular file where the file should be is logged and answered 404, never followed."""
    try:
        return await _send(request, storage, found, key, extra)
    except UnsafeMedia as exc:
        log.warning("refused to serve %s: %s", request.path, exc)
        raise NotFound("No such file.") from None


async def _send(
    request: web.Request, storage: Storage, found: Found, key: str, extra: dict[str, str]
) -> web.StreamResponse:
    if found.variant is not None:
        # answer_cached() took the LRU's hits before: this reads a small variant into it.
        path = storage.layout.variant(found.file_id, found.variant, found.ext)
        if found.size <= MAX_ENTRY_BYTES:
            entry = await storage.cached(key, path)
            if entry is not None:
                return respond_cached(request, entry, found.mime)
    else:
        path = storage.layout.original(found.category, found.file_id, found.ext)
    read, ignored_range = request.method == "GET", False
    # Those headers need the file's validators: looked up with one stat first.
    if _validating(request.headers):
        validators = await storage.validators(path)
        if validators is not None:
            verdict = evaluate(request, validators)
            if verdict.status == 304:
                return web.Response(status=304, headers={**_validator_headers(validators), **extra})
            # FileResponse sends a 206 as evaluate does. A Range to be ignored (a stale
            # If-Range, another unit, a list, a HEAD) it would still apply: read that one
            # whole, past the budget if need be (such requests are rare).
            ignored_range = verdict.status == 200 and hdrs.RANGE in request.headers
            read = verdict.status == 200 and (read or ignored_range)
    if read:
        whole = await storage.read_whole(path, found.size, beyond_budget=ignored_range)
        if whole is not None:
            entry, release = whole
            return respond_cached(request, entry, found.mime, extra, partial(SentOnce, release))
    with contextlib.suppress(FileNotFoundError):  # FileResponse answers a missing file itself
        await asyncio.to_thread(_check_regular, path)
    return SafeFileResponse(path, headers={**MEDIA_HEADERS, "Content-Type": found.mime, **extra})
