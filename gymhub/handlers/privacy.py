"""What the client sees and controls of their data: the access log, export and erasure."""

from __future__ import annotations

import sqlite3

from aiohttp import web

from gymhub.auth import policy
from gymhub.data import export, users
from gymhub.handlers.common import ID, LIMIT, check_own_password, id_param, path_id
from gymhub.realtime.hub import REVOKED
from gymhub.schemas.common import documented
from gymhub.schemas.privacy import AccessLog, EraseMe
from gymhub.services.accounts import Allowed, erase_user
from gymhub.services.export import Snapshot, stream_zip
from gymhub.views.privacy import access_page
from gymhub.web.appkeys import db_key, hub_key, storage_key
from gymhub.web.bodies import json_response, no_content, read_json
from gymhub.web.headers import secure
from gymhub.web.identity import current_viewer
from gymhub.web.viewlog_lifecycle import views_key

routes = web.RouteTableDef()
BEFORE = id_param("before", "only entries with a smaller id (the previous page's next_before)")


async def _access_log(request: web.Request, user_id: int | None) -> web.Response:
    viewer = await current_viewer(request)
    owner_id = viewer.id if user_id is None else user_id
    limit, before = LIMIT.get(request), BEFORE.read(request)
    # Views still counted in memory first: the log reads as complete as of this request.
    await request.app[views_key].flush()

    def load(conn: sqlite3.Connection) -> AccessLog:
        policy.account_records(conn, viewer, owner_id)
        return access_page(conn, owner_id, limit, before)

    return json_response(await request.app[db_key].read(load))


@routes.get("/api/me/access-log")
@documented(
    "Who viewed the caller's files: per viewer, file and UTC day, newest first",
    response=AccessLog,
    query=[LIMIT, BEFORE],
)
async def my_access_log(request: web.Request) -> web.Response:
    return await _access_log(request, None)


@routes.get("/api/users/" + ID % "id" + "/access-log")
@documented("A user's access log (admin)", response=AccessLog, query=[LIMIT, BEFORE])
async def user_access_log(request: web.Request) -> web.Response:
    return await _access_log(request, path_id(request, "id"))


async def _erase(request: web.Request, user_id: int, allowed: Allowed) -> web.Response:
    app = request.app
    await erase_user(app[db_key], app[storage_key], user_id, allowed)
    # Synchronously after the commit: no batch can count a view of the erased id again.
    app[views_key].forget_user(user_id)
    await app[hub_key].disconnect_user(user_id, REVOKED)
    return no_content()


@routes.delete("/api/users/" + ID % "id")
@documented(
    "Erase an account and everything that is theirs (admin; not the last active admin)",
    status=204,
)
async def erase_account(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    user_id = path_id(request, "id")
    return await _erase(request, user_id, lambda c: policy.erase_account(c, viewer, user_id))


@routes.delete("/api/me")
@documented(
    "Erase the caller's own account and everything that is theirs (clients; password required)",
    request=EraseMe,
    status=204,
)
async def erase_me(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    policy.erase_self(viewer)
    body = await read_json(request, EraseMe)
    await check_own_password(request, viewer, body.current_password)
    return await _erase(request, viewer.id, lambda c: policy.visible_user(c, viewer, viewer.id))


async def _export(request: web.Request, user_id: int | None) -> web.StreamResponse:
    viewer = await current_viewer(request)
    owner_id = viewer.id if user_id is None else user_id
    db, storage = request.app[db_key], request.app[storage_key]
    # Views still counted in memory first, so access-log.json is complete as of now.
    await request.app[views_key].flush()

    def load(conn: sqlite3.Connection) -> tuple[users.User, Snapshot]:
        user = policy.account_records(conn, viewer, owner_id)
        return user, export.snapshot(conn, owner_id)

    user, snap = await db.read(load)
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f'attachment; filename="gymhub-export-{user.id}.zip"',
            "Cache-Control": "no-store",
        }
    )
    secure(response)
    await response.prepare(request)
    await stream_zip(snap, storage.layout, response.write)
    await response.write_eof()
    return response


@routes.get("/api/me/export")
@documented("Everything of the caller's as a zip (JSON of their rows, their originals)")
async def my_export(request: web.Request) -> web.StreamResponse:
    return await _export(request, None)


@routes.get("/api/users/" + ID % "id" + "/export")
@documented("A user's export (admin)")
async def user_export(request: web.Request) -> web.StreamResponse:
    return await _export(request, path_id(request, "id"))
