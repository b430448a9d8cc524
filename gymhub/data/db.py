"""The Database: one write connection for short BEGIN IMMEDIATE transactions, one for reads,
each in a thread of its own."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

log = logging.getLogger("gymhub.data")

T = TypeVar("T")
Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]

BUSY_TIMEOUT_MS = 10_000
# How often commits made by other processes (the CLI) are looked for: they reach values
# remembered against Database.generation within this time.
EXTERNAL_CHANGES_CHECK = 1.0


def utcnow() -> str:
    """Now as the API's timestamp: ISO 8601 in UTC with milliseconds and a Z."""
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def migrations() -> list[tuple[int, str]]:
    """The numbered SQL steps shipped in data/migrations, in order."""
    steps = []
    for entry in resources.files("gymhub.data.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            steps.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(steps)


def _configure(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    # A 201 must survive a power cut; a gym writes little, so FULL costs nothing that matters.
    conn.execute("PRAGMA synchronous = FULL")


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration above PRAGMA user_version, each in its own transaction."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, sql in migrations():
        if number <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Statement by statement: executescript() would commit our transaction.
            for statement in _split(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("applied migration %04d", number)
        current = number
    return int(current)


def _split(sql: str) -> Iterable[str]:
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer
            buffer = ""
    if buffer.strip():
        yield buffer


def create_private(path: Path) -> None:
    """Create the database file 0600 if it does not exist: SQLite gives its -wal and -shm the
    database's mode, and password hashes are nobody else's business, whatever the umask."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def connect_sync(path: Path) -> sqlite3.Connection:
    """A plain connection for the CLI's short jobs, configured like the server's."""
    create_private(path)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    _configure(conn)
    conn.execute("PRAGMA journal_mode = WAL")
    return conn


def run_write(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run fn as one BEGIN IMMEDIATE transaction, committing or rolling back as a unit."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
        conn.execute("COMMIT")
    except BaseException:
        # SQLITE_FULL (and a few I/O errors) may already have rolled the transaction back, and a
        # failed COMMIT leaves it open: roll back only what is still open, so the original error
        # surfaces and the next BEGIN does not meet a transaction left behind.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


_Read = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]


def _run_batch(conn: sqlite3.Connection, batch: list[_Read]) -> list[tuple[bool, Any]]:
    """Each read of a batch on its own: one failing read does not touch the others."""
    results: list[tuple[bool, Any]] = []
    for fn, _ in batch:
        try:
            results.append((True, fn(conn)))
        except Exception as exc:
            results.append((False, exc))
    return results


def _deliver(batch: list[_Read], results: list[tuple[bool, Any]]) -> None:
    for (_, future), (ok, value) in zip(batch, results, strict=True):
        _settle(future, ok, value)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # its awaiter went away meanwhile
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


_Job = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]


class _ConnectionThread:
    """One sqlite3 connection, used only by its own thread, which runs queued functions in order.

    A function runs whole before the next one starts, so a transaction sent as one function
    is indivisible whatever the coroutines around it do.
    """

    def __init__(self, path: Path, name: str):
        self.path = path
        self._loop = asyncio.get_running_loop()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._stopped: asyncio.Future[None] = self._loop.create_future()
        self._closing = False
        # A daemon: should a caller ever forget close(), the thread cannot keep the process
        # alive (aiosqlite's thread could, and `serve` then hung on a file that is not a
        # database). close() is what ends it cleanly.
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn: sqlite3.Connection | None = None
        while (job := self._jobs.get()) is not None:
            fn, future = job
            try:
                if conn is None:
                    conn = sqlite3.connect(self.path, isolation_level=None)
                outcome: tuple[bool, Any] = (True, fn(conn))
            except BaseException as exc:
                outcome = (False, exc)
            self._call_soon(_settle, future, *outcome)
        try:
            if conn is not None:
                conn.close()
            outcome = (True, None)
        except BaseException as exc:
            outcome = (False, exc)
        self._call_soon(_settle, self._stopped, *outcome)

    def _call_soon(self, fn: Callable[..., None], *args: Any) -> None:
        # The loop may be closed already when a thread outlives it (a forgotten close()).
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(fn, *args)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """fn(conn) in the connection's thread, after everything queued before it."""
        if self._closing:
            raise RuntimeError("database is not open")
        future: asyncio.Future[T] = self._loop.create_future()
        self._jobs.put((fn, future))
        return await future

    async def close(self) -> None:
        """Let queued work finish, close the connection and end the thread."""
        if not self._closing:
            self._closing = True
            self._jobs.put(None)
        await asyncio.shield(self._stopped)
        # The thread's last act was to report: joining it takes no time.
        self._thread.join()


class Database:
    """Owns two connections in two threads: writes go whole through one, reads through the other."""

    def __init__(self, path: Path):
        self.path = path
        self._writer: _ConnectionThread | None = None
        self._reader: _ConnectionThread | None = None
        self.schema_version = 0
        self._pending_reads: list[_Read] = []
        self._read_batch: asyncio.Future[None] | None = None
        # Moves on after every write transaction here and every commit seen from elsewhere:
        # a value read at one generation is still true while the generation has not moved.
        self.generation = 0
        self._data_version: int | None = None
        self._watcher: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Open both connections, set the pragmas and bring the schema up to date.

        On failure (a file that is not a database, say) whatever was opened is closed again.
        """
        await asyncio.to_thread(create_private, self.path)
        try:
            self._writer = _ConnectionThread(self.path, "gymhub-db-writer")
            await self._writer.run(self._setup_writer)
            self._reader = _ConnectionThread(self.path, "gymhub-db-reader")
            await self._reader.run(self._setup_reader)
        except BaseException:
            await self.close()
            raise
        self._watcher = asyncio.create_task(self._watch_external_changes())

    def _setup_writer(self, conn: sqlite3.Connection) -> None:
        _configure(conn)
        conn.execute("PRAGMA journal_mode = WAL")
        self.schema_version = migrate(conn)

    @staticmethod
    def _setup_reader(conn: sqlite3.Connection) -> None:
        _configure(conn)
        conn.execute("PRAGMA query_only = ON")
        # A 300-client dashboard walks several MB of index pages; in SQLite's default 2 MB it
        # read them from the OS again on every request (bench/dashboard.py: 12.1 -> 8.7 ms).
        # A ceiling, not an allocation: pages are held only once read.
        conn.execute("PRAGMA cache_size = -32000")

    async def close(self) -> None:
        """Close the reader, then the writer (checkpointing the WAL)."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        for thread in (self._reader, self._writer):
            if thread is not None:
                await thread.close()
        self._reader = self._writer = None

    def _need(self, thread: _ConnectionThread | None) -> _ConnectionThread:
        if thread is None:
            raise RuntimeError("database is not open")
        return thread

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run fn(conn) in the writer's thread as one BEGIN IMMEDIATE transaction."""
        try:
            return await self._need(self._writer).run(lambda conn: run_write(conn, fn))
        finally:
            # Before the caller answers its client: whoever hears of the write sees it.
            self.generation += 1

    async def check_external_changes(self) -> bool:
        """Move the generation on if another process committed since the last check."""
        # Asked on the writer: data_version moves for every other connection's commit, and on
        # the reader that includes our own writer's, which write() has already counted.
        version = await self._need(self._writer).run(_data_version)
        changed = self._data_version is not None and version != self._data_version
        self._data_version = version
        if changed:
            self.generation += 1
        return changed

    async def _watch_external_changes(self) -> None:
        while True:
            try:
                await self.check_external_changes()
            except (sqlite3.Error, RuntimeError):
                log.exception("checking for changes by other processes failed; trying again")
                self.generation += 1  # cannot tell: assume the worst
            await asyncio.sleep(EXTERNAL_CHANGES_CHECK)

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run fn(conn) in the reader's thread: several queries for one round trip.

        Reads issued while another batch is in the thread wait and go together: under load one
        thread hop (and its GIL hand-offs) serves many requests instead of one each.
        """
        self._need(self._reader)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending_reads.append((fn, future))
        if self._read_batch is None:
            self._read_batch = asyncio.ensure_future(self._read_batches())
        return cast(T, await future)

    async def _read_batches(self) -> None:
        try:
            while self._pending_reads:
                batch, self._pending_reads = self._pending_reads, []
                try:
                    results = await self._need(self._reader).run(
                        functools.partial(_run_batch, batch=batch)
                    )
                except asyncio.CancelledError:
                    for _, future in batch + self._pending_reads:
                        future.cancel()
                    raise
                except Exception as exc:  # the batch never ran: each of its reads fails so
                    results = [(False, exc)] * len(batch)
                _deliver(batch, results)
        finally:
            self._read_batch = None

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """First row of a read query, or None."""
        return await self.read(lambda c: c.execute(sql, params).fetchone())

    async def ping(self, timeout: float = 2.0) -> bool:
        """True when the database answers a trivial query in time."""
        try:
            row = await asyncio.wait_for(self.fetchone("SELECT 1"), timeout)
        except (TimeoutError, sqlite3.Error, RuntimeError):
            return False
        return row is not None


def _data_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def set_columns(
    conn: sqlite3.Connection,
    table: str,
    row_id: int,
    changes: Mapping[str, Any],
    editable: Sequence[str],
    encode: Callable[[str, Any], Any] = lambda _column, value: value,
) -> None:
    """UPDATE the editable columns named in changes of one row by id (others are refused with
    ValueError: a caller's bug, never the client's), values through encode; none, no statement."""
    sets = [column for column in changes if column in editable]
    if len(sets) != len(changes):
        raise ValueError(f"not editable: {sorted(set(changes) - set(editable))}")
    if sets:
        assignments = ", ".join(f"{column} = ?" for column in sets)
        values = (*(encode(column, changes[column]) for column in sets), row_id)
        conn.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", values)
