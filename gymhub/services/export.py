"""A user's export as a zip written incrementally: JSON of their rows, then their originals.

The archive is written by zipfile in a worker thread into a sink that hands chunks of CHUNK
bytes to the event loop through a queue of QUEUE_CHUNKS, so memory stays bounded whatever the
files add up to. Originals are stored (ZIP_STORED: photos and documents are compressed already),
the JSON deflated.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

import msgspec

from gymhub.data import export
from gymhub.data.db import Database
from gymhub.storage.cache import open_media
from gymhub.storage.layout import Layout

CHUNK = 1024 * 1024
QUEUE_CHUNKS = 4
Snapshot = dict[str, list[dict[str, Any]]]


class Stopped(Exception):
    """The reader of the archive went away: the writer thread stops."""


def member_name(row: dict[str, Any]) -> str:
    """Where a file's original is in the archive."""
    return f"files/{row['category']}/{row['id']}.{row['ext']}"


def _json(rows: list[dict[str, Any]], name: str) -> bytes:
    if name == "notifications":  # their data is stored JSON: shown as JSON, not a string
        rows = [{**r, "data": msgspec.json.decode(r["data"])} for r in rows]
    if name == "files":
        rows = [{**r, "path": member_name(r)} for r in rows]
    value: Any = rows[0] if name == "account" else rows
    return msgspec.json.format(msgspec.json.encode(value), indent=2)


def write_zip(out: IO[bytes], snap: Snapshot, layout: Layout) -> None:
    """The whole archive into out (any writable stream, seekable or not)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for name, rows in snap.items():
            zf.writestr(f"{name}.json", _json(rows, name))
        for row in snap["files"]:
            path = layout.original(row["category"], row["id"], row["ext"])
            try:
                fd = open_media(path)
            except FileNotFoundError:
                continue  # deleted since the snapshot was read
            with open(fd, "rb") as src:
                info = zipfile.ZipInfo(member_name(row), _date(row["created_at"]))
                info.compress_type = zipfile.ZIP_STORED
                info.file_size = os.fstat(src.fileno()).st_size
                with zf.open(info, "w", force_zip64=True) as dst:
                    while block := src.read(CHUNK):
                        dst.write(block)


def _date(created_at: str) -> tuple[int, int, int, int, int, int]:
    d, t = created_at[:10], created_at[11:19]
    y, mo, da = (int(x) for x in d.split("-"))
    h, mi, s = (int(x) for x in t.split(":"))
    return (max(y, 1980), mo, da, h, mi, s)


class _QueueSink:
    """A write-only stream for the writer thread: chunks go to an asyncio queue, the thread
    waiting while the queue is full (the bound on memory)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | None]):
        self.loop, self.queue = loop, queue
        self.buffer = bytearray()
        self.stop = threading.Event()

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self._send(bytes(self.buffer))
            self.buffer.clear()
        return len(data)

    def flush(self) -> None:
        """zipfile flushes between members; chunks go out whole."""

    def close_stream(self) -> None:
        if self.buffer:
            self._send(bytes(self.buffer))
            self.buffer.clear()
        self._send(None)

    def _send(self, chunk: bytes | None) -> None:
        if self.stop.is_set():
            raise Stopped()
        asyncio.run_coroutine_threadsafe(self.queue.put(chunk), self.loop).result()


def _write_to_sink(sink: _QueueSink, snap: Snapshot, layout: Layout) -> None:
    write_zip(sink, snap, layout)  # type: ignore[arg-type]  # write() is all zipfile uses
    sink.close_stream()


async def read_snapshot(db: Database, user_id: int) -> Snapshot:
    """The user's rows for the export, one consistent read."""
    return await db.read(lambda conn: export.snapshot(conn, user_id))


async def stream_zip(
    snap: Snapshot, layout: Layout, send: Callable[[bytes], Awaitable[Any]]
) -> None:
    """Write the archive of a snapshot chunk by chunk to send (a response's write)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_CHUNKS)
    sink = _QueueSink(loop, queue)
    writer = asyncio.ensure_future(asyncio.to_thread(_write_to_sink, sink, snap, layout))
    try:
        while (chunk := await _next(queue, writer)) is not None:
            await send(chunk)
        await writer
    finally:
        if not writer.done():
            sink.stop.set()
            while not writer.done():  # let a thread waiting on a full queue see the stop
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                await asyncio.wait([writer], timeout=0.01)
            with contextlib.suppress(Stopped):
                writer.result()


async def _next(queue: asyncio.Queue[bytes | None], writer: asyncio.Future[None]) -> bytes | None:
    """The next chunk, or the writer's error if it failed before sending one."""
    getter = asyncio.ensure_future(queue.get())
    both: list[asyncio.Future[Any]] = [getter, writer]
    done, _ = await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
    if getter in done:
        return getter.result()
    getter.cancel()
    writer.result()  # raises the writer's error
    return queue.get_nowait() if not queue.empty() else None


def export_to_file(snap: Snapshot, layout: Layout, dest: Path) -> None:
    """The CLI's export: the archive written straight to a file."""
    with open(dest, "wb") as out:
        write_zip(out, snap, layout)
