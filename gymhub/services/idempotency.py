"""Idempotent writes: the first answer to a (user, Idempotency-Key) is stored in the write
transaction that made its rows, and every later request with that key gets it back.

The HTTP adapter (web/idempotency.py) reads the key and the request's fingerprint into a
`Once` and makes it current for the handler; the write that creates the rows asks `current()`
and runs its transaction through `guard`, which replays (raises `Replayed`) when the key was
answered meanwhile, and otherwise stores the answer before the commit. Two requests with the
same key at once therefore serialise on the one write connection: the second finds the first's
answer in its own transaction, and nothing of its own is kept.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from gymhub.data import idempotency
from gymhub.data.db import Database, utcnow
from gymhub.errors import Conflict

T = TypeVar("T")
TTL = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Answer:
    """A remembered response: its status and the exact body bytes."""

    status: int
    body: bytes


class Replayed(Exception):
    """The key was answered before: this is that answer, and nothing new was kept."""

    def __init__(self, answer: Answer):
        super().__init__(answer.status)
        self.answer = answer


@dataclass
class Once:
    """One keyed request: who, the key, what it asked (fingerprint, None until the body is
    read), and its answer once a committed transaction stored it."""

    user_id: int
    key: str
    fingerprint: str | None = None
    stored: Answer | None = None


_current: ContextVar[Once | None] = ContextVar("gymhub_idempotency", default=None)


def current() -> Once | None:
    """The keyed request being handled whose answer is not stored yet, or None."""
    once = _current.get()
    return once if once is not None and once.stored is None else None


def enter(once: Once) -> Token[Once | None]:
    """Make once current for the rest of this request (undo with `leave`)."""
    return _current.set(once)


def leave(token: Token[Once | None]) -> None:
    _current.reset(token)


def expired_before() -> str:
    """Timestamps before this are of expired keys (the API's format compares as text)."""
    cutoff = dt.datetime.now(dt.UTC) - TTL
    return cutoff.strftime("%Y-%m-%dT%H:%M:%S.") + f"{cutoff.microsecond // 1000:03d}Z"


def prior(conn: sqlite3.Connection, once: Once) -> Answer | None:
    """The answer already given to this key within 24 hours; 409 when it was for other content."""
    row = idempotency.get(conn, once.user_id, once.key)
    if row is None or row.created_at < expired_before():
        return None
    if row.fingerprint != once.fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used for a different request; "
            "use a new key for new content."
        )
    return Answer(row.status, row.body)


def remember(conn: sqlite3.Connection, once: Once, answer: Answer) -> None:
    """Store the answer under the key, in the caller's write transaction."""
    if once.fingerprint is None:
        raise RuntimeError("an idempotent request's answer stored before its body was read")
    row = idempotency.KeyRow(once.fingerprint, answer.status, answer.body, utcnow())
    idempotency.put(conn, once.user_id, once.key, row, expired_before())


# What a write's result answers: the status and the shape the handler encodes as the body.
Answering = Callable[[T], tuple[int, Any]]


def guard(
    conn: sqlite3.Connection,
    once: Once | None,
    write: Callable[[sqlite3.Connection], T],
    answer: Answering[T],
) -> tuple[T, Answer | None]:
    """Run write in the caller's transaction; with a key, replay instead when it was answered
    meanwhile, else store answer(result) before the commit. The result and what was stored."""
    if once is None:
        return write(conn), None
    found = prior(conn, once)
    if found is not None:
        raise Replayed(found)
    result = write(conn)
    status, shape = answer(result)
    stored = Answer(status, msgspec.json.encode(shape))
    remember(conn, once, stored)
    return result, stored


async def guarded_write(
    db: Database, write: Callable[[sqlite3.Connection], T], answer: Answering[T]
) -> T:
    """db.write(write), keyed by the current request's Once if there is one (see `guard`).

    The one line a use case needs: its creating transaction goes through here."""
    once = current()
    result, stored = await db.write(lambda conn: guard(conn, once, write, answer))
    if once is not None:
        once.stored = stored
    return result


def settle(conn: sqlite3.Connection, once: Once, answer: Answer) -> Answer:
    """For an answer no transaction stored (nothing was created, e.g. a duplicate upload): the
    answer stored meanwhile under the key, else this one, now stored."""
    found = prior(conn, once)
    if found is not None:
        return found
    remember(conn, once, answer)
    return answer
