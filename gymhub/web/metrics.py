"""Stage timing for the benchmarks (the request counts are web/front.py's)."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from gymhub.metrics import record_stages, server_timing

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def stage_timed(handler: Handler) -> Handler:
    """With `stage_timing` on (benchmarks only), `handler` wrapped to put the stages a request
    went through, and the handler's own time as `app`, in a Server-Timing header."""

    async def timed(request: web.Request) -> web.StreamResponse:
        stages = record_stages()
        started = time.perf_counter()
        response = await handler(request)
        if stages and not response.prepared:
            stages["app"] = time.perf_counter() - started
            response.headers["Server-Timing"] = server_timing(stages)
        return response

    return functools.update_wrapper(timed, handler)
