"""Free space on the data dir's filesystem: the margin every write must leave, and its checks.

A full disk must give 507 `insufficient_storage` before a write starts, not a 500 halfway
through it. Reads, logins and deletes are never refused for space (deleting is how space
comes back).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from gymhub.config import Config
from gymhub.errors import InsufficientStorage

log = logging.getLogger("gymhub.storage")

GB = 1_000_000_000
DEFAULT_PERCENT = 5
# Ballast kept in the data dir: when something else filled the disk to the last byte, SQLite
# could not even record a delete (its WAL needs a few pages), so the space that deletes would
# give back stayed locked. Released for a delete that hit the wall; made again once there is room.
RESERVE_NAME = ".space-reserve"
RESERVE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Usage:
    """A filesystem's size and the bytes an unprivileged writer may still use."""

    total: int
    free: int


def usage_of(path: Path) -> Usage:
    """statvfs of path's filesystem (blocking: call it in a thread)."""
    st = os.statvfs(path)
    # f_bavail, not f_bfree: the blocks reserved for root are no margin for a service.
    return Usage(total=st.f_blocks * st.f_frsize, free=st.f_bavail * st.f_frsize)


def effective_min_free(config: Config, total: int) -> int:
    """The configured margin, or for -1 the smaller of 1 GB and 5% of the filesystem."""
    if config.min_free_bytes >= 0:
        return config.min_free_bytes
    return min(GB, total * DEFAULT_PERCENT // 100)


class DiskSpace:
    """The data dir's free space against its margin, read in a thread, never on the loop."""

    def __init__(self, path: Path, min_free: int, total: int):
        self.path = path
        self.min_free = min_free
        self.total = total
        self.reserve = path / RESERVE_NAME
        self.reserved = False

    @classmethod
    async def open(cls, config: Config) -> DiskSpace:
        """Measure the data dir's filesystem once, fix the effective margin, lay the reserve."""
        usage = await asyncio.to_thread(usage_of, config.data_dir)
        space = cls(config.data_dir, effective_min_free(config, usage.total), usage.total)
        space.reserved = await asyncio.to_thread(space._make_reserve)
        return space

    def _make_reserve(self) -> bool:
        try:
            with open(self.reserve, "ab") as f:
                if os.fstat(f.fileno()).st_size < RESERVE_BYTES:
                    os.posix_fallocate(f.fileno(), 0, RESERVE_BYTES)
            return True
        except OSError:
            # No room even for this: run without it, and try again when there is.
            with contextlib.suppress(OSError):
                self.reserve.unlink()
            return False

    def check_room(self, needed: int) -> None:
        """`require` without laying the reserve again, blocking: for the thread that is about to
        write `needed` bytes, so the check costs the event loop no hop of its own."""
        self._refuse_short(usage_of(self.path).free, needed)

    def _refuse_short(self, free: int, needed: int) -> None:
        if free - needed < self.min_free:
            raise InsufficientStorage(
                "The server is short of storage space; nothing was saved. "
                "Reading and deleting still work."
            )

    async def release_reserve(self) -> bool:
        """Remove the reserve so a delete can be recorded; False when there was none."""
        if not self.reserved:
            return False
        self.reserved = False
        await asyncio.to_thread(self.reserve.unlink, True)
        log.warning("disk full: released the %d-byte space reserve for a delete", RESERVE_BYTES)
        return True

    async def free_bytes(self) -> int:
        """Bytes still usable on the data dir's filesystem, read now.

        Never cached: one statvfs in a thread costs less than the write it guards, and a cached
        figure would let writes through for a moment after the disk filled, or refuse them (and
        keep /healthz low) for a moment after it was freed.
        """
        return (await asyncio.to_thread(usage_of, self.path)).free

    async def low(self) -> bool:
        """Whether writes are being refused for space right now."""
        return await self.free_bytes() < self.min_free

    async def require(self, needed: int = 0) -> None:
        """507 unless `needed` more bytes would still leave the margin free."""
        free = await self.free_bytes()
        self._refuse_short(free, needed)
        if not self.reserved and free - needed - RESERVE_BYTES >= self.min_free:
            self.reserved = await asyncio.to_thread(self._make_reserve)
