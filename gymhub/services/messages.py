"""Sending and reading messages between related users."""

from __future__ import annotations

import sqlite3

from gymhub.auth import policy
from gymhub.auth.policy import Viewer
from gymhub.data import messages
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
