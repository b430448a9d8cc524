"""Cleanup contexts of the media side: the image process pool and the storage (with its sweeper)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from aiohttp import web

from gymhub import imaging
from gymhub.config import Config
from gymhub.data import meta
from gymhub.data.db import Database
from gymhub.storage.store import Storage
from gymhub.storage.sweep import (
    SweepReport,
    SweepRules,
    expire_quarantine,
    list_candidates,
    sweep_locked,
)
from gymhub.web.appkeys import config_key, db_key, pool_key, storage_key
from gymhub.web.space import space_key

log = logging.getLogger("gymhub.storage")


def worker_count(config: Config) -> int:
    """Configured workers, else one per spare core (at least one)."""
    return config.workers or max(1, (os.cpu_count() or 2) - 1)


def make_pool(config: Config) -> ProcessPoolExecutor:
    """The image pool: forkserver (the server has threads), workers at the configured priority."""
    return ProcessPoolExecutor(
        max_workers=worker_count(config),
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=imaging.init_worker,
        initargs=(config.worker_nice, config.worker_idle),
    )


async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
    """The image process pool (forkserver context), warmed in the background, shut down after
    the storage."""
    config = app[config_key]
    pool = make_pool(config)
    app[pool_key] = pool
    warming = asyncio.ensure_future(warm(pool, worker_count(config))) if config.warm_pool else None
    try:
        yield
    finally:
        try:
            if warming is not None:
                warming.cancel()
                await asyncio.wait([warming])
        finally:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)


async def warm(pool: ProcessPoolExecutor, workers: int) -> None:
    """One warm-up job per worker, submitted together: the pool starts a worker for each job
    that finds none idle, so all of them start now rather than on the first uploads. Start-up
    does not wait for them; an upload that comes first queues behind one made-up 4 MP photo."""
    began = time.perf_counter()
    loop = asyncio.get_running_loop()
    try:
        jobs = [loop.run_in_executor(pool, imaging.warm_up) for _ in range(workers)]
        outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    except Exception as err:  # a pool that cannot start a worker at all
        outcomes = [err]
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    if failed:
        # Not fatal: the uploads find the workers unwarmed, or a broken pool that the store
        # replaces before it runs them.
        log.warning("image worker warm-up failed: %s", failed[0])
    else:
        log.info(
            "image workers warmed: %d in %.0f ms", workers, 1000 * (time.perf_counter() - began)
        )


@dataclass
class Sweeper:
    """The server's sweeps (start-up, hourly, admin), with the rules read at start-up."""

    db: Database
    storage: Storage
    config: Config
    # The last clean shutdown before this run: rowless files newer than it are crash leftovers.
    leftover_after: float | None

    async def run(self, max_age: float | None, dry_run: bool) -> SweepReport:
        """List outside the lock, then check rows and move under the write lock."""
        layout = self.storage.layout
        listing = await asyncio.to_thread(list_candidates, layout, max_age)
        report = SweepReport(dry_run=dry_run, store_files=listing.store_files)
        if listing.candidates:
            rules = SweepRules(self.leftover_after, self.config.sweep_max_share, dry_run=dry_run)
            report = await self.db.write(
                lambda conn: sweep_locked(conn, listing, rules, layout.quarantine)
            )
        if report.refused:
            log.warning(
                "sweep refused: %d files without a row are more than sweep_max_share (%s) of "
                "the store's %d files, so nothing was moved; check the database (`gymhub check`),"
                " then move them with `gymhub cleanup --force`",
                report.refused,
                self.config.sweep_max_share,
                report.store_files,
            )
        elif not dry_run and report.taken:
            log.info(
                "sweep quarantined %d and removed %d files without a row (%d bytes)",
                len(report.quarantined),
                len(report.removed),
                report.bytes,
            )
        if not dry_run:
            files, size = await asyncio.to_thread(
                expire_quarantine, layout.quarantine, self.config.quarantine_days
            )
            if files:
                log.info("quarantine: deleted %d expired files (%d bytes)", files, size)
        return report


sweeper_key = web.AppKey("sweeper", Sweeper)


async def _sweeper(sweeper: Sweeper, interval: float, max_age: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await sweeper.run(max_age, dry_run=False)
        except Exception:
            # A failed sweep is retried next hour; it must never take the server down.
            log.exception("orphan sweep failed")


async def storage_ctx(app: web.Application) -> AsyncIterator[None]:
    """The media tree: start-up sweep of everything without a row, then an hourly sweep."""
    config, db = app[config_key], app[db_key]
    storage = Storage(config, app[pool_key], lambda: make_pool(config), app[space_key])
    await asyncio.to_thread(storage.layout.create)
    shutdown_at = await db.read(meta.clean_shutdown_at)
    sweeper = Sweeper(db, storage, config, shutdown_at)
    # Before the first request no upload can be in flight: every rowless file is an orphan.
    await sweeper.run(None, dry_run=False)
    app[storage_key] = storage
    app[sweeper_key] = sweeper
    task = None
    if config.sweep_interval:
        task = asyncio.create_task(_sweeper(sweeper, config.sweep_interval, config.orphan_max_age))
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.to_thread(storage.shutdown_replacements)
