"""The API's error family: each error carries its status and code (web/errors.py renders them)."""

from __future__ import annotations

import errno
import sqlite3
from typing import ClassVar

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
