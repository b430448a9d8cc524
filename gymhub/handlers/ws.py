"""WebSocket endpoints, tickets, hub stats and test notifications."""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()
