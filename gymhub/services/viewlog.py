"""Counting who views whose files, off the hot path: the media route only increments a dict
entry; a background task adds the counts to the access log in batches (one write each)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Protocol

from gymhub.data import access_log
from gymhub.data.db import Database

log = logging.getLogger("gymhub.viewlog")

# Seconds between batches: each one is a write transaction, which also moves the database's
# generation on (and so empties the media memo once per batch).
FLUSH_INTERVAL = 2.0
DAY = 86400
# A 200, 206 or 304 counts as one view; HEAD never does.
VIEWED = frozenset((200, 206, 304))


class Fetched(Protocol):
    """What the media route found: whose file it is and which."""

    @property
    def owner_id(self) -> int: ...
    @property
    def file_id(self) -> str: ...
    @property
    def category(self) -> str: ...


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


class ViewRecorder:
    """Views counted in memory per (viewer, file, UTC day) until the next batch is written."""

    def __init__(self, db: Database, interval: float = FLUSH_INTERVAL):
        self.db = db
        self.interval = interval
        # (viewer, file, day number) -> [owner, category, count, first, last]
        self._pending: dict[tuple[int, str, int], list[object]] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def fetched(self, method: str, status: int, viewer_id: int, found: Fetched) -> None:
        """The media route's one call: count a GET answered 200/206/304 of someone else's file."""
        if method != "GET" or status not in VIEWED or viewer_id == found.owner_id:
            return
        now = time.time()
        key = (viewer_id, found.file_id, int(now // DAY))
        entry = self._pending.get(key)
        if entry is None:
            self._pending[key] = [found.owner_id, found.category, 1, now, now]
        else:
            entry[2] += 1  # type: ignore[operator]
            entry[4] = now

    def forget_user(self, user_id: int) -> None:
        """Drop counted views by or of a user (erasure: an id SQLite may give out again)."""
        for key in [k for k, v in self._pending.items() if user_id in (k[0], v[0])]:
            del self._pending[key]

    async def flush(self) -> None:
        """Write everything counted so far (also what a batch running now holds) to the log."""
        async with self._lock:
            batch, self._pending = self._pending, {}
            if not batch:
                return
            rows = [
                {
                    "owner_id": v[0],
                    "viewer_id": viewer,
                    "file_id": file_id,
                    "category": v[1],
                    "day": time.strftime("%Y-%m-%d", time.gmtime(day * DAY)),
                    "count": v[2],
                    "first_at": _iso(v[3]),  # type: ignore[arg-type]
                    "last_at": _iso(v[4]),  # type: ignore[arg-type]
                }
                for (viewer, file_id, day), v in batch.items()
            ]
            try:
                await self.db.write(lambda conn: access_log.add(conn, rows))
            except BaseException:
                self._merge_back(batch)
                raise

    def _merge_back(self, batch: dict[tuple[int, str, int], list[object]]) -> None:
        """A batch that could not be written waits for the next one, added to what came since."""
        for key, old in batch.items():
            new = self._pending.get(key)
            if new is None:
                self._pending[key] = old
            else:
                new[2] = old[2] + new[2]  # type: ignore[operator]
                new[3] = old[3]

    def start(self) -> None:
        """Write a batch every `interval` seconds until close()."""
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except Exception:
                # Kept in memory and tried again with the next batch; serving goes on.
                log.exception("writing the access log failed; retrying with the next batch")

    async def close(self) -> None:
        """Stop the task and write the last batch: nothing counted is lost at a clean shutdown."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.flush()
        except Exception:
            log.exception("the last batch of the access log could not be written")

    def __len__(self) -> int:
        return len(self._pending)
