"""Users and trainer assignments."""

from __future__ import annotations

import sqlite3

from aiohttp import web

from gymhub.auth import policy, resetcodes
from gymhub.data import users
from gymhub.errors import Conflict, NotFound
from gymhub.handlers.common import ID, path_id
from gymhub.schemas.common import documented
from gymhub.schemas.users import ResetCode, User, UserCreate, UserList, UserPatch
from gymhub.services.account import issue_reset_code
from gymhub.services.privacy import end_assignment
from gymhub.views.users import user_view
from gymhub.web.appkeys import db_key, hashing_key, hub_key
from gymhub.web.bodies import json_response, no_content, read_json
from gymhub.web.identity import current_viewer

routes = web.RouteTableDef()
REVOKED = 4401


@routes.post("/api/users")
@documented("Create an account (admin)", request=UserCreate, response=User, status=201)
async def create_user(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    policy.require_admin(viewer)
    body = await read_json(request, UserCreate)
    password_hash = await request.app[hashing_key].hash(body.password)
    try:
        row = await request.app[db_key].write(
            lambda c: users.insert_user(
                c, body.username, body.role, password_hash, body.display_name
            )
        )
    except users.DuplicateUsername:
        raise Conflict(f"The username {body.username!r} is taken.") from None
    return json_response(user_view(row), status=201)


@routes.get("/api/users")
@documented(
    "Users the caller may see: admin all, trainer their clients, client their trainers",
    response=UserList,
)
async def list_users(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    rows = await request.app[db_key].read(lambda c: policy.listable_users(c, viewer))
    return json_response(UserList([user_view(r) for r in rows]))


@routes.get("/api/users/" + ID % "id")
@documented("One user, if visible to the caller", response=User)
async def get_user(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    user_id = path_id(request, "id")
    row = await request.app[db_key].read(lambda c: policy.visible_user(c, viewer, user_id))
    return json_response(user_view(row))


@routes.patch("/api/users/" + ID % "id")
@documented("Change display name, role or disabled (admin)", request=UserPatch, response=User)
async def patch_user(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    policy.require_admin(viewer)
    user_id = path_id(request, "id")
    body = await read_json(request, UserPatch)
    changes = {"display_name": body.display_name, "disabled": body.disabled, "role": body.role}

    def apply(conn: sqlite3.Connection) -> tuple[int, users.User]:
        row = users.get_user(conn, user_id)
        if row is None:
            raise NotFound("No such user.")
        demoted = body.disabled or body.role not in (None, "admin")
        if demoted and users.is_last_active_admin(conn, row):
            raise Conflict("This is the last active admin; appoint another one first.")
        updated = users.update_user(conn, user_id, changes)
        assert updated is not None
        return row.token_version, updated

    version_before, row = await request.app[db_key].write(apply)
    if row.token_version != version_before:
        await request.app[hub_key].disconnect_user(user_id, REVOKED)
    return json_response(user_view(row))


@routes.put("/api/trainers/" + ID % "trainer_id" + "/clients/" + ID % "client_id")
@documented("Assign a trainer to a client (admin, idempotent)", status=204)
async def assign(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    policy.require_admin(viewer)
    trainer_id, client_id = path_id(request, "trainer_id"), path_id(request, "client_id")

    def apply(conn: sqlite3.Connection) -> None:
        policy.assignment_pair(conn, trainer_id, client_id)
        users.assign(conn, trainer_id, client_id)

    await request.app[db_key].write(apply)
    return no_content()


@routes.delete("/api/trainers/" + ID % "trainer_id" + "/clients/" + ID % "client_id")
@documented("End an assignment (admin); access and notifications stop at once", status=204)
async def unassign(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    policy.require_admin(viewer)
    trainer_id, client_id = path_id(request, "trainer_id"), path_id(request, "client_id")

    await end_assignment(request.app[db_key], request.app[hub_key].publish, trainer_id, client_id)
    return no_content()


@routes.get("/api/trainers/" + ID % "trainer_id" + "/clients")
@documented("A trainer's clients (admin or that trainer)", response=UserList)
async def trainer_clients(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    trainer_id = path_id(request, "trainer_id")
    rows = await request.app[db_key].read(lambda c: policy.trainer_clients(c, viewer, trainer_id))
    return json_response(UserList([user_view(r) for r in rows]))


@routes.post("/api/users/" + ID % "id" + "/reset-code")
@documented(
    "A single-use password reset code for a user, replacing any earlier one (admin)",
    response=ResetCode,
)
async def reset_code(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    user_id = path_id(request, "id")
    code = await issue_reset_code(request.app[db_key], viewer, user_id)
    return json_response(ResetCode(reset_code=code, expires_in=resetcodes.CODE_TTL))
