"""gymhub's one middleware in front of every handler: the requests in flight, the request
counts, the JSON error shape with its request id, the security headers, CSRF, the free-space
guard and the session cookie, in that order (outermost first). One layer instead of seven: each
layer of aiohttp's chain (and the on_response_prepare signal) is a coroutine per request, and on
a cached thumbnail's GET they cost as much as the handler (bench/serve.py). The parts live beside
what they guard (errors, metrics, headers, identity, space, inflight); the cookie is
aiohttp-session's, its middleware's few lines done here."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_session import SESSION_KEY, STORAGE_KEY, AbstractStorage

from gymhub.metrics import METHODS, count_request
from gymhub.web import errors, identity, space
from gymhub.web.headers import secure
from gymhub.web.inflight import InFlight

Handler = errors.Handler
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def front_middleware(inflight: InFlight, sessions: AbstractStorage | None = None) -> Middleware:
    """The middleware, counting its requests in flight in `inflight`, its session cookies kept
    by `sessions` (None: no sessions)."""

    @web.middleware
    async def front(request: web.Request, handler: Handler) -> web.StreamResponse:
        method, headers = request.method, request.headers
        # Only a request that may start a session (not a read) or carries one (its cookie) needs
        # the store where get_session() and new_session() look.
        store = sessions if method not in READS or "Cookie" in headers else None
        if store is not None:
            request[STORAGE_KEY] = store
        # Unknown methods share one label, so a client cannot grow the label set at will.
        label = method if method in METHODS else "OTHER"
        # A WebSocket is closed by the hub on shutdown, not waited for.
        counted = "Upgrade" not in headers or headers["Upgrade"].lower() != "websocket"
        if counted:
            inflight.count += 1
        request_id = errors.name_request(request)
        try:
            try:
                if request.body_exists:
                    errors.check_content_encoding(request)
                if method in identity.UNSAFE:
                    identity.check_csrf(request)
                    response = await space.guarded(request, handler)
                else:
                    response = await handler(request)
                if store is not None:
                    await _keep_session(request, response, store)
            except Exception as exc:
                response = errors.render(request, exc, request_id)
            if not response.prepared:
                response.headers.setdefault("X-Request-Id", request_id)
                secure(response)
        except web.HTTPException as exc:  # a redirect, raised through
            if store is not None:
                await _keep_session(request, exc, store)
            secure(exc)
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


async def _keep_session(
    request: web.Request, response: web.StreamResponse, sessions: AbstractStorage
) -> None:
    """Write a session the handler changed into its answer's cookie (as aiohttp-session's
    middleware does; a streamed answer has gone out already)."""
    session = request.get(SESSION_KEY)
    if session is None or not isinstance(response, web.Response):
        return
    if session._changed and not response.prepared:
        await sessions.save_session(request, response, session)
