"""argon2id hashing, always off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong name costs as much as a wrong password.
_DUMMY = _hasher.hash("gymhub-timing-equaliser")


def hash_sync(password: str) -> str:
    """argon2id hash of a password (blocking; for the CLI)."""
    return _hasher.hash(password)


def verify_sync(stored: str | None, password: str) -> bool:
    """Check a password against a stored hash, or against a dummy when there is none."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    """argon2id hash computed in a thread."""
    return await asyncio.to_thread(hash_sync, password)


async def verify_password(stored: str | None, password: str) -> bool:
    """Password check computed in a thread."""
    return await asyncio.to_thread(verify_sync, stored, password)
