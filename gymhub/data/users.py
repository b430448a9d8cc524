"""Queries on users and trainer assignments.

Write helpers take a sqlite3 connection and run inside `Database.write`; read helpers take one too
and run inside `Database.read`, so a handler can combine several into one round trip.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from gymhub.data.db import Row, utcnow

USER_COLUMNS = (
    "id, username, display_name, role, disabled, created_at, token_version,"
    " units, profile_photo_id, photo_visibility"
)
# The schema's CHECK on users.role; schemas/users.py spells it too, as it may not import data/.
Role = Literal["admin", "trainer", "client"]
# The schema's CHECKs on users.units and users.photo_visibility (spelt in schemas/users.py too).
Units = Literal["metric", "imperial"]
PhotoVisibility = Literal["trainers", "private"]


# Account and User are msgspec Structs rather than dataclasses: one is built for every request
# (the media fast path's included) and a dashboard builds 300, and a frozen dataclass's __init__
# costs a setattr call per field (measured: 3x the Struct's). gc=False: they hold scalars only.
class Account(msgspec.Struct, frozen=True, gc=False):
    """What deciding who is signed in needs; a query joining users to something else (the media
    fast path) reads only these columns."""

    id: int
    username: str
    role: Role
    disabled: bool
    token_version: int


class User(Account, frozen=True, gc=False):
    """A users row."""

    display_name: str
    created_at: str
    units: Units = "metric"
    profile_photo_id: str | None = None
    photo_visibility: PhotoVisibility = "trainers"


@dataclass(frozen=True, slots=True)
class Login:
    """A user with the stored argon2 hash, for checking a password."""

    user: User
    password_hash: str


def _user(row: Row) -> User:
    return User(
        int(row["id"]),
        row["username"],
        row["role"],
        bool(row["disabled"]),
        int(row["token_version"]),
        row["display_name"],
        row["created_at"],
        row["units"],
        row["profile_photo_id"],
        row["photo_visibility"],
    )


class DuplicateUsername(Exception):
    """The username is taken (usernames compare without case)."""


def insert_user(
    conn: sqlite3.Connection,
    username: str,
    role: str,
    password_hash: str,
    display_name: str | None = None,
) -> User:
    """Create a user and return its row."""
    try:
        cur = conn.execute(
            "INSERT INTO users (username, display_name, role, password_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (username, display_name or username, role, password_hash, utcnow()),
        )
    except sqlite3.IntegrityError as exc:
        if "UNIQUE" in str(exc):
            raise DuplicateUsername(username) from None
        raise
    row = get_user(conn, int(cur.lastrowid or 0))
    assert row is not None
    return row


def get_user(conn: sqlite3.Connection, user_id: int) -> User | None:
    """The user with this id, or None."""
    row = conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
    return None if row is None else _user(row)


def get_login(conn: sqlite3.Connection, username: str) -> Login | None:
    """The user with its password hash, by case-insensitive username."""
    row = conn.execute(
        f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?", (username,)
    ).fetchone()
    return None if row is None else Login(_user(row), row["password_hash"])


def password_hash(conn: sqlite3.Connection, user_id: int) -> str | None:
    """The stored argon2 hash of a user."""
    row = conn.execute("SELECT password_hash FROM users WHERE id = ?", (user_id,)).fetchone()
    return None if row is None else str(row[0])


def list_all(conn: sqlite3.Connection) -> list[User]:
    """Every user, oldest first."""
    return [_user(r) for r in conn.execute(f"SELECT {USER_COLUMNS} FROM users ORDER BY id")]


def clients_of(conn: sqlite3.Connection, trainer_id: int) -> list[User]:
    """The clients currently assigned to a trainer."""
    rows = conn.execute(
        f"SELECT {_prefixed('u')} FROM assignments a JOIN users u ON u.id = a.client_id"
        " WHERE a.trainer_id = ? ORDER BY u.id",
        (trainer_id,),
    )
    return [_user(r) for r in rows]


def trainers_of(conn: sqlite3.Connection, client_id: int) -> list[User]:
    """The trainers currently assigned to a client."""
    rows = conn.execute(
        f"SELECT {_prefixed('u')} FROM assignments a JOIN users u ON u.id = a.trainer_id"
        " WHERE a.client_id = ? ORDER BY u.id",
        (client_id,),
    )
    return [_user(r) for r in rows]


def trainer_ids_of(conn: sqlite3.Connection, client_id: int) -> list[int]:
    """Ids of the trainers assigned to a client now (read when a notification is addressed)."""
    rows = conn.execute("SELECT trainer_id FROM assignments WHERE client_id = ?", (client_id,))
    return [int(r[0]) for r in rows]


def is_assigned(conn: sqlite3.Connection, trainer_id: int, client_id: int) -> bool:
    """Whether the trainer is assigned to the client right now."""
    row = conn.execute(
        "SELECT 1 FROM assignments WHERE trainer_id = ? AND client_id = ?", (trainer_id, client_id)
    ).fetchone()
    return row is not None


def _prefixed(alias: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in USER_COLUMNS.split(","))


def update_user(conn: sqlite3.Connection, user_id: int, changes: dict[str, Any]) -> User | None:
    """Apply display_name/disabled/role changes; disabling or a role change revokes tokens."""
    row = get_user(conn, user_id)
    if row is None:
        return None
    sets: list[str] = []
    params: list[Any] = []
    for column in ("display_name", "disabled", "role"):
        if column in changes and changes[column] is not None:
            sets.append(f"{column} = ?")
            params.append(int(changes[column]) if column == "disabled" else changes[column])
    revoke = (changes.get("disabled") is True and not row.disabled) or (
        changes.get("role") not in (None, row.role)
    )
    if revoke:
        sets.append("token_version = token_version + 1")
    if sets:
        conn.execute(f"UPDATE users SET {', '.join(sets)} WHERE id = ?", (*params, user_id))
    new_role = changes.get("role")
    if new_role not in (None, row.role):
        # Assignments only make sense trainer → client; a role change ends the ones that no
        # longer fit, so access stops with it.
        if new_role != "trainer":
            conn.execute("DELETE FROM assignments WHERE trainer_id = ?", (user_id,))
        if new_role != "client":
            conn.execute("DELETE FROM assignments WHERE client_id = ?", (user_id,))
    return get_user(conn, user_id)


def set_password(conn: sqlite3.Connection, user_id: int, new_hash: str) -> None:
    """Store a new hash and revoke every earlier token and session."""
    conn.execute(
        "UPDATE users SET password_hash = ?, token_version = token_version + 1 WHERE id = ?",
        (new_hash, user_id),
    )


def bump_token_version(conn: sqlite3.Connection, user_id: int) -> None:
    """Revoke every token and session issued so far to this user."""
    conn.execute("UPDATE users SET token_version = token_version + 1 WHERE id = ?", (user_id,))


def assign(conn: sqlite3.Connection, trainer_id: int, client_id: int) -> bool:
    """Assign a trainer to a client; False when it already was."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO assignments (trainer_id, client_id, created_at) VALUES (?, ?, ?)",
        (trainer_id, client_id, utcnow()),
    )
    return cur.rowcount > 0


