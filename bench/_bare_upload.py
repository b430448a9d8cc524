"""The simplest aiohttp app doing an upload's unavoidable work: the ceiling of bench/upload.py
and bench/latency.py.

`POST /api/files/upload` streams the form's first part into a temp file (one thread hop per
MiB written), runs gymhub's own `imaging.process_image` in a one-worker pool started as gymhub
starts it (`imaging.init_worker`: the same niceness and scheduling class) while a thread fsyncs
the file, and answers 201 once both are done. `GET /api/me` reads a user row by id from SQLite
in a reader thread (API.md: every request is checked against the database), spends the
microseconds of its loop's CPU last set by `PUT /spin` (a number as the body; 0 at start), then
answers a small JSON. The bench sets what gymhub's loop spends per `/api/me` beyond this app's
own, so the loop is as busy as gymhub's under the same GET load: what it keeps during the burst
is what any aiohttp app doing this work keeps on this machine. No auth, no middleware, no access
log.

    python bench/_bare_upload.py PORT TMP_DIR WORKERS NICE IDLE(0|1)

Its temp files go to TMP_DIR, which the caller removes.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from aiohttp import BodyPartReader, web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gymhub import imaging

WRITE = 1024 * 1024


def _write(out: BinaryIO, chunks: list[bytes]) -> None:
    for chunk in chunks:
        out.write(chunk)


def _finish(out: BinaryIO, chunks: list[bytes]) -> None:
    _write(out, chunks)
    out.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reader(tmp: Path) -> tuple[ThreadPoolExecutor, Callable[[], tuple[Any, ...]]]:
    """A thread with its own connection to a one-user database, and the read it runs."""
    path = tmp / "users.db"
    with contextlib.closing(sqlite3.connect(path)) as setup:
        setup.execute("PRAGMA journal_mode = WAL")
        setup.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, role TEXT)")
        setup.execute("INSERT INTO users VALUES (1, 'admin', 'admin')")
        setup.commit()
    local = threading.local()

    def read() -> tuple[Any, ...]:
        if not hasattr(local, "conn"):
            local.conn = sqlite3.connect(path)
        row = local.conn.execute("SELECT id, username, role FROM users WHERE id = ?", (1,))
        return tuple(row.fetchone())

    return ThreadPoolExecutor(1), read


def make_app(pool: ProcessPoolExecutor, tmp: Path) -> web.Application:
    reader, read = _reader(tmp)
    spin = [0.0]

    async def set_spin(request: web.Request) -> web.Response:
        spin[0] = int(await request.text()) / 1e6
        return web.Response(status=204)

    async def me(request: web.Request) -> web.Response:
        user = await asyncio.get_running_loop().run_in_executor(reader, read)
        # CPU time, not wall time: a preempted loop spends the same work as gymhub's would.
        until = time.thread_time() + spin[0]
        while time.thread_time() < until:
            pass
        return web.json_response(dict(zip(("id", "username", "role"), user, strict=True)))

    async def upload(request: web.Request) -> web.Response:
        reader = await request.multipart()
        part = await reader.next()
        assert isinstance(part, BodyPartReader)
        stem = uuid.uuid4().hex
        path = tmp / f"{stem}.part"
        out = await asyncio.to_thread(open, path, "wb")
        pending: list[bytes] = []
        buffered = 0
        while chunk := await part.read_chunk(64 * 1024):
            pending.append(chunk)
            buffered += len(chunk)
            if buffered >= WRITE:
                await asyncio.to_thread(_write, out, pending)
                pending, buffered = [], 0
        await asyncio.to_thread(_finish, out, pending)
        loop = asyncio.get_running_loop()
        job = (str(path), str(tmp), stem, 50_000_000, imaging.IMAGE_MIMES)
        # As gymhub does: the original is made durable beside the pool's work, not before it.
        result, _ = await asyncio.gather(
            loop.run_in_executor(pool, imaging.process_image, *job),
            asyncio.to_thread(_fsync, path),
        )
        return web.json_response({"id": stem, "mime": result["mime"]}, status=201)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_get("/api/me", me)
    app.router.add_put("/spin", set_spin)
    app.router.add_post("/api/files/upload", upload)
    return app


async def main(port: int, tmp: Path, workers: int, nice: int, idle: bool) -> None:
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=imaging.init_worker, initargs=(nice, idle)
    ) as pool:
        stop = asyncio.Event()
        # SIGTERM ends the pool too: an orphaned worker would hold the bench's pipes open.
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        runner = web.AppRunner(make_app(pool, tmp), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    port, tmp, workers, nice, idle = sys.argv[1:6]
    asyncio.run(main(int(port), Path(tmp), int(workers), int(nice), idle == "1"))
