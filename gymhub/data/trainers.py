"""A trainer's day in one statement (the dashboard), and who an announcement reaches."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from gymhub.data.users import User, _prefixed, _user

# One statement for every client, whatever their number: each figure is a correlated subquery
# answered from an index on (client, time) (migration 0008), so the cost grows with the clients
# and the last week's rows, not with a year of history. Timestamps are all the API's
# "YYYY-MM-DDTHH:MM:SS.mmmZ", so text order is time order and substr(.., 1, 10) is the UTC day.
_CLIENT_COLUMNS = _prefixed("u")
_DASHBOARD = f"""
WITH mine AS (
    SELECT {_CLIENT_COLUMNS}
    FROM assignments AS a JOIN users AS u ON u.id = a.client_id
    WHERE a.trainer_id = :trainer
),
figures AS MATERIALIZED (
    SELECT c.*,
        nullif(max(
            coalesce((SELECT max(created_at) FROM meals WHERE client_id = c.id), ''),
            coalesce((SELECT max(created_at) FROM progress_entries WHERE client_id = c.id), ''),
            coalesce((SELECT max(created_at) FROM files WHERE uploaded_by = c.id), ''),
            coalesce((SELECT max(created_at) FROM messages WHERE sender_id = c.id), ''),
            coalesce((SELECT max(created_at) FROM comments WHERE author_id = c.id), '')
        ), '') AS last_activity_at,
        (SELECT count(*) FROM meals
            WHERE client_id = c.id AND eaten_at >= :week_ago AND eaten_at <= :now) AS meals_7d,
        (SELECT count(DISTINCT day) FROM (
            SELECT substr(eaten_at, 1, 10) AS day FROM meals
                WHERE client_id = c.id AND eaten_at >= :week_ago AND eaten_at <= :now
            UNION ALL
            SELECT substr(recorded_at, 1, 10) FROM progress_entries
                WHERE client_id = c.id AND recorded_at >= :week_ago AND recorded_at <= :now
        )) AS days_logged_7d,
        (SELECT recorded_at FROM progress_entries
            WHERE client_id = c.id AND weight_kg IS NOT NULL
            ORDER BY recorded_at DESC, id DESC LIMIT 1) AS weighed_at,
        (SELECT count(*) FROM messages
            WHERE sender_id = c.id AND recipient_id = :trainer AND read_at IS NULL
            AND deleted_at IS NULL) AS unread_messages,
        (SELECT count(*) FROM notifications
            WHERE about_id = c.id AND user_id = :trainer AND type = 'COMMENT' AND read = 0
            AND json_extract(data, '$.comment.author_id') = c.id) AS unread_comments
    FROM mine AS c
),
weighed AS MATERIALIZED (
    SELECT f.*,
        (SELECT weight_kg FROM progress_entries
            WHERE client_id = f.id AND weight_kg IS NOT NULL AND recorded_at = f.weighed_at
            ORDER BY id DESC LIMIT 1) AS last_weight_kg
    FROM figures AS f
)
SELECT f.*,
    f.last_weight_kg - (SELECT weight_kg FROM progress_entries
        WHERE client_id = f.id AND weight_kg IS NOT NULL
        AND recorded_at <= strftime('%Y-%m-%dT%H:%M:%fZ', f.weighed_at, '-30 days')
        ORDER BY recorded_at DESC, id DESC LIMIT 1) AS weight_change_30d_kg
FROM weighed AS f
ORDER BY f.last_activity_at IS NOT NULL, f.last_activity_at, f.id
"""


@dataclass(frozen=True, slots=True)
class ClientDay:
    """One row of a trainer's dashboard (weights in kg, times the API's timestamps)."""

    user: User
    last_activity_at: str | None
    meals_7d: int
    days_logged_7d: int
    last_weight_kg: float | None
    weight_change_30d_kg: float | None
    unread_messages: int
    unread_comments: int


def dashboard(
    conn: sqlite3.Connection, trainer_id: int, now: str, week_ago: str
) -> list[ClientDay]:
    """Every client assigned to the trainer, least active first (never active first of all),
    in one statement; `now` and `week_ago` bound the 7-day counts."""
    rows = conn.execute(_DASHBOARD, {"trainer": trainer_id, "now": now, "week_ago": week_ago})
    days = []
    for r in rows:
        change = r["weight_change_30d_kg"]
        days.append(
            ClientDay(
                user=_user(r),
                last_activity_at=r["last_activity_at"],
                meals_7d=int(r["meals_7d"]),
                days_logged_7d=int(r["days_logged_7d"]),
                last_weight_kg=r["last_weight_kg"],
                weight_change_30d_kg=None if change is None else round(float(change), 2),
                unread_messages=int(r["unread_messages"]),
                unread_comments=int(r["unread_comments"]),
            )
        )
    return days


_ROLES = {"all": ("admin", "trainer", "client"), "trainers": ("trainer",), "clients": ("client",)}


def audience_ids(conn: sqlite3.Connection, audience: str, sender_id: int) -> list[int]:
    """The active (not disabled) users an announcement reaches, never its sender: everyone,
    the trainers, the clients, or the sender's own assigned clients (my_clients)."""
    if audience == "my_clients":
        rows = conn.execute(
            "SELECT u.id FROM assignments AS a JOIN users AS u ON u.id = a.client_id"
            " WHERE a.trainer_id = ? AND u.disabled = 0 AND u.id != ? ORDER BY u.id",
            (sender_id, sender_id),
        )
    else:
        wanted = _ROLES[audience]
        marks = ",".join("?" * len(wanted))
        rows = conn.execute(
            f"SELECT id FROM users WHERE role IN ({marks}) AND disabled = 0 AND id != ?"
            " ORDER BY id",
            (*wanted, sender_id),
        )
    return [int(r[0]) for r in rows]
