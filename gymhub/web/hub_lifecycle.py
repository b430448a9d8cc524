"""Cleanup context of the notification hub and its two periodic chores.

- Revocation done by another process (`gymhub user disable` on the command line) cannot call the
  hub, so every `min(ws_heartbeat, 5 s)` one query reads the token version and disabled flag of
  all connected users and closes stale connections with 4401. Revocation through the API closes
  them at once.
- Retention: notifications older than notification_retention_days and beyond each user's newest
  notification_max_per_user are deleted at start and then every sweep_interval seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from gymhub.config import Config
from gymhub.data import idempotency as idempotency_keys
from gymhub.data import notifications, users
from gymhub.data.db import Database
from gymhub.realtime.hub import GOING_AWAY, Hub
from gymhub.services.idempotency import expired_before
from gymhub.web.appkeys import config_key, db_key, hub_key

log = logging.getLogger("gymhub.realtime")

REVOCATION_CHECK = 5.0


async def hub_ctx(app: web.Application) -> AsyncIterator[None]:
    """The notification hub; its sockets close with 1001 when the server shuts down."""
    config, db = app[config_key], app[db_key]
    hub = Hub(config.ws_queue_size, config.ws_max_per_user, config.ws_buffer_bytes)
    app[hub_key] = hub

    async def close_sockets(_: web.Application) -> None:
        await hub.close_all(GOING_AWAY)

    app.on_shutdown.append(close_sockets)
    every = min(REVOCATION_CHECK, config.ws_heartbeat) if config.ws_heartbeat > 0 else 5.0
    chores = [
        asyncio.create_task(_repeat(every, lambda: check_revocations(hub, db))),
        asyncio.create_task(_repeat(max(1, config.sweep_interval), lambda: prune(db, config))),
    ]
    try:
        yield
    finally:
        for task in chores:
            task.cancel()
        for task in chores:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _repeat(interval: float, chore: Callable[[], Awaitable[object]]) -> None:
    while True:
        try:
            await chore()
        except (sqlite3.Error, RuntimeError):
            log.exception("periodic hub chore failed; trying again later")
        await asyncio.sleep(interval)


async def check_revocations(hub: Hub, db: Database) -> int:
    """Close connections of users disabled or revoked elsewhere (one query for all)."""
    ids = hub.user_ids()
    if not ids:
        return 0

    return hub.revoke_stale(await db.read(lambda conn: users.revocation_state(conn, ids)))


async def prune(db: Database, config: Config) -> int:
    """Apply the retention rules to the notification log."""
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=config.notification_retention_days)
    stamp = cutoff.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    removed = await db.write(
        lambda c: notifications.prune(c, stamp, config.notification_max_per_user)
    )
    if removed:
        log.info("pruned %d old notifications", removed)
    # Expired Idempotency-Keys ride along: keyed writes prune only a batch each.
    await db.write(lambda c: idempotency_keys.prune(c, expired_before()))
    return removed
