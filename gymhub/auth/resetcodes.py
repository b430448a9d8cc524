"""Password reset codes: made here, kept only as a hash, compared in constant time."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

# A day, as API.md's `expires_in` says.
CODE_TTL = 86400
# Crockford-style base32 without I, L, O, U: read aloud or typed from a note without mix-ups.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_GROUPS, _GROUP = 4, 4


def new_code() -> str:
    """A fresh code like 7KQ2-M9XD-43HV-PWZ1: 16 symbols, 80 random bits."""
    symbols = "".join(secrets.choice(_ALPHABET) for _ in range(_GROUPS * _GROUP))
    return "-".join(symbols[i : i + _GROUP] for i in range(0, len(symbols), _GROUP))


def normalised(code: str) -> str:
    """The code as it is hashed: upper case, without dashes and spaces (as people retype it)."""
    return code.upper().replace("-", "").replace(" ", "")


def code_hash(code: str) -> str:
    """The stored form of a code: 80 random bits need no slow hash, sha256 suffices."""
    return hashlib.sha256(normalised(code).encode()).hexdigest()


def same(stored: str | None, code: str) -> bool:
    """Whether code matches the stored hash (constant time; False when there is none)."""
    return stored is not None and secrets.compare_digest(stored, code_hash(code))


def expiry(now: dt.datetime | None = None) -> str:
    """When a code made now expires, as the API's timestamp."""
    at = (now or dt.datetime.now(dt.UTC)) + dt.timedelta(seconds=CODE_TTL)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
