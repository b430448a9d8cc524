"""The data directory's secret key, and the separate keys derived from it."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Keys:
    """One purpose, one key: a leaked cookie key does not sign tokens."""

    jwt: bytes
    cookie: bytes

    @classmethod
    def derive(cls, master: bytes) -> Keys:
        def sub(label: bytes) -> bytes:
            return hmac.new(master, b"gymhub/" + label, hashlib.sha256).digest()

        return cls(jwt=sub(b"jwt"), cookie=sub(b"cookie"))


def load_or_create(path: Path) -> bytes:
    """Read the 32-byte secret key, creating it with mode 0600 on first start."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        key = secrets.token_bytes(32)
        # O_EXCL: two processes starting at once must not each write their own key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_or_create(path)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.hex().encode())
            fh.flush()
            os.fsync(fh.fileno())
        return key
    try:
        key = bytes.fromhex(data.decode().strip())
    except ValueError:
        key = b""
    if len(key) < 32:
        raise ValueError(f"{path} does not hold a valid secret key")
    return key
