"""Erasing a user: what the foreign keys do not cascade by themselves."""

from __future__ import annotations

import sqlite3

from gymhub.data.files import FILE_COLUMNS, FileRow

# Notifications in other people's lists that name the user somewhere in their data: messages
# with them, comments they wrote, files they uploaded or deleted for a client, announcements of
# their unassignment, and any File they uploaded embedded in a meal or entry (msgspec writes
# compact JSON, so `"uploaded_by":ID,` is exact); those about them as a client carry about_id.
_MENTIONS = """
DELETE FROM notifications WHERE about_id = :id
   OR (type IN ('MESSAGE', 'MESSAGE_UPDATED')
       AND :id IN (json_extract(data, '$.message.sender_id'),
                   json_extract(data, '$.message.recipient_id')))
   OR (type = 'COMMENT' AND json_extract(data, '$.comment.author_id') = :id)
   OR (type = 'FILE_UPLOADED' AND json_extract(data, '$.uploaded_by') = :id)
   OR (type = 'FILE_DELETED' AND json_extract(data, '$.deleted_by') = :id)
   OR (type = 'SYSTEM' AND json_extract(data, '$.client_id') = :id)
   OR instr(data, '"uploaded_by":' || :id || ',') > 0
"""


def owned_files(conn: sqlite3.Connection, user_id: int) -> list[FileRow]:
    """Every file the user owns."""
    rows = conn.execute(f"SELECT {FILE_COLUMNS} FROM files WHERE owner_id = ?", (user_id,))
    return [FileRow(*row) for row in rows]


def hand_uploads_to_owners(conn: sqlite3.Connection, user_id: int) -> int:
    """Files the user uploaded for someone else (a trainer for a client) stay with their owner,
    who becomes their uploader: files.uploaded_by has no ON DELETE."""
    cur = conn.execute(
        "UPDATE files SET uploaded_by = owner_id WHERE uploaded_by = ? AND owner_id != ?",
        (user_id, user_id),
    )
    return cur.rowcount


def withdraw_mentions(conn: sqlite3.Connection, user_id: int) -> int:
    """Delete other people's notifications that name the user (a scan: erasure is rare)."""
    return conn.execute(_MENTIONS, {"id": user_id}).rowcount


def delete_user(conn: sqlite3.Connection, user_id: int) -> None:
    """Delete the user row; the foreign keys take every row of theirs with it (their files,
    meals, entries, messages both ways, comments, notifications, access log, keys, codes)."""
    conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
