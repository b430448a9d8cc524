"""The access log's recorder as an app resource: opened after the database, closed before it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from gymhub.services.viewlog import ViewRecorder
from gymhub.web.appkeys import db_key

views_key = web.AppKey("views", ViewRecorder)


async def views_ctx(app: web.Application) -> AsyncIterator[None]:
    """Count views from the first request; write the last batch at shutdown, while the
    database is still open (this context closes before database_ctx)."""
    recorder = ViewRecorder(app[db_key])
    app[views_key] = recorder
    recorder.start()
    try:
        yield
    finally:
        await recorder.close()
