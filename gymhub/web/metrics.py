"""Request counting: the outermost middleware, so it sees every final status, errors included."""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from gymhub.metrics import METHODS, count_request, record_stages, server_timing


@web.middleware
async def metrics_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Count every answered request by method and status (101 for a WebSocket upgrade)."""
    # Unknown methods share one label, so a client cannot grow the label set at will.
    method = request.method if request.method in METHODS else "OTHER"
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        count_request(method, exc.status)
        raise
    except Exception:
        status = getattr(sys.exc_info()[1], "status", 500)
        count_request(method, status if isinstance(status, int) else 500)
        raise
    status = 101 if isinstance(response, web.WebSocketResponse) else response.status
    count_request(method, status)
    return response


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
