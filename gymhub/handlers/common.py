"""Small helpers shared by handlers: path and query parameters, row → shape conversion."""

from __future__ import annotations

from aiohttp import web

from gymhub.auth.policy import Viewer
from gymhub.data import users
from gymhub.errors import InvalidCredentials, NotFound, RateLimited
from gymhub.schemas.query import IntParam
from gymhub.web.appkeys import db_key, hashing_key, limiter_key

# Ids beyond SQLite's 64-bit integers would overflow inside the driver: the route refuses them.
# [0-9], not \d: \d also matches other scripts' digits, which int() accepts.
ID = r"{%s:[0-9]{1,18}}"
MAX_LIMIT = 200


def path_id(request: web.Request, name: str) -> int:
    """An integer id from the path (the route's pattern already allows digits only)."""
    try:
        return int(request.match_info[name])
    except (KeyError, ValueError):
        raise NotFound() from None


def limit_param(default: int = 50) -> IntParam:
    """The `limit` query parameter of a list endpoint, 1..200."""
    text = f"page size, 1..{MAX_LIMIT} (default {default})"
    return IntParam("limit", text, low=1, high=MAX_LIMIT, default=default)


def id_param(name: str, description: str) -> IntParam:
    """An optional id in the query (users, meals, entries, messages are numbered from 1)."""
    return IntParam(name, description, low=1)


LIMIT = limit_param()


async def check_own_password(request: web.Request, viewer: Viewer, given: str) -> None:
    """The caller's current password, or 401; wrong guesses count against the login limits, so
    a session left open is no way around them."""
    limiter, address = request.app[limiter_key], request.remote or ""
    wait = limiter.retry_after(viewer.username, address)
    if wait:
        raise RateLimited(wait, f"Too many wrong passwords; try again in {wait} seconds.")
    stored = await request.app[db_key].read(lambda c: users.password_hash(c, viewer.id))
    if not await request.app[hashing_key].verify(stored, given):
        limiter.failed(viewer.username, address)
        raise InvalidCredentials("The current password is wrong.")
