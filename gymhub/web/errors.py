"""The one middleware that renders every failure as the API's JSON error shape."""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable

import msgspec
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from gymhub.errors import (
    ApiError,
    Forbidden,
    InsufficientStorage,
    InternalError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    TooLarge,
    Unauthenticated,
    UnsupportedType,
    is_out_of_space,
)

log = logging.getLogger("gymhub.errors")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# The id of a request whose answer was streamed, so could not carry it (web/front.py).
request_id_key = web.RequestKey("request_id", str)

# A request id only has to be unique in this server's logs: a random per-process prefix and a
# counter (32 hex characters like a uuid4) cost no urandom call per request.
_ID_PREFIX = secrets.token_hex(8)
# From 2**63: hex() gives 16 digits for the next 2**63 ids, without a format spec to parse.
_ID_COUNTER = itertools.count(2**63)


def new_request_id() -> str:
    """A fresh 32-hex-character id for a request that did not bring its own."""
    return _ID_PREFIX + hex(next(_ID_COUNTER))[2:]


def _drop_tracebacks(exc: BaseException) -> None:
    """Forget the frames of a client-left error and of what it was raised from.

    aiohttp sets the `ConnectionResetError` on the request's body reader, which keeps it; its
    traceback holds the handler's frames, hence the request and that reader: a cycle per cut
    upload, alive (with its frames and buffers) until a full collection. Nothing reads the
    traceback once the 499 is logged, and a later read of the reader raises the error afresh.
    """
    seen: BaseException | None = exc
    for _ in range(8):  # a short chain; never loop on a cycle
        if seen is None:
            return
        seen.__traceback__ = None
        seen = seen.__cause__ or seen.__context__


_encoder = msgspec.json.Encoder()
# Only for a client whose connection is gone, so never sent: what the access log and the
# metrics record instead of a 500.
CLIENT_CLOSED_REQUEST = 499

# aiohttp raises these for routing and body limits; they map onto the documented codes.
_HTTP_CODES: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    413: TooLarge,
    415: UnsupportedType,
}


def error_response(err: ApiError) -> web.Response:
    """The documented error body for an ApiError."""
    body = _encoder.encode({"error": {"code": err.code, "message": err.message}})
    return web.Response(
        status=err.status, body=body, content_type="application/json", headers=err.headers
    )


# What aiohttp decodes itself (br and zstd only with optional libraries, and without them it
# refuses the request while parsing its headers). Another coding would reach a handler as raw
# bytes and be read as if it were plain.
_DECODED_ENCODINGS = frozenset({"", "identity", "gzip", "deflate", "br", "zstd"})


def check_content_encoding(request: web.Request) -> None:
    """Refuse a body in a Content-Encoding aiohttp does not decode (400)."""
    coding = request.headers.get("Content-Encoding", "").strip().lower()
    if coding not in _DECODED_ENCODINGS and request.body_exists:
        raise InvalidRequest(f"Content-Encoding {coding[:40]!r} is not one the server can decode.")


def _unexpected(request: web.Request, exc: Exception, request_id: str) -> web.Response:
    """The answer to an exception outside the API's family: a full disk, a client that left,
    an unreadable body, or a bug (logged with its traceback)."""
    transport = request.transport
    if is_out_of_space(exc):
        # A full disk is the operator's to fix, not a bug: the writer cleaned up after
        # itself, so the client hears 507 and may try again once space is freed.
        log.warning(
            "out of space during %s %s [request %s]: %s",
            request.method,
            request.path,
            request_id,
            exc,
        )
        response = error_response(InsufficientStorage())
    elif isinstance(exc, ConnectionError) and (transport is None or transport.is_closing()):
        # The client went away mid-request (a phone losing its network): no one to answer
        # and nothing wrong with the server. nginx's 499 names it in the log and metrics.
        log.info("client left during %s %s [request %s]", request.method, request.path, request_id)
        _drop_tracebacks(exc)
        response = web.Response(status=CLIENT_CLOSED_REQUEST)
    elif isinstance(exc, HttpProcessingError | RequestPayloadError):
        # The body could not be read as sent: a Content-Encoding it is not in (gzip that
        # is not gzip), or a body cut short. The client's mistake, whichever route it hit.
        response = error_response(
            InvalidRequest("The request body could not be read or decoded as sent.")
        )
        # The rest of the body cannot be told from the next request: say this connection
        # ends, so the client does not send another on it.
        response.force_close()
    else:
        log.error(
            "unexpected error handling %s %s [request %s]",
            request.method,
            request.path,
            request_id,
            exc_info=exc,
        )
        response = error_response(
            InternalError(f"An internal error occurred (request id {request_id}).")
        )
    return response


def render(request: web.Request, exc: Exception, request_id: str) -> web.Response:
    """The JSON error answer to a failure (an HTTPException below 400, a redirect, is raised
    again); unexpected ones are logged with the request id."""
    if isinstance(exc, ApiError):
        return error_response(exc)
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        cls = _HTTP_CODES.get(exc.status)
        if cls is None:
            cls = InternalError if exc.status >= 500 else InvalidRequest
        response = error_response(cls())
        if exc.status == 405:
            response.headers["Allow"] = exc.headers.get("Allow", "")
        return response
    return _unexpected(request, exc, request_id)
