"""Shapes of the privacy endpoints: the access log and erasing one's own account."""

from __future__ import annotations

import msgspec

from gymhub.schemas.users import Password, User


class AccessEntry(msgspec.Struct, kw_only=True):
    """Views of one file by one viewer on one UTC day."""

    id: int
    viewer: User
    file_id: str
    category: str
    day: str
    count: int
    first_at: str
    last_at: str


class AccessLog(msgspec.Struct, kw_only=True):
    entries: list[AccessEntry]
    next_before: int | None


class EraseMe(msgspec.Struct, kw_only=True):
    """DELETE /api/me: the caller's password, so a left-open session cannot erase the account."""

    current_password: Password
