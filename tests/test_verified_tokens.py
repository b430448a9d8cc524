"""The memory of verified tokens: bounded, per signing key, and never past a token's expiry."""

from __future__ import annotations

import time

import jwt
import pytest

from gymhub.auth import tokens

KEY, OTHER_KEY = b"k" * 32, b"o" * 32


def test_a_remembered_token_is_bounded_and_per_key() -> None:
    verified = tokens.VerifiedTokens(size=3)
    issued = [tokens.issue(KEY, user_id, "client", 1, 3600) for user_id in range(1, 6)]
    for user_id, token in enumerate(issued, start=1):
        assert verified.verify(KEY, token).user_id == user_id
    assert len(verified) == 3  # the two verified first went
    assert verified.verify(KEY, issued[-1]).user_id == 5
    # The same text under another key is not a hit: its signature does not hold there.
    with pytest.raises(tokens.TokenError):
        verified.verify(OTHER_KEY, issued[-1])
    assert len(verified) == 3


def test_a_remembered_token_still_expires() -> None:
    verified = tokens.VerifiedTokens()
    now = int(time.time())
    payload = {"sub": "7", "role": "client", "ver": 1, "iat": now, "exp": now + 1, "iss": "gymhub"}
    token = jwt.encode(payload, KEY, algorithm="HS256")
    assert verified.verify(KEY, token).user_id == 7
    time.sleep(1.05)
    with pytest.raises(tokens.TokenError, match="expired"):
        verified.verify(KEY, token)
    assert len(verified) == 0
