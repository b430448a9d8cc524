"""File uploads, listing, metadata and deletion (API.md Files)."""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()
