"""Stage timing for the benchmarks (the request counts are web/front.py's)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from gymhub.metrics import record_stages, server_timing


@web.middleware
async def stage_timing_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """With `stage_timing` on (benchmarks only): the stages a request went through, and the
    handler's own time as `app`, in a Server-Timing header."""
    stages = record_stages()
    started = time.perf_counter()
    response = await handler(request)
    if stages and not response.prepared:
        stages["app"] = time.perf_counter() - started
        response.headers["Server-Timing"] = server_timing(stages)
    return response
