"""A bounded in-memory LRU of small media files (uuid names never change: nothing goes stale)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

# Only small files are worth RAM: FileResponse's two thread hops dominate below this size.
MAX_ENTRY_BYTES = 256 * 1024


@dataclass(frozen=True)
class Cached:
    """The bytes of one media file and the validators its responses carry."""

    body: bytes
    etag: str
    mtime: float
    # The HTTP date of mtime, formatted once rather than on every response.
    last_modified: str


class MediaCache:
    """Least-recently-used bytes of small files, bounded by total size."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.used = 0
        self._entries: OrderedDict[str, Cached] = OrderedDict()

    def get(self, key: str) -> Cached | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: Cached) -> None:
        """Keep entry unless it is too big for the cache; evict the oldest to make room."""
        size = len(entry.body)
        if size > MAX_ENTRY_BYTES or size > self.capacity:
            return
        self.discard(key)
        self._entries[key] = entry
        self.used += size
        while self.used > self.capacity:
            _, old = self._entries.popitem(last=False)
            self.used -= len(old.body)

    def discard(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.used -= len(old.body)

    def discard_file(self, file_id: str) -> None:
        """Forget every entry of a file (its variants), on delete."""
        for key in [k for k in self._entries if k.startswith(file_id)]:
            self.discard(key)

    def __len__(self) -> int:
        return len(self._entries)
