"""Failed-login limit per (username, address) within a sliding window, in memory."""

from __future__ import annotations

import time
from collections import deque

MAX_KEYS = 50_000


class LoginLimiter:
    """Allows `max_failures` failures per key and window, then refuses until one ages out."""

    def __init__(self, max_failures: int, window: float):
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        stamps = self._failures.get(key)
        if stamps is None:
            return deque()
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
        return stamps

    def retry_after(self, username: str, address: str) -> int:
        """Seconds until another attempt is allowed; 0 when it is allowed now."""
        now = time.monotonic()
        stamps = self._recent((username.lower(), address), now)
        if len(stamps) < self.max_failures:
            return 0
        return int(stamps[0] + self.window - now) + 1

    def failed(self, username: str, address: str) -> None:
        """Record one failed attempt."""
        now = time.monotonic()
        if len(self._failures) >= MAX_KEYS:
            self._prune(now)
        key = (username.lower(), address)
        self._recent(key, now)
        self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str, address: str) -> None:
        """A good login clears the key's failures."""
        self._failures.pop((username.lower(), address), None)

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        # Under a flood of distinct keys, drop the oldest rather than grow without bound.
        while len(self._failures) >= MAX_KEYS:
            self._failures.pop(next(iter(self._failures)))
