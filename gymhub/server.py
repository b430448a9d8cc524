"""make_app(config) wires gymhub together; run(config) serves it until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
import sys
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from aiohttp.web_exceptions import NotAppKeyWarning
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from gymhub import datadir, firstrun, sdnotify
from gymhub.auth import keys
from gymhub.auth.passwords import Hashing
from gymhub.auth.ratelimit import LoginLimiter
from gymhub.config import Config
from gymhub.data import meta as data_meta
from gymhub.data.db import Database
from gymhub.data.memo import GenerationMemo
from gymhub.handlers import (
    auth,
    comments,
    files,
    meal_photos,
    meals,
    media,
    messages,
    meta,
    notifications,
    ops,
    page,
    privacy,
    progress,
    trainers,
    users,
    ws,
)
from gymhub.logs import console, setup_logging
from gymhub.web import identity
from gymhub.web.accesslog import AccessLogger
from gymhub.web.appkeys import config_key, db_key, hashing_key, keys_key, limiter_key
from gymhub.web.connections import Guard, GuardedSite, Limits
from gymhub.web.front import add_routes, front
from gymhub.web.hub_lifecycle import hub_ctx
from gymhub.web.inflight import InFlight
from gymhub.web.memory import release_after_falls
from gymhub.web.metrics import stage_timed
from gymhub.web.space import space_ctx
from gymhub.web.storage_lifecycle import pool_ctx, storage_ctx
from gymhub.web.viewlog_lifecycle import views_ctx

log = logging.getLogger("gymhub")
inflight_key = web.AppKey("inflight", InFlight)

HANDLERS = (
    meta,
    auth,
    users,
    files,
    media,
    meal_photos,
    meals,
    progress,
    messages,
    comments,
    trainers,
    notifications,
    ws,
    ops,
    privacy,
    page,
)


async def hashing_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the password hasher before the database (the first admin needs it); close it last."""
    # The dummy hash it makes costs one hash: off the event loop.
    hashing = await asyncio.to_thread(Hashing, app[config_key])
    app[hashing_key] = hashing
    try:
        yield
    finally:
        await asyncio.to_thread(hashing.close)


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the database (migrating it) and make sure an admin exists; close it last."""
    config = app[config_key]
    # Before anything is created or migrated: a fresh database next to a populated media tree
    # would make every file an orphan.
    await asyncio.to_thread(datadir.preflight, config.db_path, config.media_dir)
    db = Database(config.db_path)
    await db.open()
    app[db_key] = db
    try:
        data_dir_id = await db.read(lambda conn: data_meta.get(conn, data_meta.DATA_DIR_ID))
        assert data_dir_id is not None  # migration 0004 sets it
        await asyncio.to_thread(datadir.bind, config.media_dir, data_dir_id)
    except BaseException:
        await db.close()
        raise
    password = await firstrun.ensure_admin(db, app[hashing_key], config.admin_password)
    if password is not None:
        shown = "(from GYMHUB_ADMIN_PASSWORD)" if config.admin_password else password
        # Printed once, on the console of the first start: it is stored only as a hash.
        console(f"created the first account: username 'admin', password {shown}")
    try:
        yield
    finally:
        try:
            # Rowless files newer than this were left by a run that crashed (see the sweep).
            await db.write(lambda conn: data_meta.mark_clean_shutdown(conn, time.time()))
        finally:
            await db.close()


def make_app(config: Config) -> web.Application:
    """The whole gymhub application for this configuration (resources open on startup)."""
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    master = keys.load_or_create(config.key_path)
    derived = keys.Keys.derive(master)
    sessions = EncryptedCookieStorage(
        derived.cookie,
        cookie_name=identity.SESSION_COOKIE,
        max_age=config.token_ttl,
        secure=config.secure_cookies,
        httponly=True,
        samesite="Lax",
    )
    inflight = InFlight()
    app = web.Application(client_max_size=1024 * 1024)
    app[inflight_key] = inflight
    app[config_key] = config
    app[keys_key] = derived
    app[limiter_key] = LoginLimiter(
        config.login_max_failures, config.login_window, config.login_max_failures_per_address
    )
    app[media.media_memo_key] = GenerationMemo(media.MEDIA_MEMO_SIZE)
    # Opened in this order, closed in reverse: the hub first, the hasher last.
    # The access log's recorder right after the database: its last batch is written before the
    # database closes.
    app.cleanup_ctx.extend(
        [
            hashing_ctx,
            space_ctx,
            database_ctx,
            views_ctx,
            pool_ctx,
            storage_ctx,
            media.media_route_ctx,
            hub_ctx,
        ]
    )
    # gymhub's own concerns and the session cookie in one layer around every handler
    # (web/front.py), the benchmarks' stage timing inside it.
    wrap_front = front(inflight, sessions)
    wrap = (lambda h: wrap_front(stage_timed(h))) if config.stage_timing else wrap_front
    add_routes(app, (module.routes for module in HANDLERS), wrap)
    return app


async def serve(config: Config) -> None:
    """Serve until SIGTERM or SIGINT, telling systemd when ready and when stopping."""
    app = make_app(config)
    handler_kwargs: dict[str, Any] = {
        "access_log_class": AccessLogger,
        "keepalive_timeout": config.keepalive_timeout,
    }
    runner = web.AppRunner(
        app, handle_signals=False, shutdown_timeout=config.shutdown_timeout, **handler_kwargs
    )
    await runner.setup()
    guard = Guard(Limits.from_config(config))
    site = GuardedSite(runner, config.host, config.port, guard, **handler_kwargs)
    await site.start()
    releaser = asyncio.create_task(release_after_falls(guard))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    for address in runner.addresses:
        host, port = address[0], address[1]
        host = f"[{host}]" if ":" in host else host
        console(f"listening on http://{host}:{port}", url=f"http://{host}:{port}")
    sdnotify.notify("READY=1")
    try:
        await stop.wait()
    finally:
        releaser.cancel()
        sdnotify.notify("STOPPING=1")
        log.info("shutting down")
        # Stop accepting, then let running requests (uploads mid-body) finish before aiohttp
        # closes the connections, which would drop the rest of their bodies.
        for running in list(runner.sites):
            await running.stop()
        if not await app[inflight_key].wait_idle(config.shutdown_timeout):
            log.warning("requests still running after %ss; closing", config.shutdown_timeout)
        await runner.cleanup()


def run(config: Config) -> None:
    """Set up logging and serve the app with this configuration."""
    setup_logging(config.log_format, config.log_level, config.log_repeat_seconds)
    # aiohttp-session keeps its state under plain string keys; nothing for an admin to act on.
    warnings.filterwarnings("ignore", category=NotAppKeyWarning)
    try:
        asyncio.run(serve(config))
    except datadir.DataDirRefused as exc:
        console(str(exc), level="ERROR", stream=sys.stderr)
        raise SystemExit(1) from None
    except sqlite3.Error as exc:
        console(
            f"cannot open the database {config.db_path}: {exc}. {datadir.ADVICE}",
            level="ERROR",
            stream=sys.stderr,
        )
        raise SystemExit(1) from None
    except OSError as exc:
        console(
            f"cannot listen on {config.host}:{config.port}: {exc.strerror}",
            level="ERROR",
            stream=sys.stderr,
        )
        raise SystemExit(1) from None
    except Exception:
        # Through logging rather than Python's traceback print, so with --log-format json the
        # traceback is one object's "exception" field, not lines of plain text.
        log.critical("stopped on an unexpected error", exc_info=True)
        raise SystemExit(1) from None
