"""The free-space guard of every write request (the margin itself is storage/space.py's)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from gymhub.errors import is_out_of_space
from gymhub.storage.space import DiskSpace
from gymhub.web.appkeys import config_key

# Writes that cost next to nothing or give space back: a full disk must not lock anyone out.
EXEMPT_PATHS = frozenset(
    {"/api/auth/login", "/api/auth/logout", "/api/ws/ticket", "/api/files/media/cleanup"}
)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

space_key = web.AppKey("space", DiskSpace)


async def space_ctx(app: web.Application) -> AsyncIterator[None]:
    """Fix the effective margin once at start-up."""
    app[space_key] = await DiskSpace.open(app[config_key])
    yield


async def guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Handle a write or delete: refuse a write up front when the disk is short, counting a
    declared body as needed; let a delete that found the disk full to the last byte through on
    the reserve. Other methods go straight to the handler."""
    space = request.app[space_key]
    if request.method == "DELETE":
        try:
            return await handler(request)
        except Exception as exc:
            # The failed delete rolled back whole; with the reserve gone it can be recorded.
            if not is_out_of_space(exc) or not await space.release_reserve():
                raise
        return await handler(request)
    if request.method in WRITE_METHODS and request.path not in EXEMPT_PATHS:
        await space.require(request.content_length or 0)
    return await handler(request)
