"""The API's error family and the one middleware that renders every failure as JSON."""

from __future__ import annotations

import errno
import itertools
import logging
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from typing import ClassVar

import msgspec
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

log = logging.getLogger("gymhub.errors")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
request_id_key = web.RequestKey("request_id", str)

# A request id only has to be unique in this server's logs: a random per-process prefix and a
# counter (32 hex characters like a uuid4) cost no urandom call per request.
_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count(1)


def new_request_id() -> str:
    """A fresh 32-hex-character id for a request that did not bring its own."""
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


# RFC 9110 15.5.2: every 401 names the scheme to authenticate with.
BEARER_CHALLENGE = 'Bearer realm="gymhub"'


class ApiError(Exception):
    """An expected failure: its class fixes the status and code, the instance says why."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_request"
    default_message: ClassVar[str] = "The request is invalid."

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None):
        self.message = message or self.default_message
        self.headers = headers or {}
        super().__init__(self.message)


class InvalidRequest(ApiError):
    status, code = 400, "invalid_request"


class Unauthenticated(ApiError):
    status, code = 401, "unauthenticated"
    default_message = "Authentication is required."

    def __init__(self, message: str | None = None):
        super().__init__(message, headers={"WWW-Authenticate": BEARER_CHALLENGE})


class InvalidCredentials(ApiError):
    status, code = 401, "invalid_credentials"
    default_message = "Wrong username or password."

    def __init__(self, message: str | None = None):
        super().__init__(message, headers={"WWW-Authenticate": BEARER_CHALLENGE})


class Forbidden(ApiError):
    status, code = 403, "forbidden"
    default_message = "You may not do this."


class CsrfFailed(ApiError):
    status, code = 403, "csrf_failed"
    default_message = "This request must come from the gymhub page (Origin check failed)."


class NotFound(ApiError):
    status, code = 404, "not_found"
    default_message = "Not found."


class MethodNotAllowed(ApiError):
    status, code = 405, "method_not_allowed"
    default_message = "This method is not allowed here."


class Conflict(ApiError):
    status, code = 409, "conflict"
    default_message = "This conflicts with an existing resource."


class PreconditionFailed(ApiError):
    status, code = 412, "precondition_failed"
    default_message = "The file does not match If-Match or If-Unmodified-Since."


class TooLarge(ApiError):
    status, code = 413, "too_large"
    default_message = "The request body is too large."


class UnsupportedType(ApiError):
    status, code = 415, "unsupported_type"
    default_message = "This type of content is not accepted here."


class RangeNotSatisfiable(ApiError):
    status, code = 416, "range_not_satisfiable"
    default_message = "The Range asks for bytes the file does not have."

    def __init__(self, size: int):
        # RFC 9110 15.5.17: the complete length, so the client can ask again.
        super().__init__(headers={"Content-Range": f"bytes */{size}"})


class InvalidFile(ApiError):
    status, code = 422, "invalid_file"
    default_message = "The file is corrupt or unusable."


class RateLimited(ApiError):
    status, code = 429, "rate_limited"
    default_message = "Too many failed attempts; try again later."

    def __init__(self, retry_after: int, message: str | None = None):
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})


class TooManyConnections(ApiError):
    status, code = 429, "too_many_connections"
    default_message = "You have too many live connections open; close one and try again."


class Busy(ApiError):
    status, code = 503, "busy"
    default_message = "The server is busy; try again in a moment."

    def __init__(self, retry_after: int = 1, message: str | None = None):
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})


class InsufficientStorage(ApiError):
    status, code = 507, "insufficient_storage"
    default_message = "The server is out of storage space; nothing was saved."


class Unavailable(ApiError):
    status, code = 503, "unavailable"
    default_message = "The service is not available right now."


class QuotaExceeded(ApiError):
    status, code = 507, "quota_exceeded"
    default_message = "The storage quota would be exceeded."


class InternalError(ApiError):
    status, code = 500, "internal_error"
    default_message = "An internal error occurred."


_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
FULL = sqlite3.SQLITE_FULL


def is_out_of_space(exc: BaseException) -> bool:
    """Whether exc (or what it was raised from) is the filesystem or SQLite running out of room."""
    seen: BaseException | None = exc
    for _ in range(8):  # a short cause chain; never loop on a cycle
        if seen is None:
            return False
        if isinstance(seen, OSError) and seen.errno in _SPACE_ERRNOS:
            return True
        # The primary code (low byte of an extended one) says SQLITE_FULL.
        code = getattr(seen, "sqlite_errorcode", None)
        if isinstance(seen, sqlite3.Error) and isinstance(code, int) and code & 0xFF == FULL:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


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


def _check_content_encoding(request: web.Request) -> None:
    coding = request.headers.get("Content-Encoding", "").strip().lower()
    if coding not in _DECODED_ENCODINGS and request.body_exists:
        raise InvalidRequest(f"Content-Encoding {coding[:40]!r} is not one the server can decode.")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into the JSON error shape; log unexpected ones with a request id."""
    request_id = request.headers.get("X-Request-Id", "")[:64] or new_request_id()
    request[request_id_key] = request_id
    try:
        _check_content_encoding(request)
        response = await handler(request)
    except ApiError as api_error:
        response = error_response(api_error)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        cls = _HTTP_CODES.get(exc.status)
        if cls is None:
            cls = InternalError if exc.status >= 500 else InvalidRequest
        response = error_response(cls())
        if exc.status == 405:
            response.headers["Allow"] = exc.headers.get("Allow", "")
    except Exception as exc:
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
            log.info(
                "client left during %s %s [request %s]", request.method, request.path, request_id
            )
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
            log.exception(
                "unexpected error handling %s %s [request %s]",
                request.method,
                request.path,
                request_id,
            )
            response = error_response(
                InternalError(f"An internal error occurred (request id {request_id}).")
            )
    if not response.prepared:
        response.headers.setdefault("X-Request-Id", request_id)
    return response
