"""The Database: one write connection for short BEGIN IMMEDIATE transactions, one for reads."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

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
        if future.done():  # its request went away meanwhile
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class Database:
    """Owns the aiosqlite connections; writes go whole through one writer, reads through another."""

    def __init__(self, path: Path):
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
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

        On failure (a file that is not a database, say) whatever was opened is closed again:
        aiosqlite's thread is not a daemon and would keep the process alive after the error.
        """
        await asyncio.to_thread(create_private, self.path)
        try:
            self._writer = await aiosqlite.connect(self.path, isolation_level=None)
            await self._run(self._writer, self._setup_writer)
            self._reader = await aiosqlite.connect(self.path, isolation_level=None)
            await self._run(self._reader, self._setup_reader)
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

    async def close(self) -> None:
        """Close the reader, then the writer (checkpointing the WAL)."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @staticmethod
    async def _run(conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
        # aiosqlite interleaves statements from different coroutines; sending the whole unit
        # as one function to the connection's thread keeps a transaction indivisible.
        # `_execute` and `_conn` are aiosqlite's own (stable since 0.17) way to do that.
        return await conn._execute(lambda: fn(conn._conn))

    def _need(self, conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise RuntimeError("database is not open")
        return conn

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run fn(conn) in the writer's thread as one BEGIN IMMEDIATE transaction."""
        try:
            return await self._run(self._need(self._writer), lambda conn: run_write(conn, fn))
        finally:
            # Before the caller answers its client: whoever hears of the write sees it.
            self.generation += 1

    async def check_external_changes(self) -> bool:
        """Move the generation on if another process committed since the last check."""
        # Asked on the writer: data_version moves for every other connection's commit, and on
        # the reader that includes our own writer's, which write() has already counted.
        version = await self._run(
            self._need(self._writer), lambda conn: conn.execute("PRAGMA data_version").fetchone()[0]
        )
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
                    results = await self._run(
                        self._need(self._reader), functools.partial(_run_batch, batch=batch)
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

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """All rows of a read query."""
        return await self.read(lambda c: c.execute(sql, params).fetchall())

    async def ping(self, timeout: float = 2.0) -> bool:
        """True when the database answers a trivial query in time."""
        try:
            row = await asyncio.wait_for(self.fetchone("SELECT 1"), timeout)
        except (TimeoutError, sqlite3.Error, RuntimeError):
            return False
        return row is not None

    async def backup_to(self, target: Path) -> None:
        """Copy the database with SQLite's online backup API, consistent while writes go on."""

        def copy(conn: sqlite3.Connection) -> None:
            dest = sqlite3.connect(target)
            try:
                conn.backup(dest)
            finally:
                dest.close()

        await self._run(self._need(self._writer), copy)
