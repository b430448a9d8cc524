"""Meals: POST/GET /api/nutrition/meals."""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()
