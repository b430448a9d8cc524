"""gymhub's one layer in front of every handler: the requests in flight, the request counts, the
JSON error shape with its request id, the security headers, CSRF, the free-space guard and the
session cookie, in that order (outermost first).

It wraps each route's handler when the route is added (`add_routes`), not as an aiohttp
middleware: an app with any middleware also pays, on every request, a cached chain lookup
(hashing its apps) and aiohttp's own `_fix_request_current_app` layer, a coroutine per request
that cost as much as this whole layer on a cached thumbnail's GET (bench/instructions.py). A path
no route takes reaches `unmatched` (a catch-all route, wrapped like the others), which answers
the 404 or 405 the router would have raised. The parts live beside what they guard (errors,
metrics, headers, identity, space, inflight); the cookie is aiohttp-session's, its middleware's
few lines done here."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from aiohttp import hdrs, web
from aiohttp_session import SESSION_KEY, STORAGE_KEY, AbstractStorage

from gymhub.metrics import METHODS, count_request
from gymhub.web import errors, identity, space
from gymhub.web.headers import REQUEST_ID, secure
from gymhub.web.inflight import InFlight

Handler = errors.Handler
Wrap = Callable[[Handler], Handler]
READS = frozenset({"GET", "HEAD", "OPTIONS"})
# Every path no route takes: registered last, under "/", so the router tries it only after all
# the others (it walks a path's prefixes from the longest).
UNMATCHED_PATH = "/{unmatched:.*}"


def front(inflight: InFlight, sessions: AbstractStorage | None = None) -> Wrap:
    """The wrapper of handlers, counting their requests in flight in `inflight`, their session
    cookies kept by `sessions` (None: no sessions)."""

    def wrap(handler: Handler) -> Handler:
        async def fronted(request: web.Request) -> web.StreamResponse:
            method, headers = request.method, request.headers
            # Only a request that may start a session (not a read) or carries one (its cookie)
            # needs the store where get_session() and new_session() look.
            store = sessions if method not in READS or hdrs.COOKIE in headers else None
            if store is not None:
                request[STORAGE_KEY] = store
            # Unknown methods share one label, so a client cannot grow the label set at will.
            label = method if method in METHODS else "OTHER"
            # A WebSocket is closed by the hub on shutdown, not waited for.
            counted = hdrs.UPGRADE not in headers or headers[hdrs.UPGRADE].lower() != "websocket"
            if counted:
                inflight.count += 1
            # The client's own id (bounded), else a new one.
            request_id = headers.get(REQUEST_ID, "")[:64] or errors.new_request_id()
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
                if response.prepared:
                    # A streamed answer went out without it: the access log finds it here.
                    request[errors.request_id_key] = request_id
                else:
                    response.headers.setdefault(REQUEST_ID, request_id)
                    secure(response)
            except web.HTTPException as exc:  # a redirect, raised through
                if store is not None:
                    await _keep_session(request, exc, store)
                exc.headers.setdefault(REQUEST_ID, request_id)
                secure(exc)
                count_request(label, exc.status)
                raise
            finally:
                if counted:
                    inflight.count -= 1
            # A WebSocketResponse's status is its handshake's 101.
            count_request(label, response.status)
            return response

        # The route keeps the handler's name and what @documented attached to it.
        return functools.update_wrapper(fronted, handler)

    return wrap


def add_routes(
    app: web.Application, tables: Iterable[Iterable[web.AbstractRouteDef]], wrap: Wrap
) -> None:
    """Add every route of the tables with its handler wrapped, then the catch-all that answers
    404 or 405 for a path no route takes."""
    for table in tables:
        for route in table:
            if not isinstance(route, web.RouteDef):
                raise TypeError(f"only handler routes can be wrapped: {route!r}")
            web.RouteDef(route.method, route.path, wrap(route.handler), route.kwargs).register(
                app.router
            )
    app.router.add_route("*", UNMATCHED_PATH, wrap(unmatched))


async def unmatched(request: web.Request) -> web.StreamResponse:
    """What the router answers a path none of its routes take: 405 with the methods the path's
    routes allow, else 404 (raised, and rendered as every error is)."""
    own, path = request.match_info.route.resource, request.rel_url.path
    allowed: set[str] = set()
    for resource in request.app.router.resources():
        # Only a route whose fixed start the path has can take it: a flood of 404s does not
        # run every route's pattern.
        if resource is not own and path.startswith(resource.canonical.partition("{")[0]):
            _, methods = await resource.resolve(request)
            allowed |= methods
    if allowed:
        raise web.HTTPMethodNotAllowed(request.method, allowed)
    raise web.HTTPNotFound()


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
