"""HS256 access tokens: explicit algorithm list, required claims, `ver` revocation."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

ISSUER = "gymhub"
ALGORITHMS = ["HS256"]
REQUIRED = ["sub", "role", "ver", "iat", "exp", "iss"]


@dataclass(frozen=True)
class Claims:
    """What a valid token says; whether it is still honoured is the database's word."""

    user_id: int
    role: str
    ver: int


class TokenError(Exception):
    """The token is malformed, tampered, expired or not ours."""


def issue(key: bytes, user_id: int, role: str, ver: int, ttl: int) -> str:
    """A signed token for the user at its current token version."""
    now = int(time.time())
    payload = {
        "sub": str(user_id),
        "role": role,
        "ver": ver,
        "iat": now,
        "exp": now + ttl,
        "iss": ISSUER,
    }
    return jwt.encode(payload, key, algorithm="HS256")


def verify(key: bytes, token: str) -> Claims:
    """Decode and check a token, or raise TokenError."""
    try:
        data = jwt.decode(
            token, key, algorithms=ALGORITHMS, issuer=ISSUER, options={"require": REQUIRED}
        )
        sub, role, ver = data["sub"], data["role"], data["ver"]
        if not isinstance(sub, str) or not sub.isdigit() or not isinstance(ver, int):
            raise TokenError("bad claims")
        if role not in ("admin", "trainer", "client"):
            raise TokenError("bad role")
        return Claims(int(sub), role, ver)
    except jwt.PyJWTError as exc:
        raise TokenError(str(exc)) from None
