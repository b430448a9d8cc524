"""Messages between related users: /api/messages."""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()
