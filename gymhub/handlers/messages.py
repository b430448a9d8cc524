"""Messages between related users: /api/messages."""

from __future__ import annotations

from aiohttp import web

from gymhub.data import messages
from gymhub.handlers.common import ID, LIMIT, id_param, path_id
from gymhub.schemas.coaching import ChatMessage, MessageCreate, MessageList, MessagePatch
from gymhub.schemas.common import documented
from gymhub.services import messages as chat
from gymhub.views.messages import message_view
from gymhub.web.appkeys import db_key, hub_key
from gymhub.web.bodies import json_response, no_content, read_json
from gymhub.web.idempotency import idempotent
from gymhub.web.identity import current_viewer

routes = web.RouteTableDef()
WITH = id_param("with", "the other party's user id (default: every conversation)")
BEFORE = id_param("before", "only messages with a smaller id")


@routes.post("/api/messages")
@documented(
    "Send a message to an assigned trainer/client or an admin; notifies both parties",
    request=MessageCreate,
    response=ChatMessage,
    status=201,
)
@idempotent
async def send_message(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    body = await read_json(request, MessageCreate)
    app = request.app
    message = await chat.send_message(
        app[db_key], app[hub_key].publish, viewer, body.recipient_id, body.body
    )
    return json_response(message, status=201)


@routes.get("/api/messages")
@documented(
    "The caller's messages (with one user if `with` is given), newest first",
    response=MessageList,
    query=[WITH, LIMIT, BEFORE],
)
async def list_messages(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    other = WITH.read(request)
    limit = LIMIT.get(request)
    before = BEFORE.read(request)
    # Only messages the caller sent or received are read, so no policy check is needed and
    # an unknown `with` is just an empty conversation (existence is not revealed).
    rows = await request.app[db_key].read(
        lambda c: messages.conversation(c, viewer.id, other, limit, before)
    )
    return json_response(MessageList([message_view(r) for r in rows]))


@routes.post("/api/messages/" + ID % "id" + "/read")
@documented("Mark a received message read (recipient only; idempotent)", status=204)
async def read_message(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    message_id = path_id(request, "id")
    await chat.mark_read(request.app[db_key], viewer, message_id)
    return no_content()


@routes.patch("/api/messages/" + ID % "id")
@documented(
    "Edit a message (its sender, within 24 hours); notifies both parties",
    request=MessagePatch,
    response=ChatMessage,
)
async def edit_message(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    message_id = path_id(request, "id")
    body = await read_json(request, MessagePatch)
    app = request.app
    message = await chat.edit_message(
        app[db_key], app[hub_key].publish, viewer, message_id, body.body
    )
    return json_response(message)


@routes.delete("/api/messages/" + ID % "id")
@documented("Delete a message (its sender): it reads as deleted for both sides", status=204)
async def delete_message(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    message_id = path_id(request, "id")
    app = request.app
    await chat.delete_message(app[db_key], app[hub_key].publish, viewer, message_id)
    return no_content()
