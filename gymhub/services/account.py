"""The caller's own account (PATCH /api/me) and password resets by code."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from gymhub.auth import policy, resetcodes
from gymhub.auth.passwords import Hashing
from gymhub.auth.policy import Viewer
from gymhub.auth.ratelimit import LoginLimiter
from gymhub.data import resets, users
from gymhub.data.db import Database, utcnow
from gymhub.errors import InvalidCredentials, NotFound, RateLimited

BAD_RESET = "The username or reset code is wrong, used or expired."


async def update_own(db: Database, viewer: Viewer, changes: Mapping[str, Any]) -> users.User:
    """Apply the viewer's own settings; a profile photo must be one of theirs (else 400)."""

    def apply(conn: sqlite3.Connection) -> users.User:
        photo = changes.get("profile_photo_id")
        if photo is not None:
            policy.own_profile_photo(conn, viewer, photo)
        row = users.update_own(conn, viewer.id, dict(changes))
        assert row is not None
        return row

    return await db.write(apply)


def store_reset_code(conn: sqlite3.Connection, user_id: int) -> str:
    """A new code for the user, replacing any earlier one, in the caller's write (CLI and API)."""
    code = resetcodes.new_code()
    resets.store(conn, user_id, resetcodes.code_hash(code), resetcodes.expiry())
    return code


async def issue_reset_code(db: Database, viewer: Viewer, user_id: int) -> str:
    """An admin's reset code for a user (403 for anyone else, 404 for no such user)."""
    policy.require_admin(viewer)

    def issue(conn: sqlite3.Connection) -> str:
        if users.get_user(conn, user_id) is None:
            raise NotFound("No such user.")
        return store_reset_code(conn, user_id)

    return await db.write(issue)


async def reset_password(
    db: Database,
    hashing: Hashing,
    limiter: LoginLimiter,
    address: str,
    username: str,
    code: str,
    new_password: str,
) -> int:
    """Set a new password with a live reset code, which is used up; the user's id.

    A wrong, used or expired code (or an unknown or disabled user) is 401 and counts as a failed
    login; the new password is hashed only once the code proved good."""
    wait = limiter.retry_after(username, address)
    if wait:
        raise RateLimited(wait, f"Too many failed attempts; try again in {wait} seconds.")

    def check(conn: sqlite3.Connection) -> int | None:
        login = users.get_login(conn, username)
        if login is None or login.user.disabled:
            return None
        stored = resets.live_hash(conn, login.user.id, utcnow())
        return login.user.id if resetcodes.same(stored, code) else None

    user_id = await db.read(check)
    if user_id is not None:
        new_hash = await hashing.hash(new_password)

        def apply(conn: sqlite3.Connection) -> bool:
            # Used up here, so two requests racing with one code cannot both succeed.
            if not resets.consume(conn, user_id, resetcodes.code_hash(code), utcnow()):
                return False
            users.set_password(conn, user_id, new_hash)
            return True

        if await db.write(apply):
            limiter.succeeded(username, address)
            return user_id
    limiter.failed(username, address)
    raise InvalidCredentials(BAD_RESET)
