"""Feedback on a meal, a progress entry or a photo: the comment and COMMENT in one write."""

from __future__ import annotations

import sqlite3

from gymhub.auth import policy
from gymhub.auth.policy import Viewer
from gymhub.data import comments, users
from gymhub.data.db import Database
from gymhub.data.notifications import Stored
from gymhub.realtime.events import address
from gymhub.schemas.feedback import Comment
from gymhub.services import Publish, write_and_publish
from gymhub.views.comments import comment_view


def comment_recipients(conn: sqlite3.Connection, row: comments.Comment) -> list[int]:
    """The target's client, the client's trainers and the author (like MESSAGE's sender), each
    only while they may see the target (a private photo is its owner's alone)."""
    candidates = [row.client_id, *users.trainer_ids_of(conn, row.client_id), row.author_id]
    recipients = []
    for user_id in dict.fromkeys(candidates):
        user = users.get_user(conn, user_id)
        if user is None:
            continue
        who = Viewer(id=user.id, role=user.role, username=user.username)
        if policy.sees_comment_target(conn, who, row):
            recipients.append(user_id)
    return recipients


async def add_comment(
    db: Database, publish: Publish, viewer: Viewer, target: str, target_id: int | str, body: str
) -> Comment:
    """Store the viewer's comment on a target they may see (else 404) and tell the client,
    the client's trainers and the author."""

    def add(conn: sqlite3.Connection) -> tuple[Comment, list[Stored]]:
        client_id = policy.comment_target(conn, viewer, target, target_id)
        row = comments.insert(conn, viewer.id, client_id, target, str(target_id), body)
        comment = comment_view(row)
        stored = address(
            conn,
            "COMMENT",
            comment_recipients(conn, row),
            lambda _: {"comment": comment},
            about=client_id,
        )
        return comment, stored

    return await write_and_publish(db, publish, add)


async def list_comments(
    db: Database, viewer: Viewer, target: str, target_id: int | str
) -> list[Comment]:
    """The comments on a target the viewer may see (else 404), oldest first."""

    def load(conn: sqlite3.Connection) -> list[Comment]:
        policy.comment_target(conn, viewer, target, target_id)
        return [comment_view(r) for r in comments.list_for(conn, target, str(target_id))]

    return await db.read(load)


async def delete_comment(db: Database, viewer: Viewer, comment_id: int) -> None:
    """Delete a comment for its author or an admin (403 for others who see it, else 404)."""

    def drop(conn: sqlite3.Connection) -> None:
        policy.delete_comment(conn, viewer, comments.get(conn, comment_id))
        comments.delete(conn, comment_id)

    await db.write(drop)
