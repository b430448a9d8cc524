"""gymhub's one middleware in front of every handler: the requests in flight, the request
counts, the JSON error shape with its request id, CSRF and the free-space guard, in that order
(outermost first). One layer instead of five: each layer of aiohttp's chain is a coroutine per
request, and on a cached thumbnail's GET the chain cost as much as the handler (bench/serve.py).
The parts live beside what they guard (errors, metrics, identity, space, inflight)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Middleware

from gymhub.metrics import METHODS, count_request
from gymhub.web import errors, identity, space
from gymhub.web.inflight import InFlight

Handler = errors.Handler


def front_middleware(inflight: InFlight) -> Middleware:
    """The middleware, counting its requests in flight in `inflight`."""

    @web.middleware
    async def front(request: web.Request, handler: Handler) -> web.StreamResponse:
        method = request.method
        # Unknown methods share one label, so a client cannot grow the label set at will.
        label = method if method in METHODS else "OTHER"
        # A WebSocket is closed by the hub on shutdown, not waited for.
        counted = request.headers.get("Upgrade", "").lower() != "websocket"
        if counted:
            inflight.count += 1
        try:
            try:
                errors.begin(request)
                if method in identity.UNSAFE:
                    identity.check_csrf(request)
                    response = await space.guarded(request, handler)
                else:
                    response = await handler(request)
            except Exception as exc:
                response = errors.render(request, exc, request[errors.request_id_key])
            errors.tag(response, request[errors.request_id_key])
        except web.HTTPException as exc:  # a redirect, raised through
            count_request(label, exc.status)
            raise
        finally:
            if counted:
                inflight.count -= 1
        count_request(
            label, 101 if isinstance(response, web.WebSocketResponse) else response.status
        )
        return response

    return front
