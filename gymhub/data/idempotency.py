"""Queries on idempotency_keys: the first answer to each (user, Idempotency-Key)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

# Expired keys removed by each write that stores one: more than it adds, so the table stays
# bounded by a day of keyed writes without a chore of its own.
PRUNE_BATCH = 20


@dataclass(frozen=True, slots=True)
class KeyRow:
    """A remembered answer: the request's fingerprint, status and body bytes, and when."""

    fingerprint: str
    status: int
    body: bytes
    created_at: str


def get(conn: sqlite3.Connection, user_id: int, key: str) -> KeyRow | None:
    """The answer remembered for this user's key, expired or not, or None."""
    row = conn.execute(
        "SELECT fingerprint, status, body, created_at FROM idempotency_keys"
        " WHERE user_id = ? AND key = ?",
        (user_id, key),
    ).fetchone()
    return None if row is None else KeyRow(row[0], int(row[1]), bytes(row[2]), row[3])


def put(
    conn: sqlite3.Connection,
    user_id: int,
    key: str,
    answer: KeyRow,
    expired_before: str,
) -> None:
    """Remember an answer (replacing an expired one of the same key) and prune a batch of
    expired keys, in the caller's write transaction."""
    conn.execute(
        "DELETE FROM idempotency_keys WHERE (user_id, key) IN (SELECT user_id, key"
        " FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)",
        (expired_before, PRUNE_BATCH),
    )
    conn.execute(
        "DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND created_at < ?",
        (user_id, key, expired_before),
    )
    conn.execute(
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, status, body, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (user_id, key, answer.fingerprint, answer.status, answer.body, answer.created_at),
    )


def prune(conn: sqlite3.Connection, expired_before: str) -> int:
    """Delete every key remembered before expired_before; how many."""
    cur = conn.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (expired_before,))
    return cur.rowcount
