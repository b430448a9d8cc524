"""A trainer's day in one statement (the dashboard), and who an announcement reaches."""

from __future__ import annotations

import sqlite3

import msgspec

from gymhub.data.users import User

# One statement for every client, whatever their number. The latest thing each client made is
# kept by triggers (migration 0009); every other figure is a correlated subquery answered from an
# index on (client, time) (0008, 0009), so the cost grows with the clients and the last week's
# rows, not with a year of history. Timestamps are all the API's "YYYY-MM-DDTHH:MM:SS.mmmZ", so
# text order is time order and substr(.., 1, 10) is the UTC day. One scan of the week answers both
# its counts: 168 hours touch at most 8 UTC days, so the days fit in the low 4 bits.
_DASHBOARD = """
WITH figures AS MATERIALIZED (
    SELECT u.id, u.username, u.role, u.disabled, u.token_version, u.display_name, u.created_at,
        u.units, u.profile_photo_id, u.photo_visibility, act.at AS last_activity_at,
        (SELECT count(DISTINCT day) + 16 * coalesce(sum(meal), 0) FROM (
            SELECT substr(eaten_at, 1, 10) AS day, 1 AS meal FROM meals
                WHERE client_id = u.id AND eaten_at >= :week_ago AND eaten_at <= :now
            UNION ALL
            SELECT substr(recorded_at, 1, 10), 0 FROM progress_entries
                WHERE client_id = u.id AND recorded_at >= :week_ago AND recorded_at <= :now
        )) AS week_packed,
        (SELECT recorded_at FROM progress_entries INDEXED BY progress_weighed
            WHERE client_id = u.id AND weight_kg IS NOT NULL
            ORDER BY recorded_at DESC, id DESC LIMIT 1) AS weighed_at,
        (SELECT weight_kg FROM progress_entries INDEXED BY progress_weighed
            WHERE client_id = u.id AND weight_kg IS NOT NULL
            ORDER BY recorded_at DESC, id DESC LIMIT 1) AS last_weight_kg,
        (SELECT count(*) FROM messages
            WHERE sender_id = u.id AND recipient_id = :trainer AND read_at IS NULL
            AND deleted_at IS NULL) AS unread_messages,
        (SELECT count(*) FROM notifications INDEXED BY notifications_unread_comments
            WHERE user_id = :trainer AND about_id = u.id AND type = 'COMMENT' AND read = 0
            AND json_extract(data, '$.comment.author_id') = u.id) AS unread_comments
    FROM assignments AS a
    JOIN users AS u ON u.id = a.client_id
    LEFT JOIN last_activity AS act ON act.user_id = u.id
    WHERE a.trainer_id = :trainer
)
SELECT f.*,
    f.last_weight_kg - (SELECT weight_kg FROM progress_entries INDEXED BY progress_weighed
        WHERE client_id = f.id AND weight_kg IS NOT NULL
        AND recorded_at <= strftime('%Y-%m-%dT%H:%M:%fZ', f.weighed_at, '-30 days')
        ORDER BY recorded_at DESC, id DESC LIMIT 1) AS weight_change_30d_kg
FROM figures AS f
ORDER BY f.last_activity_at IS NOT NULL, f.last_activity_at, f.id
"""


class ClientDay(msgspec.Struct, frozen=True, gc=False):
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
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: unpacked by position below
    rows = cursor.execute(_DASHBOARD, {"trainer": trainer_id, "now": now, "week_ago": week_ago})
    days = []
    # Unpacked by position (the SELECT above spells the order, User's fields first): by name,
    # 17 lookups a row were a third of the Python time of a 300-client dashboard.
    for *user, last_at, week, _, weight, unread_m, unread_c, change in rows:
        uid, username, role, disabled, token_version, *rest = user
        meals, logged = divmod(week, 16)
        days.append(
            ClientDay(
                User(int(uid), username, role, bool(disabled), int(token_version), *rest),
                last_at,
                meals,
                logged,
                weight,
                None if change is None else round(float(change), 2),
                int(unread_m),
                int(unread_c),
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
