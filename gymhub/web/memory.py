"""Give memory back to the system after a crowd of connections has gone.

Thousands of connections (an attack, or a reconnect storm) cost ~20 KiB each in parsers,
transports and write buffers. When they close, Python frees the objects but glibc keeps the
freed pages in its heaps: the audit saw RSS stay at 1.6 GB after 1,500 stalled sockets were
dropped. After the number of open connections falls far below its recent peak, `malloc_trim(0)`
(which returns every free page, not just the heap's top) brings RSS back towards where it
started (bench/abuse.py: 310 MiB to ~130 MiB after 12,000 connections). It runs only after such a
fall, at most once per interval.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable

from gymhub.web.connections import Guard

log = logging.getLogger("gymhub.connections")

CHECK_INTERVAL = 5.0
# Connections that must have closed since the peak before a trim is worth its few milliseconds.
FALL = 1000


def _malloc_trim() -> Callable[[], object] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)  # glibc only
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


async def release_after_falls(guard: Guard, interval: float = CHECK_INTERVAL) -> None:
    """Forever: when open connections fell by FALL since their peak, collect and trim."""
    trim = _malloc_trim()
    while True:
        await asyncio.sleep(interval)
        if guard.peak - guard.open < FALL:
            continue
        fell_from, guard.peak = guard.peak, guard.open
        if trim is None:
            continue
        started = time.perf_counter()
        # In a thread: the trim walks the heaps for tens of milliseconds. No gc.collect():
        # a full collection over a large heap held the loop for 180 ms in bench/abuse.py, and
        # the connections' objects go by reference counting anyway.
        await asyncio.to_thread(trim)
        log.info(
            "gave memory back after connections fell from %d to %d (malloc_trim %.0f ms)",
            fell_from,
            guard.open,
            (time.perf_counter() - started) * 1000,
        )
