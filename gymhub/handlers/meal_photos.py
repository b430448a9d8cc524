"""The seed meal-photo paths: /api/nutrition/photos/upload and /api/nutrition/photos/list."""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()
