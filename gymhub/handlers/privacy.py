"""What the client sees and controls of their data: the access log, export and erasure."""

from __future__ import annotations

import sqlite3

from aiohttp import web

from gymhub.auth import policy
from gymhub.handlers.common import ID, LIMIT, id_param, path_id
from gymhub.schemas.common import documented, json_response
from gymhub.schemas.privacy import AccessLog
from gymhub.views.privacy import access_page
from gymhub.web.appkeys import db_key
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
