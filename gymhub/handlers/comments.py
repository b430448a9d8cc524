"""Feedback on a meal, a progress entry or a photo: /api/comments."""

from __future__ import annotations

from aiohttp import web

from gymhub.data.catalogue import COMMENT_TARGETS
from gymhub.handlers.common import ID, path_id
from gymhub.schemas.common import documented
from gymhub.schemas.feedback import (
    Comment,
    CommentCreate,
    CommentList,
    FileComment,
    MealComment,
    ProgressComment,
)
from gymhub.schemas.query import IntParam, StrParam
from gymhub.services import comments
from gymhub.storage.layout import FILE_ID
from gymhub.web.appkeys import db_key, hub_key
from gymhub.web.bodies import json_response, no_content, read_json
from gymhub.web.idempotency import idempotent
from gymhub.web.identity import current_viewer

routes = web.RouteTableDef()
TARGET = StrParam("target", "what the comments are about", COMMENT_TARGETS, required=True)
TARGET_ID = StrParam(
    "target_id",
    "the meal's or entry's id, or the file's id",
    pattern=f"[0-9]{{1,18}}|{FILE_ID.pattern}",
    pattern_text="a meal or entry id, or a file id (32 hex characters)",
    required=True,
)
RECORD_ID = IntParam("target_id", "a meal's or entry's id", low=1)
FILE_TARGET_ID = StrParam(
    "target_id", "a file id", pattern=FILE_ID.pattern, pattern_text="a file id (32 hex characters)"
)


@routes.post("/api/comments")
@documented(
    "Comment on a meal, progress entry or photo the caller may see; notifies the client, "
    "their trainers and the author",
    request=CommentCreate,
    response=Comment,
    status=201,
)
@idempotent
async def add_comment(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    body: MealComment | ProgressComment | FileComment = await read_json(
        request,
        CommentCreate,  # type: ignore[arg-type]  # a tagged union decodes like a type
    )
    target = str(type(body).__struct_config__.tag)
    app = request.app
    comment = await comments.add_comment(
        app[db_key], app[hub_key].publish, viewer, target, body.target_id, body.body
    )
    return json_response(comment, status=201)


@routes.get("/api/comments")
@documented(
    "The comments on a meal, progress entry or photo the caller may see, oldest first",
    response=CommentList,
    query=[TARGET, TARGET_ID],
)
async def list_comments(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    target = TARGET.get(request)
    raw = TARGET_ID.get(request)
    # The target says which form its id takes.
    target_id = FILE_TARGET_ID.parse(raw) if target == "file" else RECORD_ID.parse(raw)
    found = await comments.list_comments(request.app[db_key], viewer, target, target_id)
    return json_response(CommentList(found))


@routes.delete("/api/comments/" + ID % "id")
@documented("Delete a comment (its author or an admin)", status=204)
async def delete_comment(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    await comments.delete_comment(request.app[db_key], viewer, path_id(request, "id"))
    return no_content()
