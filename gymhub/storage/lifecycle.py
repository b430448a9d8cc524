"""Cleanup contexts of the media side: the image process pool and the storage (with its sweeper)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web


async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
    """The image process pool (spawn context), shut down after the storage."""
    yield


async def storage_ctx(app: web.Application) -> AsyncIterator[None]:
    """The media tree: start-up sweep, hourly orphan sweep."""
    yield
