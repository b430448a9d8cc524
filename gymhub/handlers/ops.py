"""GET /metrics and admin maintenance endpoints."""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()
