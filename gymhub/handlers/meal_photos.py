"""The seed meal-photo paths: /api/nutrition/photos/upload and /api/nutrition/photos/list."""

from __future__ import annotations

import sqlite3

from aiohttp import web

from gymhub.auth import policy
from gymhub.data import files
from gymhub.data.catalogue import MEAL_LINK, MEAL_PHOTOS
from gymhub.handlers.common import id_param, limit_param
from gymhub.handlers.files import BEFORE_FILE, LINK_FIELDS, ingest
from gymhub.schemas.common import documented
from gymhub.schemas.files import File, PhotoList
from gymhub.schemas.query import FormBody, IntParam
from gymhub.views.files import render_files
from gymhub.web.appkeys import db_key
from gymhub.web.bodies import json_response
from gymhub.web.idempotency import idempotent
from gymhub.web.identity import current_viewer

routes = web.RouteTableDef()
MEAL_ID = IntParam(MEAL_LINK, "the caller's meal the photo shows", low=1, required=True)
# The query names the meal; the same form field is still read (the query wins), so say so.
MEAL_PHOTO_FORM = FormBody("file", (LINK_FIELDS[MEAL_LINK],))
CLIENT_ID = id_param("client_id", "whose photos (default: the caller's own)")
PHOTO_LIMIT = limit_param(200)


@routes.post("/api/nutrition/photos/upload")
@documented(
    "Upload a photo of one of the caller's own meals (multipart part `file`)",
    response=File,
    status=201,
    query=[MEAL_ID],
    form=MEAL_PHOTO_FORM,
)
@idempotent
async def upload_meal_photo(request: web.Request) -> web.Response:
    meal_id = MEAL_ID.get(request)
    # The meal is checked against the caller before the body is read: own meals only.
    return await ingest(request, MEAL_PHOTOS, None, {MEAL_LINK: meal_id})


@routes.get("/api/nutrition/photos/list")
@documented(
    "Meal photos of the caller, or of an assigned client (client_id), newest first",
    response=PhotoList,
    query=[CLIENT_ID, PHOTO_LIMIT, BEFORE_FILE],
)
async def list_meal_photos(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    client_id = CLIENT_ID.read(request) or viewer.id
    limit = PHOTO_LIMIT.get(request)
    before = BEFORE_FILE.read(request)

    def load(conn: sqlite3.Connection) -> PhotoList:
        policy.client_data(conn, viewer, client_id)
        rows = files.list_files(conn, client_id, MEAL_PHOTOS, limit, before)
        return PhotoList(render_files(conn, viewer, rows))

    return json_response(await request.app[db_key].read(load))
