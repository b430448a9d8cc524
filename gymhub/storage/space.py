"""Free space on the data dir's filesystem: the margin every write must leave, and its checks.

A full disk must give 507 `insufficient_storage` before a write starts, not a 500 halfway
through it. Reads, logins and deletes are never refused for space (deleting is how space
comes back).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from gymhub.appkeys import config_key
from gymhub.config import Config
from gymhub.errors import InsufficientStorage

GB = 1_000_000_000
DEFAULT_PERCENT = 5
# Writes that cost next to nothing or give space back: a full disk must not lock anyone out.
EXEMPT_PATHS = frozenset(
    {"/api/auth/login", "/api/auth/logout", "/api/ws/ticket", "/api/files/media/cleanup"}
)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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

    @classmethod
    async def open(cls, config: Config) -> DiskSpace:
        """Measure the data dir's filesystem once and fix the effective margin."""
        usage = await asyncio.to_thread(usage_of, config.data_dir)
        return cls(config.data_dir, effective_min_free(config, usage.total), usage.total)

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
        if await self.free_bytes() - needed < self.min_free:
            raise InsufficientStorage(
                "The server is short of storage space; nothing was saved. "
                "Reading and deleting still work."
            )


space_key = web.AppKey("space", DiskSpace)


async def space_ctx(app: web.Application) -> AsyncIterator[None]:
    """Fix the effective margin once at start-up."""
    app[space_key] = await DiskSpace.open(app[config_key])
    yield


@web.middleware
async def space_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a write up front when the disk is short, counting a declared body as needed."""
    if request.method in WRITE_METHODS and request.path not in EXEMPT_PATHS:
        await request.app[space_key].require(request.content_length or 0)
    return await handler(request)
