"""Progress entries: /api/progress."""

from __future__ import annotations

import msgspec
from aiohttp import web

from gymhub.auth import policy
from gymhub.data import progress
from gymhub.errors import InvalidRequest
from gymhub.handlers.client_data import ClientRecords
from gymhub.handlers.common import ID, id_param, path_id
from gymhub.schemas.coaching import (
    Progress,
    ProgressCreate,
    ProgressList,
    ProgressPatch,
    api_time,
)
from gymhub.schemas.common import documented
from gymhub.services.progress import NewEntry, delete_entry, edit_entry, record_progress
from gymhub.views.progress import entries_view
from gymhub.web.appkeys import db_key, hub_key, storage_key
from gymhub.web.bodies import json_response, no_content, read_json
from gymhub.web.idempotency import idempotent
from gymhub.web.identity import current_viewer

routes = web.RouteTableDef()
ENTRIES = ClientRecords(
    list_for=progress.list_for,
    get=progress.get,
    view=entries_view,
    missing="No such progress entry.",
    client_id=id_param("client_id", "whose entries (default: the caller's own)"),
    before=id_param("before", "only entries with a smaller id (newest first)"),
)


@routes.post("/api/progress")
@documented(
    "Log progress (clients), linking own progress photos; notifies the client and trainers",
    request=ProgressCreate,
    response=Progress,
    status=201,
)
@idempotent
async def create_entry(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    policy.logs_own_data(viewer, "progress")
    body = await read_json(request, ProgressCreate)
    photo_ids = list(dict.fromkeys(body.photo_ids or []))
    measured = msgspec.to_builtins(body.measurements) if body.measurements else {}
    if not (body.weight_kg or body.body_fat_pct or body.notes or photo_ids or measured):
        raise InvalidRequest(
            "weight_kg: an entry needs a weight, body fat, measurements, notes or photo_ids."
        )
    recorded_at = api_time(body.recorded_at, "recorded_at") if body.recorded_at else None
    new = NewEntry(recorded_at, body.weight_kg, body.body_fat_pct, body.notes, photo_ids, measured)
    app = request.app
    entry = await record_progress(app[db_key], app[hub_key].publish, viewer, new)
    return json_response(entry, status=201)


@routes.get("/api/progress")
@documented("A client's progress entries, newest first", response=ProgressList, query=ENTRIES.query)
async def list_entries(request: web.Request) -> web.Response:
    return json_response(ProgressList(await ENTRIES.page(request)))


@routes.get("/api/progress/" + ID % "id")
@documented("One progress entry, if the caller may see the client's data", response=Progress)
async def get_entry(request: web.Request) -> web.Response:
    return json_response(await ENTRIES.one(request))


@routes.patch("/api/progress/" + ID % "id")
@documented(
    "Correct a progress entry (the client who logged it); photo_ids replaces the linked "
    "photos; notifies the client and their trainers",
    request=ProgressPatch,
    response=Progress,
)
async def patch_entry(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    entry_id = path_id(request, "id")
    changes = (await read_json(request, ProgressPatch)).given()
    if "recorded_at" in changes:
        changes["recorded_at"] = api_time(changes["recorded_at"], "recorded_at")
    if "measurements" in changes:
        changes["measurements"] = msgspec.to_builtins(changes["measurements"] or {})
    if changes.get("photo_ids"):
        changes["photo_ids"] = list(dict.fromkeys(changes["photo_ids"]))
    app = request.app
    entry = await edit_entry(app[db_key], app[hub_key].publish, viewer, entry_id, changes)
    return json_response(entry)


@routes.delete("/api/progress/" + ID % "id")
@documented("Delete a progress entry and its photos (its client or an admin)", status=204)
async def remove_entry(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    entry_id = path_id(request, "id")
    app = request.app
    await delete_entry(app[db_key], app[storage_key], app[hub_key].publish, viewer, entry_id)
    return no_content()
