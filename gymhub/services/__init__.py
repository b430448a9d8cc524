"""Use cases: one write transaction and its notifications each, typed outcomes, no aiohttp."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import TypeVar

from gymhub.data.db import Database
from gymhub.data.notifications import Stored
from gymhub.services.idempotency import guarded_write

T = TypeVar("T")
CREATED = 201
# The hub's publish: committed notifications out to their recipients' connections.
Publish = Callable[[Iterable[Stored]], object]


async def write_and_publish(
    db: Database,
    publish: Publish,
    write: Callable[[sqlite3.Connection], tuple[T, list[Stored]]],
) -> T:
    """Run write in one transaction and publish the notifications it stored; only after the
    commit, so no socket hears of a row that a rollback took back.

    In a request with an Idempotency-Key the result is its 201 answer, stored in the same
    transaction (or the first answer is replayed and nothing is written)."""
    result, stored = await guarded_write(db, write, lambda out: (CREATED, out[0]))
    publish(stored)
    return result
