"""Use cases: one write transaction and its notifications each, typed outcomes, no aiohttp."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from gymhub.data.notifications import Stored

# The hub's publish: committed notifications out to their recipients' connections.
Publish = Callable[[Iterable[Stored]], object]
