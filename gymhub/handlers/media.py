"""The seed media paths: GET/HEAD/DELETE /api/files/media/... and /api/files/media/stats."""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()
