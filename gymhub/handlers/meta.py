"""GET /healthz and GET /api/openapi.json."""

from __future__ import annotations

from aiohttp import web

from gymhub.appkeys import db_key
from gymhub.schemas.common import documented, json_response
from gymhub.schemas.openapi import build_openapi
from gymhub.schemas.users import Health

routes = web.RouteTableDef()
openapi_cache_key = web.AppKey("openapi_cache", bytes)


@routes.get("/healthz")
@documented("Liveness: 200 when the database answers, 503 otherwise", response=Health, auth=False)
async def healthz(request: web.Request) -> web.Response:
    if await request.app[db_key].ping():
        return json_response(Health("ok"))
    return json_response(Health("unavailable"), status=503)


@routes.get("/api/openapi.json")
@documented("This OpenAPI 3.1 document", auth=False)
async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=build_openapi(request.app), content_type="application/json")
