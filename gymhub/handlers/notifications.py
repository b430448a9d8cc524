"""Stored notifications: /api/notifications."""

from __future__ import annotations

import sqlite3

import msgspec
from aiohttp import web

from gymhub.data import notifications
from gymhub.handlers.common import LIMIT
from gymhub.schemas.common import documented
from gymhub.schemas.notifications import Envelope, NotificationList, ReadUpTo
from gymhub.schemas.query import IntParam
from gymhub.web.appkeys import db_key
from gymhub.web.bodies import json_response, no_content, read_json
from gymhub.web.identity import current_viewer

routes = web.RouteTableDef()
SINCE = IntParam("since", "only ids greater than this", low=0, default=0)


def envelope_of(row: notifications.Logged) -> Envelope:
    """A stored notification row as its envelope; the stored data JSON is passed through."""
    return Envelope(
        id=row.id,
        type=row.type,
        created_at=row.created_at,
        read=row.read,
        data=msgspec.Raw(row.data.encode()),
    )


@routes.get("/api/notifications")
@documented(
    "The caller's stored notifications after `since`, oldest first, and the unread count",
    response=NotificationList,
    query=[SINCE, LIMIT],
)
async def list_notifications(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    since = SINCE.get(request)
    limit = LIMIT.get(request)

    def load(conn: sqlite3.Connection) -> NotificationList:
        rows = notifications.after(conn, viewer.id, since, limit)
        return NotificationList(
            notifications=[envelope_of(r) for r in rows],
            unread=notifications.unread_count(conn, viewer.id),
        )

    return json_response(await request.app[db_key].read(load))


@routes.post("/api/notifications/read")
@documented("Mark the caller's notifications up to an id read", request=ReadUpTo, status=204)
async def mark_read(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    body = await read_json(request, ReadUpTo)
    await request.app[db_key].write(lambda c: notifications.mark_read(c, viewer.id, body.up_to))
    return no_content()
