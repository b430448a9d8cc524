"""The seed meal-photo paths: /api/nutrition/photos/upload and /api/nutrition/photos/list."""

from __future__ import annotations

import sqlite3

from aiohttp import web

from gymhub.appkeys import db_key
from gymhub.auth import policy
from gymhub.auth.identity import current_viewer
from gymhub.data import files
from gymhub.errors import InvalidRequest
from gymhub.handlers.common import page_limit, query_int
from gymhub.handlers.files import ingest
from gymhub.handlers.fileviews import render_files
from gymhub.schemas.common import documented, json_response
from gymhub.schemas.files import File, PhotoList

routes = web.RouteTableDef()


@routes.post("/api/nutrition/photos/upload")
@documented(
    "Upload a photo of one of the caller's own meals (multipart part `file`)",
    response=File,
    status=201,
    query={"meal_completion_id": "int, required"},
)
async def upload_meal_photo(request: web.Request) -> web.Response:
    meal_id = query_int(request, "meal_completion_id", None, low=1)
    if meal_id is None:
        raise InvalidRequest("meal_completion_id: required.")
    # The meal is checked against the caller before the body is read: own meals only.
    return await ingest(request, "meal_photos", None, {"meal_completion_id": meal_id})


@routes.get("/api/nutrition/photos/list")
@documented(
    "Meal photos of the caller, or of an assigned client (client_id), newest first",
    response=PhotoList,
    query={"client_id": "int", "limit": "1..200 (default 200)", "before": "file id"},
)
async def list_meal_photos(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    client_id = query_int(request, "client_id", viewer.id, low=1)
    assert client_id is not None
    limit = page_limit(request, default=200)
    before = request.query.get("before") or None

    def load(conn: sqlite3.Connection) -> PhotoList:
        policy.client_data(conn, viewer, client_id)
        rows = files.list_files(conn, client_id, "meal_photos", limit, before)
        return PhotoList(render_files(conn, viewer, rows))

    return json_response(await request.app[db_key].read(load))
