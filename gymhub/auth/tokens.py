"""HS256 access tokens: explicit algorithm list, required claims, `ver` revocation."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import jwt

ISSUER = "gymhub"
ALGORITHMS = ["HS256"]
REQUIRED = ["sub", "role", "ver", "iat", "exp", "iss"]
# Verified signatures kept per process; a hit still checks expiry, and revocation is the
# database's word (viewer_from on every request; a remembered media decision until the next
# write, or within a second of a CLI change), so caching never extends a token's life.
CACHE_SIZE = 4096
# Signing keys remembered at once: one per app (tests run several in one process).
KEYS_KEPT = 8


@dataclass(frozen=True)
class Claims:
    """What a valid token says; whether it is still honoured is the database's word."""

    user_id: int
    role: str
    ver: int


# A user id as issue() writes it: ASCII digits, no sign or leading zero, within SQLite's integer.
_USER_ID = re.compile(r"[1-9][0-9]{0,18}")
MAX_USER_ID = 2**63 - 1


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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


def _decode(key: bytes, token: str) -> tuple[Claims, float]:
    # A JWT is ASCII; other bytes in the header arrive as surrogates, which pyjwt cannot encode.
    if not token.isascii():
        raise TokenError("not a token")
    try:
        data = jwt.decode(
            token, key, algorithms=ALGORITHMS, issuer=ISSUER, options={"require": REQUIRED}
        )
        sub, role, ver, exp = data["sub"], data["role"], data["ver"], data["exp"]
        # str.isdigit() takes "٤" (and int() reads it as 4); a bool is an int to Python.
        if not isinstance(sub, str) or not _USER_ID.fullmatch(sub) or int(sub) > MAX_USER_ID:
            raise TokenError("bad subject")
        if not all(_is_int(data[name]) for name in ("ver", "iat", "exp")):
            raise TokenError("bad claims")
        if role not in ("admin", "trainer", "client"):
            raise TokenError("bad role")
        return Claims(int(sub), role, ver), float(exp)
    except jwt.PyJWTError as exc:
        raise TokenError(str(exc)) from None


class VerifiedTokens:
    """A bounded memory of tokens whose signature and claims were checked once.

    pyjwt's decode costs ~60 µs; a hit costs two dict lookups and the expiry test (an LRU's
    reordering cost as much again, on every authenticated request). Entries are per signing
    key, so a rotated key (or another app in the process) never reuses one; when full, the
    oldest verified goes first.
    """

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._by_key: dict[bytes, dict[str, tuple[Claims, float]]] = {}

    def verify(self, key: bytes, token: str) -> Claims:
        """The token's claims once decoded and checked (TokenError if not), remembered until it
        expires."""
        entries = self._by_key.get(key)
        if entries is None:
            if len(self._by_key) >= KEYS_KEPT:
                self._by_key.clear()
            entries = self._by_key[key] = {}
        entry = entries.get(token)
        if entry is None:
            entry = _decode(key, token)
            if len(entries) >= self.size:
                del entries[next(iter(entries))]
            entries[token] = entry
        claims, exp = entry
        # pyjwt's own rule (leeway 0): expired once now >= exp.
        if exp <= time.time():
            entries.pop(token, None)
            raise TokenError("Signature has expired")
        return claims

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._by_key.values())


verified = VerifiedTokens()
