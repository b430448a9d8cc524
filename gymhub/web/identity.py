"""Who is calling: bearer token or session cookie, checked against the database on every request."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

from aiohttp import hdrs, web
from aiohttp_session import get_session, new_session

from gymhub.auth import tokens
from gymhub.auth.policy import Viewer
from gymhub.data import users
from gymhub.errors import CsrfFailed, Unauthenticated
from gymhub.web.appkeys import config_key, db_key, keys_key

SESSION_COOKIE = "gymhub_session"
LOGIN_PATH = "/api/auth/login"
# Requests that carry their own credentials in the body (a password, a reset code).
CREDENTIAL_PATHS = frozenset({LOGIN_PATH, "/api/auth/reset"})
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
viewer_rkey = web.RequestKey("viewer", Viewer)


def bearer_token(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer` header, if any."""
    header = request.headers.get(hdrs.AUTHORIZATION)
    if header is None or not (header.startswith("Bearer ") or header[:7].lower() == "bearer "):
        return None
    return header[7:].strip() or None


def bearer_claims(
    request: web.Request, token: str | None = None, key: bytes | None = None
) -> tokens.Claims | None:
    """The claims of a token (given, or the bearer header), 401 if it is bad; None without one.
    Not a coroutine: the media fast path asks it first (with the app's JWT `key` at hand), and
    only a cookie needs awaiting."""
    token = token or bearer_token(request)
    if token is None:
        return None
    try:
        return tokens.verified.verify(key or request.app[keys_key].jwt, token)
    except tokens.TokenError:
        raise Unauthenticated("The token is invalid or expired.") from None


async def claims_of(request: web.Request, token: str | None = None) -> tokens.Claims:
    """The caller's claims from a token (given, or the bearer header) or the session cookie."""
    claims = bearer_claims(request, token)
    if claims is not None:
        return claims
    if SESSION_COOKIE in request.cookies:
        session = await get_session(request)
        uid, ver, role = session.get("uid"), session.get("ver"), session.get("role")
        if isinstance(uid, int) and isinstance(ver, int) and isinstance(role, str):
            return tokens.Claims(uid, role, ver)
    raise Unauthenticated()


def viewer_from(conn: sqlite3.Connection, claims: tokens.Claims) -> Viewer:
    """The live account behind claims: it exists, is enabled, and the token version matches."""
    return viewer_of(users.get_user(conn, claims.user_id), claims)


def viewer_of(account: users.Account | None, claims: tokens.Claims) -> Viewer:
    """The viewer of an account the claims were issued to, unless it is gone, disabled or its
    tokens were revoked since."""
    if account is None or account.id != claims.user_id:
        raise Unauthenticated("The credentials have been revoked.")
    if account.disabled or account.token_version != claims.ver:
        raise Unauthenticated("The credentials have been revoked.")
    return Viewer(id=account.id, role=account.role, username=account.username)


async def current_viewer(request: web.Request) -> Viewer:
    """Authenticate the request (once) and return its viewer, or raise 401."""
    cached = request.get(viewer_rkey)
    if cached is not None:
        return cached
    await current_user(request)
    return request[viewer_rkey]


async def current_user(request: web.Request) -> users.User:
    """Authenticate the request and return the caller's own row: the row the check reads anyway,
    so `GET /api/me` needs no second read."""
    claims = await claims_of(request)
    account = await request.app[db_key].read(lambda c: users.get_user(c, claims.user_id))
    request[viewer_rkey] = viewer_of(account, claims)
    assert account is not None  # viewer_of refused a missing account
    return account


async def start_session(request: web.Request, user: users.User) -> None:
    """Give the browser a fresh encrypted session cookie for this user."""
    session = await new_session(request)
    session["uid"] = user.id
    session["ver"] = user.token_version
    session["role"] = user.role


async def end_session(request: web.Request) -> None:
    """Forget the browser's session cookie."""
    if SESSION_COOKIE in request.cookies:
        session = await get_session(request)
        session.invalidate()


def origin_allowed(request: web.Request, origin: str) -> bool:
    """This server's own origin (by Host) or one configured in public_origin/allowed_origins."""
    origin = origin.rstrip("/")
    if origin == "null":
        return False
    if origin in request.app[config_key].origins:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc == request.host


def check_csrf(request: web.Request) -> None:
    """A cookie-authenticated unsafe request must come from our own page (else CsrfFailed).

    Login and reset carry their credentials in the body, so they are checked only when a
    browser names a foreign origin (login CSRF); bearer requests are exempt.
    """
    if request.method in UNSAFE and bearer_token(request) is None:
        source = request_origin(request)
        if request.path in CREDENTIAL_PATHS:
            if source is not None and not origin_allowed(request, source):
                raise CsrfFailed()
        elif SESSION_COOKIE in request.cookies and (
            source is None or not origin_allowed(request, source)
        ):
            raise CsrfFailed()


def request_origin(request: web.Request) -> str | None:
    """The Origin header, else the origin of the Referer, else None."""
    source = request.headers.get("Origin")
    if source is None and request.headers.get("Referer"):
        parts = urlsplit(request.headers["Referer"])
        source = f"{parts.scheme}://{parts.netloc}"
    return source
