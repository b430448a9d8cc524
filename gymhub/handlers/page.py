"""The built-in web page: GET / and /static/."""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()
