"""Chat messages as the API shows them."""

from __future__ import annotations

from gymhub.data.messages import Message
from gymhub.schemas.coaching import ChatMessage


def message_view(row: Message) -> ChatMessage:
    """A messages row as the API's Message; a deleted one has no body, for either side."""
    return ChatMessage(
        id=row.id,
        sender_id=row.sender_id,
        recipient_id=row.recipient_id,
        body=None if row.deleted_at is not None else row.body,
        created_at=row.created_at,
        read_at=row.read_at,
        edited_at=row.edited_at,
        deleted_at=row.deleted_at,
    )
