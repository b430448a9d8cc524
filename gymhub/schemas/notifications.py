"""Shapes of notifications, WebSocket frames, tickets and hub statistics."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from gymhub.schemas import text

NotificationId = Annotated[int, Meta(ge=0, le=2**62)]
NotificationType = Literal[
    "FILE_UPLOADED",
    "FILE_DELETED",
    "MEAL_COMPLETED",
    "MEAL_UPDATED",
    "MEAL_DELETED",
    "PROGRESS_UPDATED",
    "PROGRESS_DELETED",
    "MESSAGE",
    "MESSAGE_UPDATED",
    "COMMENT",
    "SYSTEM",
]


class Envelope(msgspec.Struct, kw_only=True):
    id: int
    type: NotificationType
    created_at: str
    read: bool
    # Stored as the JSON that was pushed; passed through without decoding it again.
    data: msgspec.Raw


class NotificationList(msgspec.Struct, kw_only=True):
    notifications: list[Envelope]
    unread: int


class ReadUpTo(msgspec.Struct):
    up_to: NotificationId


class Ticket(msgspec.Struct, kw_only=True):
    ticket: str
    expires_in: int


class HubStats(msgspec.Struct, kw_only=True):
    connections: int
    users: int
    sent: int
    dropped_slow: int
    # Round 2: bytes waiting for slow sockets now, sockets dropped for ws_buffer_bytes (also
    # in dropped_slow), handshakes refused past ws_max_per_user.
    buffered_bytes: int = 0
    dropped_budget: int = 0
    refused_too_many: int = 0


class TestNotification(msgspec.Struct, kw_only=True):
    message: Annotated[str, Meta(min_length=1, max_length=2000), text.MULTILINE] = (
        "Test notification"
    )
    title: Annotated[str, Meta(min_length=1, max_length=200), text.LINE] | None = None


class TestNotificationResult(msgspec.Struct, kw_only=True):
    notification: Envelope
    delivered_to: int


class Welcome(msgspec.Struct, kw_only=True, tag_field="type", tag="welcome"):
    user_id: int
    unread: int
    last_id: int


class Ping(msgspec.Struct, tag_field="type", tag="ping"):
    """Client frame: answered with {"type": "pong"}."""


class Ack(msgspec.Struct, tag_field="type", tag="ack"):
    """Client frame: marks the caller's notifications up to this id read."""

    up_to: NotificationId


ClientFrame = Ping | Ack
