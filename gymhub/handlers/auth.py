"""POST /api/auth/login, /api/auth/logout, /api/auth/reset, GET and PATCH /api/me,
POST /api/me/password."""

from __future__ import annotations

from aiohttp import web

from gymhub.auth import tokens
from gymhub.data import users
from gymhub.errors import InvalidCredentials, RateLimited
from gymhub.handlers.common import check_own_password
from gymhub.schemas.common import documented
from gymhub.schemas.query import FlagParam
from gymhub.schemas.users import (
    LoginRequest,
    LoginResponse,
    MePatch,
    PasswordChange,
    ResetRequest,
    User,
)
from gymhub.services import account
from gymhub.views.users import user_view
from gymhub.web import identity
from gymhub.web.appkeys import config_key, db_key, hashing_key, hub_key, keys_key, limiter_key
from gymhub.web.bodies import json_response, no_content, read_json

routes = web.RouteTableDef()
REVOKED = 4401
ALL = FlagParam("all", "1 (or true, yes) to revoke every token, session and WebSocket")


@routes.post("/api/auth/login")
@documented(
    "Log in: a bearer token and a session cookie",
    request=LoginRequest,
    response=LoginResponse,
    auth=False,
)
async def login(request: web.Request) -> web.Response:
    body = await read_json(request, LoginRequest)
    limiter = request.app[limiter_key]
    address = request.remote or ""
    wait = limiter.retry_after(body.username, address)
    if wait:
        raise RateLimited(wait, f"Too many failed logins; try again in {wait} seconds.")
    db = request.app[db_key]
    login = await db.read(lambda c: users.get_login(c, body.username))
    stored = None if login is None else login.password_hash
    ok = await request.app[hashing_key].verify(stored, body.password)
    if not ok or login is None or login.user.disabled:
        limiter.failed(body.username, address)
        raise InvalidCredentials()
    limiter.succeeded(body.username, address)
    user = login.user
    ttl = request.app[config_key].token_ttl
    token = tokens.issue(request.app[keys_key].jwt, user.id, user.role, user.token_version, ttl)
    await identity.start_session(request, user)
    return json_response(
        LoginResponse(access_token=token, token_type="bearer", expires_in=ttl, user=user_view(user))
    )


@routes.post("/api/auth/logout")
@documented(
    "Log out; with all=1 every token and session of the user is revoked",
    status=204,
    query=[ALL],
)
async def logout(request: web.Request) -> web.Response:
    viewer = await identity.current_viewer(request)
    if ALL.read(request):
        await request.app[db_key].write(lambda c: users.bump_token_version(c, viewer.id))
        await request.app[hub_key].disconnect_user(viewer.id, REVOKED)
    await identity.end_session(request)
    return no_content()


@routes.get("/api/me")
@documented("The caller's own account", response=User)
async def me(request: web.Request) -> web.Response:
    return json_response(user_view(await identity.current_user(request)))


@routes.post("/api/me/password")
@documented(
    "Change the caller's password; revokes every earlier token", request=PasswordChange, status=204
)
async def change_password(request: web.Request) -> web.Response:
    viewer = await identity.current_viewer(request)
    body = await read_json(request, PasswordChange)
    await check_own_password(request, viewer, body.current_password)
    db = request.app[db_key]
    new_hash = await request.app[hashing_key].hash(body.new_password)
    await db.write(lambda c: users.set_password(c, viewer.id, new_hash))
    await request.app[hub_key].disconnect_user(viewer.id, REVOKED)
    if identity.bearer_token(request) is None:
        # The browser that changed the password stays signed in; every other session ends.
        row = await db.read(lambda c: users.get_user(c, viewer.id))
        if row is not None:
            await identity.start_session(request, row)
    return no_content()


@routes.patch("/api/me")
@documented(
    "Change the caller's display name, units, profile photo or default photo visibility",
    request=MePatch,
    response=User,
)
async def patch_me(request: web.Request) -> web.Response:
    viewer = await identity.current_viewer(request)
    body = await read_json(request, MePatch)
    row = await account.update_own(request.app[db_key], viewer, body.given())
    return json_response(user_view(row))


@routes.post("/api/auth/reset")
@documented(
    "Set a new password with an admin's reset code (single use); revokes every earlier token",
    request=ResetRequest,
    status=204,
    auth=False,
)
async def reset(request: web.Request) -> web.Response:
    body = await read_json(request, ResetRequest)
    app = request.app
    user_id = await account.reset_password(
        app[db_key],
        app[hashing_key],
        app[limiter_key],
        request.remote or "",
        body.username,
        body.reset_code,
        body.new_password,
    )
    await app[hub_key].disconnect_user(user_id, REVOKED)
    return no_content()
