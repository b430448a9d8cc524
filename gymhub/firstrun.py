"""First start on an empty data directory: the first admin account."""

from __future__ import annotations

import logging
import secrets
import sqlite3

from gymhub.auth.passwords import Hashing
from gymhub.data import users
from gymhub.data.db import Database

log = logging.getLogger("gymhub")


async def ensure_admin(db: Database, hashing: Hashing, password: str) -> str | None:
    """Create `admin` when there is no account yet; returns the password that was set."""
    if await db.read(users.count_users):
        return None
    password = password or secrets.token_urlsafe(12)
    password_hash = await hashing.hash(password)

    def create(conn: sqlite3.Connection) -> bool:
        # Checked again under the write lock: a CLI may have created the first user meanwhile.
        if users.count_users(conn):
            return False
        users.insert_user(conn, "admin", "admin", password_hash, "Administrator")
        return True

    return password if await db.write(create) else None
