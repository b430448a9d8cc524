"""Deleting a client's meal or progress entry: one use case for both, told apart by a Kind."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from gymhub.auth import policy
from gymhub.auth.policy import Viewer
from gymhub.data import notifications
from gymhub.data.db import Database
from gymhub.data.notifications import Stored
from gymhub.errors import NotFound
from gymhub.realtime.events import client_and_trainers
from gymhub.services import Publish
from gymhub.services.uploads import Taken, remove_taken, take_linked
from gymhub.storage.store import Storage


class ClientRecord(Protocol):
    @property
    def client_id(self) -> int: ...


@dataclass(frozen=True)
class Kind:
    """What tells a meal's deletion from an entry's: its table's functions, link column,
    notification and the names in it."""

    get: Callable[[sqlite3.Connection, int], ClientRecord | None]
    delete: Callable[[sqlite3.Connection, int], None]
    link: str
    event: str
    id_field: str
    missing: str


async def delete_record(
    db: Database, storage: Storage, publish: Publish, viewer: Viewer, kind: Kind, record_id: int
) -> None:
    """Delete a record with its photos (rows, then bytes) for its client or an admin, and tell
    the client and their trainers (FILE_DELETED per photo, then kind.event)."""

    def drop(conn: sqlite3.Connection) -> tuple[Taken, list[Stored]]:
        row = kind.get(conn, record_id)
        if row is None:
            raise NotFound(kind.missing)
        policy.correct_record(conn, viewer, row.client_id, True, kind.missing)
        taken, items = take_linked(conn, kind.link, record_id, viewer.id)
        kind.delete(conn, record_id)
        data = {kind.id_field: record_id, "client_id": row.client_id}
        items += [(who, kind.event, data) for who in client_and_trainers(conn, row.client_id)]
        return taken, notifications.insert(conn, items, about=row.client_id)

    taken, stored = await db.write(drop)
    await remove_taken(storage, taken)
    publish(stored)
