"""Storage: streaming an upload into temp, checking it in the pool, placing it, removing it.

The database is not touched here: callers commit the row between `place` and the answer, and
call `discard_placed` when that commit fails, so a row never points at a missing file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeVar

from gymhub import imaging, metrics
from gymhub.config import Config
from gymhub.data.catalogue import DOCUMENTS
from gymhub.data.files import FileRow
from gymhub.data.files import Variant as FileVariant
from gymhub.errors import ApiError, InvalidFile, TooLarge, Unavailable, UnsupportedType
from gymhub.storage.cache import (
    MAX_ENTRY_BYTES,
    MAX_WHOLE_BYTES,
    Cached,
    MediaCache,
    ReadBudget,
    Validators,
    load_file,
    validators_of,
)
from gymhub.storage.layout import EXT_OF, VARIANT_NAMES, Layout, fsync_dir, remove_quietly
from gymhub.storage.space import DiskSpace

log = logging.getLogger("gymhub.storage")
T = TypeVar("T")

CHUNK = 64 * 1024
# Received chunks are gathered up to this size before one thread hop writes and hashes them.
WRITE_BUFFER = 1024 * 1024
# Enough for libmagic to name every accepted type from the first chunk.
SNIFF_BYTES = 8 * 1024


class ChunkSource(Protocol):
    """What a multipart body part offers: read_chunk() returning b"" at its end."""

    async def read_chunk(self, size: int = ...) -> bytes: ...


@dataclass
class Received:
    """An upload streamed into temp: its id, path, size and sha256."""

    file_id: str
    path: Path
    size: int
    sha256: str


@dataclass
class VariantOut:
    """One variant written by the pool, before and after placement."""

    name: str
    ext: str
    mime: str
    width: int
    height: int
    size: int
    path: Path


@dataclass
class Checked:
    """An upload the pool accepted: final mime and extension, pixel size, variants."""

    mime: str
    ext: str
    width: int | None
    height: int | None
    variants: list[VariantOut] = field(default_factory=list)

    @property
    def stored_bytes(self) -> int:
        return sum(v.size for v in self.variants)


def allowed_mimes(category: str) -> frozenset[str]:
    """The sniffed types a category accepts."""
    return imaging.DOCUMENT_MIMES if category == DOCUMENTS else imaging.IMAGE_MIMES


def _api_error(err: imaging.ImagingError) -> ApiError:
    if err.code == "unsupported_type":
        return UnsupportedType(_sentence(err.message))
    return InvalidFile(_sentence(err.message))


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


class Storage:
    """The media tree of one data dir, with the pool that checks uploads and a cache of variants."""

    def __init__(
        self,
        config: Config,
        pool: ProcessPoolExecutor,
        make_pool: Callable[[], ProcessPoolExecutor] | None = None,
        space: DiskSpace | None = None,
    ):
        self.config = config
        self.space = space
        self.layout = Layout(config.media_dir)
        self.pool = pool
        self._make_pool = make_pool
        # Pools started here to replace a broken one; the first pool belongs to pool_ctx.
        self.replacements: list[ProcessPoolExecutor] = []
        self.cache = MediaCache(config.media_cache_bytes)
        self.read_budget = ReadBudget(config.media_read_bytes)

    async def receive(self, source: ChunkSource, category: str) -> Received:
        """Stream a part into temp while hashing and counting; 413 past the limit, 415 if the
        first chunk is clearly not an accepted type. Nothing is left behind on failure.

        The bytes are written and hashed in a thread while the next ones are read, and the
        sniff runs beside the reading too: the body's tail is not kept waiting by either. The
        file is not yet fsynced: `check` does that beside the pool's work."""
        limit = self.config.limit_for(category)
        allowed = allowed_mimes(category)
        file_id = uuid.uuid4().hex
        path = self.layout.temp_part(file_id)
        digest = hashlib.sha256()
        size = 0
        pending: list[bytes] = []
        buffered = 0
        sniff: asyncio.Future[None] | None = None
        # At most one write in flight, so the hash sees the bytes in order.
        writing: asyncio.Future[None] | None = None
        out: BinaryIO | None = None
        try:
            out = await asyncio.to_thread(open, path, "wb")
            while True:
                chunk = await source.read_chunk(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise TooLarge(
                        f"The file is larger than the {category} limit of {limit} bytes."
                    )
                pending.append(chunk)
                buffered += len(chunk)
                if sniff is None and buffered >= SNIFF_BYTES:
                    sniff = asyncio.ensure_future(self._sniff(b"".join(pending), allowed, category))
                if sniff is not None and sniff.done():
                    sniff.result()  # a 415 stops the read here
                if buffered >= WRITE_BUFFER:
                    if writing is not None:
                        await writing
                    writing = _in_thread(_write_hashed, out, digest, pending, self._room(buffered))
                    pending, buffered = [], 0
            if sniff is None:
                sniff = asyncio.ensure_future(self._sniff(b"".join(pending), allowed, category))
            await sniff
            if writing is not None:
                await writing
            writing = None
            await asyncio.to_thread(_finish, out, digest, pending, self._room(buffered))
            out = None
        except BaseException:
            await _settled(sniff, writing)
            await asyncio.to_thread(_abandon, out, path)
            raise
        return Received(file_id, path, size, digest.hexdigest())

    def _room(self, nbytes: int) -> Callable[[], None] | None:
        """The check that gives 507 before nbytes more are written if they would eat into the
        free-space margin (a body without a Content-Length, or one that lied, is only measured
        as it streams); the writing thread runs it, saving the loop a hop per MiB."""
        if self.space is None:
            return None
        return partial(self.space.check_room, nbytes)

    @staticmethod
    async def _sniff(head: bytes, allowed: frozenset[str], category: str) -> None:
        started = time.perf_counter()
        plausible = await asyncio.to_thread(imaging.plausible, head, allowed)
        metrics.stage("sniff", time.perf_counter() - started)
        if not plausible:
            raise UnsupportedType(
                f"This type of file is not accepted in {category} "
                f"(accepted: {imaging.sniff.describe(allowed)})."
            )

    async def check(self, received: Received, category: str) -> Checked:
        """The final verdict in the pool: a document's structure, or an image's variants.

        The received file is fsynced in a thread meanwhile (the worker reads it from the page
        cache): once this returns, it is durable."""
        synced = _in_thread(_fsync_file, received.path)
        try:
            checked = await self._verdict(received, category)
        except BaseException:
            await _settled(synced)
            raise
        await synced
        return checked

    async def _verdict(self, received: Received, category: str) -> Checked:
        allowed = allowed_mimes(category)
        started = time.perf_counter()
        try:
            if category == DOCUMENTS:
                doc = await self._in_pool(imaging.inspect_document, str(received.path), allowed)
                return Checked(doc["mime"], EXT_OF[doc["mime"]], None, None)
            out = await self._in_pool(
                imaging.process_image,
                str(received.path),
                str(self.layout.temp),
                received.file_id,
                self.config.max_pixels,
                allowed,
            )
        except imaging.ImagingError as err:
            raise _api_error(err) from None
        except Unavailable:
            # A worker killed mid-job may have written some variants already.
            await asyncio.to_thread(self._drop_partial_variants, received.file_id)
            raise
        metrics.IMAGE_SECONDS.observe(time.perf_counter() - started)
        _pool_stages(started, out.get("timings"))
        return checked_image(out)

    def _drop_partial_variants(self, file_id: str) -> None:
        remove_quietly(
            [
                self.layout.temp / f"{file_id}_{name}.{ext}"
                for name in VARIANT_NAMES
                for ext in ("jpg", "png")
            ]
        )

    async def _in_pool(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn in the pool; a pool whose worker died (OOM killer, crash) is replaced.

        A pool found broken before this job is none of its doing: the job runs on the new
        pool. A job the pool broke under gets 503, as it may well be the cause.
        """
        pool = self.pool
        try:
            future = pool.submit(fn, *args)
        except BrokenProcessPool:
            pool = self._replace_pool(pool)
            future = pool.submit(fn, *args)
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._replace_pool(pool)
            raise Unavailable(
                "The image worker stopped while checking this file; please try again."
            ) from None

    def _replace_pool(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        if self.pool is broken:
            if self._make_pool is None:
                raise Unavailable("The image workers are not available.")
            log.error("the image process pool broke (a worker died); starting a new one")
            # Its workers are dead or being killed: nothing to wait for.
            broken.shutdown(wait=False, cancel_futures=True)
            self.pool = self._make_pool()
            self.replacements.append(self.pool)
        return self.pool

    def shutdown_replacements(self) -> None:
        """Stop the pools started to replace broken ones (blocking: call it in a thread)."""
        for pool in self.replacements:
            pool.shutdown(wait=True, cancel_futures=True)
        self.replacements.clear()

    async def place(self, received: Received, category: str, checked: Checked) -> list[Path]:
        """Move the checked upload into the tree durably; returns the placed paths."""
        started = time.perf_counter()
        placed = await asyncio.to_thread(self._place, received, category, checked)
        metrics.stage("place", time.perf_counter() - started)
        return placed

    def _place(self, received: Received, category: str, checked: Checked) -> list[Path]:
        return place_files(self.layout, received, category, checked)

    async def discard_temp(self, received: Received, checked: Checked | None = None) -> None:
        """Remove an upload's temp files (refused, or a duplicate of a live file)."""
        paths = [received.path] + [v.path for v in (checked.variants if checked else [])]
        await asyncio.to_thread(remove_quietly, paths)

    async def discard_placed(self, paths: list[Path]) -> None:
        """Remove placed files whose row was not committed."""
        await asyncio.to_thread(remove_quietly, paths)

    def paths_of(self, row: FileRow, variants: list[FileVariant]) -> list[Path]:
        """Every path of a file row and its variant rows."""
        paths = [self.layout.original(row.category, row.id, row.ext)]
        paths += [self.layout.variant(row.id, v.variant, v.ext) for v in variants]
        return paths

    async def remove(self, row: FileRow, variants: list[FileVariant]) -> int:
        """Remove a deleted file's original and variants (after its row is gone)."""
        self.cache.discard_file(row.id)
        return await asyncio.to_thread(remove_quietly, self.paths_of(row, variants))

    async def cached(self, key: str, path: Path) -> Cached | None:
        """A small file's bytes from the LRU, read once into it; None when too big to cache."""
        entry = self.cache.get(key)
        if entry is not None:
            return entry
        loaded = await asyncio.to_thread(load_file, path, MAX_ENTRY_BYTES)
        if loaded is not None:
            self.cache.put(key, loaded)
        return loaded

    async def validators(self, path: Path) -> Validators | None:
        """The ETag, mtime and size FileResponse will send for path; None when it is missing."""
        return await asyncio.to_thread(validators_of, path)

    async def read_whole(
        self, path: Path, size: int, beyond_budget: bool = False
    ) -> tuple[Cached, Callable[[], None]] | None:
        """A file of `size` bytes (at most MAX_WHOLE_BYTES) read in one thread hop, and the call
        that gives its size back to the read budget once the bytes are sent; None, with nothing
        counted, when it is bigger, missing, not that size, or the budget is spent (unless
        `beyond_budget`: counted all the same)."""
        if size > MAX_WHOLE_BYTES or not self.read_budget.take(size, beyond_budget):
            return None
        release = partial(self.read_budget.release, size)
        try:
            loaded = await asyncio.to_thread(load_file, path, size)
        except BaseException:
            release()
            raise
        if loaded is None:
            release()
            return None
        return loaded, release


def _pool_stages(submitted: float, timings: dict[str, float] | None) -> None:
    """The pool job's stages as Server-Timing shows them: the wait for a worker, the worker's
    own steps, and the way back to the event loop (perf_counter is CLOCK_MONOTONIC here, the
    clock the worker's times are on)."""
    if timings is None or not metrics.timing_on():
        return
    metrics.stage("pool_queue", timings["start"] - submitted)
    for name in ("sniff", "decode", "resize", "encode", "fsync"):
        metrics.stage(f"pool_{name}", timings.get(name, 0.0))
    metrics.stage("pool_return", time.perf_counter() - timings["end"])


def checked_image(out: dict[str, Any]) -> Checked:
    """The verdict of imaging.process_image as a Checked upload."""
    return Checked(out["mime"], EXT_OF[out["mime"]], out["width"], out["height"], _variants(out))


def place_files(layout: Layout, received: Received, category: str, checked: Checked) -> list[Path]:
    """Move a checked upload into the tree durably (blocking); returns the placed paths.

    On failure nothing of it is left, in temp or in the tree."""
    moves = [(received.path, layout.original(category, received.file_id, checked.ext))]
    for v in checked.variants:
        moves.append((v.path, layout.variant(received.file_id, v.name, v.ext)))
    placed: list[Path] = []
    try:
        for source, target in moves:
            os.replace(source, target)
            placed.append(target)
        for directory in {t.parent for _, t in moves}:
            fsync_dir(directory)
    except BaseException:
        remove_quietly(placed + [s for s, _ in moves])
        raise
    return placed


def _variants(out: dict[str, Any]) -> list[VariantOut]:
    found = []
    for name, v in out["variants"].items():
        found.append(
            VariantOut(
                name,
                EXT_OF[v["mime"]],
                v["mime"],
                v["width"],
                v["height"],
                v["size"],
                Path(v["path"]),
            )
        )
    return found


def _write_hashed(
    out: BinaryIO, digest: Any, chunks: list[bytes], room: Callable[[], None] | None
) -> None:
    # Chunk by chunk: joining a megabyte first cost the event loop a copy and fresh pages.
    if room is not None:
        room()
    started = time.perf_counter()
    for chunk in chunks:
        digest.update(chunk)
    out.writelines(chunks)
    metrics.stage("hashwrite", time.perf_counter() - started)


def _finish(
    out: BinaryIO, digest: Any, chunks: list[bytes], room: Callable[[], None] | None
) -> None:
    """The last bytes, then close (`check` fsyncs the file beside the pool's work)."""
    try:
        _write_hashed(out, digest, chunks, room)
    finally:
        out.close()


def _fsync_file(path: Path) -> None:
    started = time.perf_counter()
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    metrics.stage("fsync_original", time.perf_counter() - started)


def _in_thread(fn: Callable[..., None], *args: Any) -> asyncio.Future[None]:
    """fn(*args) in a thread, started now and awaited later."""
    return asyncio.ensure_future(asyncio.to_thread(fn, *args))


async def _settled(*futures: asyncio.Future[None] | None) -> None:
    """Wait for work already started (a thread still writing the file) and drop its outcome:
    the error being raised is the one that counts."""
    for future in futures:
        if future is not None:
            with contextlib.suppress(BaseException):
                await future


def _abandon(out: BinaryIO | None, path: Path) -> None:
    if out is not None:
        with contextlib.suppress(OSError):
            out.close()
    remove_quietly([path])
