"""argon2id hashing with the configured parameters, on threads of its own.

A login costs a whole argon2 hash (~0.16 s of CPU at the defaults). In the default thread pool
that file reads, writes and placement share, a flood of logins queued every upload and media
fetch behind it; here hashing has `hash_workers` threads and at most `hash_queue` waiting, and
past that a caller gets 503 `busy` at once instead of a place in an unbounded queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gymhub.config import Config
from gymhub.errors import Busy

T = TypeVar("T")
# The password verified when the username is unknown, so a wrong name costs a wrong password.
_DUMMY_PASSWORD = "gymhub-timing-equaliser"


def hasher_for(config: Config) -> PasswordHasher:
    """argon2-cffi's hasher with the configured cost (the CLI hashes with it synchronously)."""
    return PasswordHasher(
        time_cost=config.argon2_time_cost,
        memory_cost=config.argon2_memory_kib,
        parallelism=config.argon2_parallelism,
    )


def hash_sync(config: Config, password: str) -> str:
    """argon2id hash of a password with the configured cost (blocking; for the CLI and demo)."""
    return hasher_for(config).hash(password)


class Hashing:
    """Password hashing and checking on a bounded executor of its own.

    `workers` threads run hashes; at most `queue` more wait. A caller past that gets `Busy`
    (503 with Retry-After), so a flood costs the flooder, not the other requests.
    """

    def __init__(self, config: Config):
        self._hasher = hasher_for(config)
        self._workers = max(1, config.hash_workers)
        self._limit = self._workers + config.hash_queue
        self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="gymhub-hash")
        self._pending = 0
        # Made with the same parameters, so an unknown name costs what a known one does.
        self._dummy = self._hasher.hash(_DUMMY_PASSWORD)
        # A rough time one hash takes, for Retry-After; refreshed as hashes complete.
        self._seconds = 0.2

    @property
    def pending(self) -> int:
        """Hashes running or waiting."""
        return self._pending

    def _retry_after(self) -> int:
        return max(1, math.ceil(self._pending * self._seconds / self._workers))

    async def _run(self, fn: Callable[[], T]) -> T:
        if self._pending >= self._limit:
            raise Busy(self._retry_after(), "Too many password checks at once; try again soon.")
        loop = asyncio.get_running_loop()
        started = loop.time()
        work = self._executor.submit(fn)
        self._pending += 1

        def finished() -> None:
            self._pending -= 1
            self._seconds = 0.8 * self._seconds + 0.2 * (loop.time() - started)

        def settled(_: Future[T]) -> None:
            # Counted until the thread is done with it, not until its caller stops waiting: a
            # caller that goes away must not free a place while its hash still runs.
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody counts any more
                loop.call_soon_threadsafe(finished)

        work.add_done_callback(settled)
        return await asyncio.wrap_future(work)

    async def hash(self, password: str) -> str:
        """argon2id hash of a password (Busy when hashing is saturated)."""
        return await self._run(lambda: self._hasher.hash(password))

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def verify(self, stored: str | None, password: str) -> bool:
        """Check a password against a stored hash, or a dummy when there is none (Busy when
        hashing is saturated)."""
        return await self._run(lambda: self._verify(stored, password))

    def close(self) -> None:
        """Let running hashes finish and stop the threads."""
        self._executor.shutdown(wait=True, cancel_futures=True)
