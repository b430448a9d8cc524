"""Sending, reading, editing and deleting messages between related users."""

from __future__ import annotations

import datetime as dt
import sqlite3

from gymhub.auth import policy
from gymhub.auth.policy import Viewer
from gymhub.data import messages, notifications
from gymhub.data.db import Database
from gymhub.data.notifications import Stored
from gymhub.realtime.events import address
from gymhub.schemas.coaching import ChatMessage
from gymhub.services import Publish, write_and_publish
from gymhub.views.messages import message_view


async def send_message(
    db: Database, publish: Publish, viewer: Viewer, recipient_id: int, body: str
) -> ChatMessage:
    """Store a message to someone the viewer may write to (else 404) and tell both parties."""

    def send(conn: sqlite3.Connection) -> tuple[ChatMessage, list[Stored]]:
        policy.message_peer(conn, viewer, recipient_id)
        message = message_view(messages.insert(conn, viewer.id, recipient_id, body))
        stored = address(conn, "MESSAGE", [recipient_id, viewer.id], lambda _: {"message": message})
        return message, stored

    return await write_and_publish(db, publish, send)


async def mark_read(db: Database, viewer: Viewer, message_id: int) -> None:
    """Mark a message the viewer received read; idempotent, 404 for anyone else's."""

    def mark(conn: sqlite3.Connection) -> None:
        policy.mark_message_read(viewer, messages.get(conn, message_id))
        messages.mark_read(conn, message_id)

    await db.write(mark)


def _restated(conn: sqlite3.Connection, row: messages.Message) -> tuple[ChatMessage, list[Stored]]:
    """The message as it now reads, put into both parties' stored notifications of it and told
    as MESSAGE_UPDATED, so no list or replay keeps text that was edited or deleted away."""
    message = message_view(row)
    parties = [row.recipient_id, row.sender_id]
    notifications.restate_message(conn, row.id, parties, message)
    stored = address(conn, "MESSAGE_UPDATED", parties, lambda _: {"message": message})
    return message, stored


async def edit_message(
    db: Database, publish: Publish, viewer: Viewer, message_id: int, body: str
) -> ChatMessage:
    """The sender's edit within 24 hours (403 after, or for the recipient; 404 for others)."""

    def edit(conn: sqlite3.Connection) -> tuple[ChatMessage, list[Stored]]:
        now = dt.datetime.now(dt.UTC)
        policy.change_message(viewer, messages.get(conn, message_id), False, now)
        return _restated(conn, messages.edit(conn, message_id, body))

    return await write_and_publish(db, publish, edit)


async def delete_message(db: Database, publish: Publish, viewer: Viewer, message_id: int) -> None:
    """The sender deletes a message: it reads as deleted for both sides from now on; deleting
    it again changes nothing and tells nobody."""

    def drop(conn: sqlite3.Connection) -> tuple[None, list[Stored]]:
        now = dt.datetime.now(dt.UTC)
        row = policy.change_message(viewer, messages.get(conn, message_id), True, now)
        if row.deleted_at is not None:
            return None, []
        return None, _restated(conn, messages.erase(conn, message_id))[1]

    await write_and_publish(db, publish, drop)
