"""Small helpers shared by handlers: path and query parameters, row → shape conversion."""

from __future__ import annotations

import sqlite3

from aiohttp import web

from gymhub.errors import InvalidRequest, NotFound
from gymhub.schemas.users import User

# Ids beyond SQLite's 64-bit integers would overflow inside the driver: the route refuses them.
ID = r"{%s:\d{1,18}}"
MAX_LIMIT = 200


def path_id(request: web.Request, name: str) -> int:
    """An integer id from the path (the route's pattern already allows digits only)."""
    try:
        return int(request.match_info[name])
    except (KeyError, ValueError):
        raise NotFound() from None


def query_int(
    request: web.Request,
    name: str,
    default: int | None = None,
    *,
    low: int = 0,
    high: int = 2**62,
) -> int | None:
    """An optional integer query parameter in [low, high], or a 400 naming it."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest(f"{name}: must be an integer.") from None
    if not low <= value <= high:
        raise InvalidRequest(f"{name}: must be between {low} and {high}.")
    return value


def page_limit(request: web.Request, default: int = 50) -> int:
    """The `limit` query parameter, 1..200."""
    value = query_int(request, "limit", default, low=1, high=MAX_LIMIT)
    assert value is not None
    return value


def user_shape(row: sqlite3.Row) -> User:
    """A users row as the API's User."""
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
    )