def unassign(conn: sqlite3.Connection, trainer_id: int, client_id: int) -> bool:
    """End an assignment; False when there was none."""
    cur = conn.execute(
        "DELETE FROM assignments WHERE trainer_id = ? AND client_id = ?", (trainer_id, client_id)
    )
    return cur.rowcount > 0


def photo_visibility(conn: sqlite3.Connection, user_id: int) -> str:
    """The default visibility of the user's new progress photos ("trainers" when unknown)."""
    row = conn.execute("SELECT photo_visibility FROM users WHERE id = ?", (user_id,)).fetchone()
    return "trainers" if row is None else str(row[0])


def is_last_active_admin(conn: sqlite3.Connection, user: User) -> bool:
    """Whether this user is the only enabled admin, whom nobody may disable or demote."""
    if user.role != "admin" or user.disabled:
        return False
    others = conn.execute(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id != ?",
        (user.id,),
    ).fetchone()[0]
    return int(others) == 0


def count_users(conn: sqlite3.Connection) -> int:
    """How many accounts exist."""
    return int(conn.execute("SELECT count(*) FROM users").fetchone()[0])


def revocation_state(conn: sqlite3.Connection, user_ids: list[int]) -> dict[int, tuple[bool, int]]:
    """(disabled, token_version) of each of these users that still exists."""
    found: dict[int, tuple[bool, int]] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT id, disabled, token_version FROM users WHERE id IN ({marks})", chunk
        )
        for row in rows:
            found[row[0]] = (bool(row[1]), int(row[2]))
    return found


# What a user changes of their own account (PATCH /api/me).
OWN_SETTINGS = ("display_name", "units", "profile_photo_id", "photo_visibility")


def update_own(conn: sqlite3.Connection, user_id: int, changes: dict[str, Any]) -> User | None:
    """Apply changes to OWN_SETTINGS columns (others are refused); the row, or None."""
    unknown = set(changes) - set(OWN_SETTINGS)
    if unknown:
        raise ValueError(f"not an own setting: {sorted(unknown)}")
    if changes:
        assignments = ", ".join(f"{column} = ?" for column in changes)
        conn.execute(f"UPDATE users SET {assignments} WHERE id = ?", (*changes.values(), user_id))
    return get_user(conn, user_id)
