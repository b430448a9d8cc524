"""GET /healthz and GET /api/openapi.json."""

from __future__ import annotations

from aiohttp import web

from gymhub.schemas.common import documented
from gymhub.schemas.openapi import build_openapi
from gymhub.schemas.users import Health
from gymhub.web.appkeys import db_key
from gymhub.web.bodies import json_response
from gymhub.web.space import space_key

routes = web.RouteTableDef()


@routes.get("/healthz")
@documented(
    "Liveness: 200 when the database answers (status degraded and disk low while writes get "
    "507 for space), 503 otherwise",
    response=Health,
    auth=False,
)
async def healthz(request: web.Request) -> web.Response:
    # Low disk stays a 200: reads, logins and deletes still work, and a balancer that pulled
    # the server would take away the deletes that free the space.
    try:
        disk = "low" if await request.app[space_key].low() else "ok"
    except OSError:  # the data dir itself is gone or unreadable: nothing works
        disk = "unknown"
    if disk == "unknown" or not await request.app[db_key].ping():
        return json_response(Health("unavailable", disk), status=503)
    return json_response(Health("ok" if disk == "ok" else "degraded", disk))


@routes.get("/api/openapi.json")
@documented("This OpenAPI 3.1 document", auth=False)
async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=build_openapi(request.app), content_type="application/json")
