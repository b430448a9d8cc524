"""Values read from the database, remembered until the database's generation moves on."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class GenerationMemo(Generic[K, V]):
    """A bounded LRU whose entries all belong to one Database.generation.

    Any write (or a commit by another process, noticed within EXTERNAL_CHANGES_CHECK) moves the
    generation on and so forgets every entry: nothing remembered can outlive a change it depends
    on. Record the generation *before* the read whose result is put, so a write that commits
    during the read makes that result stale at once.
    """

    def __init__(self, size: int):
        self.size = size
        self.generation = -1
        self._entries: OrderedDict[K, V] = OrderedDict()

    def _align(self, generation: int) -> bool:
        if generation != self.generation:
            if generation < self.generation:
                return False  # a result read before the current generation began
            self._entries.clear()
            self.generation = generation
        return True

    def get(self, key: K, generation: int) -> V | None:
        """The value remembered for key at this generation, or None."""
        if generation != self.generation and not self._align(generation):
            return None
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V, generation: int) -> None:
        """Remember value for key, read at this generation (dropped if that is already past)."""
        if not self._align(generation):
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
