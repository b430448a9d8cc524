"""The per-recipient notification log: written in the event's transaction, pushed after commit."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from gymhub.data.db import utcnow

TYPES = frozenset(
    {"FILE_UPLOADED", "FILE_DELETED", "MEAL_COMPLETED", "PROGRESS_UPDATED", "MESSAGE", "SYSTEM"}
)


@dataclass(frozen=True)
class Stored:
    """One stored notification of one recipient, ready to push."""

    id: int
    user_id: int
    type: str
    created_at: str
    data: dict[str, Any]
    read: bool = False

    def envelope(self) -> dict[str, Any]:
        """The API's envelope: {"id", "type", "created_at", "read", "data"}."""
        return {
            "id": self.id,
            "type": self.type,
            "created_at": self.created_at,
            "read": self.read,
            "data": self.data,
        }


def insert(conn: sqlite3.Connection, items: Iterable[tuple[int, str, Any]]) -> list[Stored]:
    """Store (recipient id, type, data) notifications inside the caller's write transaction.

    `data` may be a dict or a msgspec Struct; it is stored as JSON exactly as it will be sent.
    """
    now = utcnow()
    stored: list[Stored] = []
    for user_id, kind, data in items:
        if kind not in TYPES:
            raise ValueError(f"unknown notification type {kind}")
        payload = msgspec.json.encode(data)
        cur = conn.execute(
            "INSERT INTO notifications (user_id, type, data, created_at) VALUES (?, ?, ?, ?)",
            (user_id, kind, payload.decode(), now),
        )
        stored.append(
            Stored(int(cur.lastrowid or 0), user_id, kind, now, msgspec.json.decode(payload))
        )
    return stored
