"""The access log as its owner sees it: each entry with its viewer as a User."""

from __future__ import annotations

import sqlite3

from gymhub.data import access_log, users
from gymhub.schemas.privacy import AccessEntry, AccessLog
from gymhub.schemas.users import User
from gymhub.views.users import user_view


def access_page(
    conn: sqlite3.Connection, owner_id: int, limit: int, before: int | None
) -> AccessLog:
    """A page of an owner's access log, newest first, with the cursor of the next page."""
    rows = access_log.page(conn, owner_id, limit + 1, before)
    more = len(rows) > limit
    rows = rows[:limit]
    viewers: dict[int, User] = {}
    entries = []
    for row in rows:
        if row.viewer_id not in viewers:
            found = users.get_user(conn, row.viewer_id)
            assert found is not None  # the foreign key cascades an erased viewer's rows
            viewers[row.viewer_id] = user_view(found)
        entries.append(
            AccessEntry(
                id=row.id,
                viewer=viewers[row.viewer_id],
                file_id=row.file_id,
                category=row.category,
                day=row.day,
                count=row.count,
                first_at=row.first_at,
                last_at=row.last_at,
            )
        )
    return AccessLog(entries=entries, next_before=rows[-1].id if more else None)
