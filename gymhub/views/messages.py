"""Chat messages as the API shows them."""

from __future__ import annotations

from gymhub.data.messages import Message
from gymhub.schemas.coaching import ChatMessage


def message_view(row: Message) -> ChatMessage:
    """A messages row as the API's Message."""
    return ChatMessage(
        id=row.id,
        sender_id=row.sender_id,
        recipient_id=row.recipient_id,
        body=row.body,
        created_at=row.created_at,
        read_at=row.read_at,
    )
