"""Write transactions per second through gymhub's Database against the mechanisms it replaced.

Each mechanism runs the same write, a one-row INSERT as a whole BEGIN IMMEDIATE transaction
(gymhub's `run_write`, synchronous=FULL, WAL), from 1 and from `--concurrency` coroutines:

- new: `gymhub.data.db.Database.write`, the writer connection's own thread fed by a queue;
- old: aiosqlite's private `_execute`, exactly as gymhub used it before; only when aiosqlite
  can be imported (it is no longer a dependency: `--old-path DIR` adds a directory holding it);
- to_thread: a plain sqlite3 connection, each write sent by `asyncio.to_thread` under a lock.

The mechanisms take turns within each round (the order rotates), on a temp dir on disk, where
the fsync of each commit dominates, and on /dev/shm (when present), where it costs next to
nothing and the mechanism's own cost shows. Printed: each mechanism's median writes/s over
`--rounds` rounds, and the median of the rounds' ratios (new against each other mechanism in
the same round, so that a shared machine's changing load cancels out), all in the same run.
Goal: new >= 0.9x old and >= 0.9x to_thread.

    python bench/writes.py [--rounds 15] [--seconds 0.4] [--concurrency 16] [--old-path DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from gymhub.data.db import Database, _configure, connect_sync, create_private, run_write

GOAL = 0.9
Write = Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]


def insert(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO bench (v) VALUES (?)", ("x" * 64,))


def make_table(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS bench (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")


class New:
    name = "new"

    def __init__(self, path: Path):
        self.db = Database(path)

    async def open(self) -> None:
        await self.db.open()
        await self.db.write(make_table)

    async def write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        return await self.db.write(fn)

    async def close(self) -> None:
        await self.db.close()


class Old:
    """gymhub's writer before: one aiosqlite connection, each transaction one `_execute`."""

    name = "old"

    def __init__(self, path: Path):
        self.path = path
        self.conn: Any = None

    async def open(self) -> None:
        aiosqlite = importlib.import_module("aiosqlite")
        create_private(self.path)
        self.conn = await aiosqlite.connect(self.path, isolation_level=None)
        await self.conn._execute(lambda: self._setup(self.conn._conn))
        await self.write(make_table)

    @staticmethod
    def _setup(conn: sqlite3.Connection) -> None:
        _configure(conn)
        conn.execute("PRAGMA journal_mode = WAL")

    async def write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        conn = self.conn
        return await conn._execute(lambda: run_write(conn._conn, fn))

    async def close(self) -> None:
        await self.conn.close()


class ToThread:
    """The plainest baseline: the default executor's threads, one hop per write, a lock."""

    name = "to_thread"

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()
        self.conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        self.conn = connect_sync(self.path)
        await self.write(make_table)

    def _locked(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        assert self.conn is not None
        with self.lock:
            return run_write(self.conn, fn)

    async def write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        return await asyncio.to_thread(self._locked, fn)

    async def close(self) -> None:
        assert self.conn is not None
        self.conn.close()


async def measure(mechanism: Any, concurrency: int, seconds: float) -> float:
    """Writes per second from `concurrency` coroutines writing back to back for `seconds`."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def writer() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await mechanism.write(insert)
            done += 1

    began = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(concurrency)))
    return done / (time.perf_counter() - began)


def old_available(old_path: str | None) -> bool:
    if old_path:
        sys.path.insert(0, old_path)
    try:
        importlib.import_module("aiosqlite")
    except ImportError:
        return False
    return True


async def bench_location(
    where: Path, kinds: list[Any], rounds: int, seconds: float, concurrencies: list[int]
) -> dict[tuple[str, int], list[float]]:
    results: dict[tuple[str, int], list[float]] = {}
    mechanisms = [kind(where / f"{kind.name}.sqlite3") for kind in kinds]
    for m in mechanisms:
        await m.open()
    try:
        for r in range(rounds):
            turn = mechanisms[r % len(mechanisms) :] + mechanisms[: r % len(mechanisms)]
            for concurrency in concurrencies:
                for m in turn:
                    rate = await measure(m, concurrency, seconds)
                    results.setdefault((m.name, concurrency), []).append(rate)
    finally:
        for m in mechanisms:
            await m.close()
    return results


def report(label: str, results: dict[tuple[str, int], list[float]], names: list[str]) -> bool:
    ok = True
    print(f"{label}")
    concurrencies = sorted({c for _, c in results})
    for c in concurrencies:
        for n in names:
            rates = results[(n, c)]
            print(
                f"  {c:>3} writer(s) {n:>9}: {statistics.median(rates):8.0f} writes/s "
                f"(median of {len(rates)}, {min(rates):.0f}-{max(rates):.0f})"
            )
        for other in names[1:]:
            # Paired within each round, so that the load of the moment cancels out.
            ratios = [a / b for a, b in zip(results[("new", c)], results[(other, c)], strict=True)]
            ratio = statistics.median(ratios)
            verdict = "PASS" if ratio >= GOAL else "MISS"
            ok &= ratio >= GOAL
            print(
                f"  {c:>3} writer(s) new / {other}: {ratio:.2f}x (median of the rounds' ratios, "
                f"{min(ratios):.2f}-{max(ratios):.2f})  {verdict} (goal >= {GOAL}x)"
            )
    return ok


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=0.4)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--old-path", help="a directory holding aiosqlite, if not installed")
    args = parser.parse_args()
    kinds: list[Any] = [New]
    if old_available(args.old_path):
        kinds.append(Old)
    else:
        print("old: skipped (aiosqlite cannot be imported; see --old-path)")
    kinds.append(ToThread)
    names = [k.name for k in kinds]
    places: list[tuple[str, str | None]] = [("disk", None)]
    if Path("/dev/shm").is_dir():
        places.append(("/dev/shm", "/dev/shm"))
    ok = True
    for label, parent in places:
        where = Path(tempfile.mkdtemp(prefix="gymhub-bench-writes-", dir=parent))
        try:
            results = await bench_location(
                where, kinds, args.rounds, args.seconds, [1, args.concurrency]
            )
        finally:
            shutil.rmtree(where, ignore_errors=True)
        ok &= report(f"{label} ({where.parent}), {args.seconds:g} s per figure:", results, names)
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
