"""Progress entries: /api/progress."""

from __future__ import annotations

import sqlite3

from aiohttp import web

from gymhub.auth import policy
from gymhub.data import progress
from gymhub.errors import InvalidRequest, NotFound
from gymhub.handlers.common import ID, LIMIT, id_param, path_id
from gymhub.schemas.coaching import Progress, ProgressCreate, ProgressList, api_time
from gymhub.schemas.common import documented, json_response, read_json
from gymhub.services.progress import NewEntry, record_progress
from gymhub.views.progress import entries_view
from gymhub.web.appkeys import db_key, hub_key
from gymhub.web.identity import current_viewer

routes = web.RouteTableDef()
CLIENT_ID = id_param("client_id", "whose entries (default: the caller's own)")
BEFORE = id_param("before", "only entries with a smaller id (newest first)")
LIST_QUERY = (CLIENT_ID, LIMIT, BEFORE)


@routes.post("/api/progress")
@documented(
    "Log progress (clients), linking own progress photos; notifies the client and trainers",
    request=ProgressCreate,
    response=Progress,
    status=201,
)
async def create_entry(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    policy.logs_own_data(viewer, "progress")
    body = await read_json(request, ProgressCreate)
    photo_ids = list(dict.fromkeys(body.photo_ids or []))
    if body.weight_kg is None and body.body_fat_pct is None and not body.notes and not photo_ids:
        raise InvalidRequest("weight_kg: an entry needs a weight, body fat, notes or photo_ids.")
    recorded_at = api_time(body.recorded_at, "recorded_at") if body.recorded_at else None
    new = NewEntry(recorded_at, body.weight_kg, body.body_fat_pct, body.notes, photo_ids)
    app = request.app
    entry = await record_progress(app[db_key], app[hub_key].publish, viewer, new)
    return json_response(entry, status=201)


@routes.get("/api/progress")
@documented("A client's progress entries, newest first", response=ProgressList, query=LIST_QUERY)
async def list_entries(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    client_id = CLIENT_ID.read(request) or viewer.id
    limit = LIMIT.get(request)
    before = BEFORE.read(request)

    def load(conn: sqlite3.Connection) -> list[Progress]:
        policy.client_data(conn, viewer, client_id)
        return entries_view(conn, viewer, progress.list_for(conn, client_id, limit, before))

    return json_response(ProgressList(await request.app[db_key].read(load)))


@routes.get("/api/progress/" + ID % "id")
@documented("One progress entry, if the caller may see the client's data", response=Progress)
async def get_entry(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    entry_id = path_id(request, "id")

    def load(conn: sqlite3.Connection) -> Progress:
        row = progress.get(conn, entry_id)
        if row is None:
            raise NotFound("No such progress entry.")
        try:
            policy.client_data(conn, viewer, row["client_id"])
        except NotFound:
            raise NotFound("No such progress entry.") from None
        return entries_view(conn, viewer, [row])[0]

    return json_response(await request.app[db_key].read(load))
