"""Cleanup contexts of the media side: the image process pool and the storage (with its sweeper)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor

from aiohttp import web

from gymhub import imaging
from gymhub.appkeys import config_key, db_key, pool_key, storage_key
from gymhub.config import Config
from gymhub.data.db import Database
from gymhub.storage.space import space_key
from gymhub.storage.store import Storage
from gymhub.storage.sweep import SweepReport, list_candidates, sweep_locked

log = logging.getLogger("gymhub.storage")


def worker_count(config: Config) -> int:
    """Configured workers, else one per spare core (at least one)."""
    return config.workers or max(1, (os.cpu_count() or 2) - 1)


def make_pool(config: Config) -> ProcessPoolExecutor:
    """The image pool: forkserver (the server has threads), workers at the configured nice."""
    return ProcessPoolExecutor(
        max_workers=worker_count(config),
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=imaging.init_worker,
        initargs=(config.worker_nice,),
    )


async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
    """The image process pool (forkserver context), shut down after the storage."""
    pool = make_pool(app[config_key])
    app[pool_key] = pool
    try:
        yield
    finally:
        await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)


async def sweep(
    db: Database, storage: Storage, max_age: float | None, dry_run: bool
) -> SweepReport:
    """List outside the lock, then check rows and unlink under the write lock."""
    candidates = await asyncio.to_thread(list_candidates, storage.layout, max_age)
    if not candidates:
        return SweepReport(dry_run=dry_run)
    report = await db.write(lambda conn: sweep_locked(conn, candidates, dry_run))
    if report.removed and not dry_run:
        log.info("sweep removed %d orphaned files (%d bytes)", len(report.removed), report.bytes)
    return report


async def _sweeper(db: Database, storage: Storage, config: Config) -> None:
    while True:
        await asyncio.sleep(config.sweep_interval)
        try:
            await sweep(db, storage, config.orphan_max_age, dry_run=False)
        except Exception:
            # A failed sweep is retried next hour; it must never take the server down.
            log.exception("orphan sweep failed")


async def storage_ctx(app: web.Application) -> AsyncIterator[None]:
    """The media tree: start-up sweep of everything without a row, then an hourly sweep."""
    config, db = app[config_key], app[db_key]
    storage = Storage(config, app[pool_key], lambda: make_pool(config), app[space_key])
    await asyncio.to_thread(storage.layout.create)
    # Before the first request no upload can be in flight: every rowless file is an orphan.
    await sweep(db, storage, None, dry_run=False)
    app[storage_key] = storage
    task = asyncio.create_task(_sweeper(db, storage, config)) if config.sweep_interval else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.to_thread(storage.shutdown_replacements)
