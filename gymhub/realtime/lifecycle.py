"""Cleanup context of the notification hub."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from gymhub.appkeys import hub_key
from gymhub.realtime.hub import Hub


async def hub_ctx(app: web.Application) -> AsyncIterator[None]:
    """The notification hub; its sockets close with 1001 when the server shuts down."""
    hub = Hub()
    app[hub_key] = hub

    async def close_sockets(_: web.Application) -> None:
        await hub.close_all(1001)

    app.on_shutdown.append(close_sockets)
    yield
