"""Failed-login limits within a sliding window, in memory: per (username, address), and per
address whatever the username (random usernames would otherwise each get a fresh allowance)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

MAX_KEYS = 50_000
K = TypeVar("K", bound=Hashable)


class _Window(Generic[K]):
    """Failure times per key within the window, at most `limit` counted per key."""

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self._failures: dict[K, deque[float]] = {}

    def _recent(self, key: K, now: float) -> deque[float]:
        stamps = self._failures.get(key)
        if stamps is None:
            return deque()
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
        return stamps

    def retry_after(self, key: K, now: float) -> int:
        stamps = self._recent(key, now)
        if len(stamps) < self.limit:
            return 0
        return max(1, math.ceil(stamps[-self.limit] + self.window - now))

    def failed(self, key: K, now: float) -> None:
        if len(self._failures) >= MAX_KEYS:
            self._prune(now)
        stamps = self._recent(key, now)
        if not stamps:
            stamps = self._failures[key] = deque()
        stamps.append(now)
        # Only the newest `limit` decide when the key may try again.
        while len(stamps) > self.limit:
            stamps.popleft()

    def clear(self, key: K) -> None:
        self._failures.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        # Under a flood of distinct keys, drop the oldest rather than grow without bound.
        while len(self._failures) >= MAX_KEYS:
            self._failures.pop(next(iter(self._failures)))


class LoginLimiter:
    """Allows `max_failures` failures per username and address, and `max_per_address` per
    address, within `window` seconds; then refuses until one ages out.

    `clock` (monotonic seconds) is injectable so that tests move time instead of sleeping.
    """

    def __init__(
        self,
        max_failures: int,
        window: float,
        max_per_address: int = 50,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.clock = clock
        self._pairs: _Window[tuple[str, str]] = _Window(max_failures, window)
        self._addresses: _Window[str] = _Window(max_per_address, window)

    def retry_after(self, username: str, address: str) -> int:
        """Seconds until another attempt is allowed; 0 when it is allowed now."""
        now = self.clock()
        return max(
            self._pairs.retry_after((username.lower(), address), now),
            self._addresses.retry_after(address, now),
        )

    def failed(self, username: str, address: str) -> None:
        """Record one failed attempt."""
        now = self.clock()
        self._pairs.failed((username.lower(), address), now)
        self._addresses.failed(address, now)

    def succeeded(self, username: str, address: str) -> None:
        """A good login clears its username's failures; the address's stay, or one valid
        account would reset an address's guessing of all the others."""
        self._pairs.clear((username.lower(), address))
