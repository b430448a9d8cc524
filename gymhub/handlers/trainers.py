"""The trainer's day and announcements: /api/trainers/{id}/dashboard, /api/announcements."""

from __future__ import annotations

from aiohttp import web

from gymhub.data.trainers import ClientDay
from gymhub.handlers.common import ID, path_id
from gymhub.schemas.common import documented
from gymhub.schemas.feedback import Announced, AnnouncementCreate, Dashboard, DashboardRow
from gymhub.services import trainers
from gymhub.views.users import user_view
from gymhub.web.appkeys import db_key, hub_key
from gymhub.web.bodies import json_response, read_json
from gymhub.web.identity import current_viewer

routes = web.RouteTableDef()


def _row(day: ClientDay) -> DashboardRow:
    return DashboardRow(
        user=user_view(day.user),
        last_activity_at=day.last_activity_at,
        meals_7d=day.meals_7d,
        days_logged_7d=day.days_logged_7d,
        last_weight_kg=day.last_weight_kg,
        weight_change_30d_kg=day.weight_change_30d_kg,
        unread_messages=day.unread_messages,
        unread_comments=day.unread_comments,
    )


@routes.get("/api/trainers/" + ID % "trainer_id" + "/dashboard")
@documented(
    "A trainer's clients with their last week, least active first (admin or that trainer)",
    response=Dashboard,
)
async def dashboard(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    trainer_id = path_id(request, "trainer_id")
    days = await trainers.dashboard(request.app[db_key], viewer, trainer_id)
    return json_response(Dashboard([_row(day) for day in days]))


@routes.post("/api/announcements")
@documented(
    "A SYSTEM notification to every active user of an audience but the sender (admin any "
    "audience, a trainer my_clients)",
    request=AnnouncementCreate,
    response=Announced,
    status=202,
)
async def announce(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    body = await read_json(request, AnnouncementCreate)
    app = request.app
    sent = await trainers.announce(
        app[db_key], app[hub_key].publish, viewer, body.audience, body.message, body.title
    )
    return json_response(sent, status=202)
