"""Single-use WebSocket tickets: short-lived stand-ins for a JWT in a URL."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections import OrderedDict, deque

from gymhub.auth.tokens import Claims

TICKET_TTL = 30
PER_USER = 16


class Tickets:
    """Tickets kept in memory (one process); each is good for one handshake within 30 s."""

    def __init__(self, ttl: int = TICKET_TTL) -> None:
        self.ttl = ttl
        self._by_ticket: OrderedDict[str, tuple[float, Claims]] = OrderedDict()
        self._by_user: dict[int, deque[str]] = {}

    def issue(self, claims: Claims) -> str:
        """A new ticket carrying these claims (version included, so revocation still applies)."""
        now = time.monotonic()
        self._expire(now)
        mine = self._by_user.setdefault(claims.user_id, deque())
        while len(mine) >= PER_USER:
            # A user holds at most PER_USER unused tickets: memory stays bounded per account.
            self._by_ticket.pop(mine.popleft(), None)
        ticket = secrets.token_urlsafe(32)
        self._by_ticket[ticket] = (now + self.ttl, claims)
        mine.append(ticket)
        return ticket

    def redeem(self, ticket: str) -> Claims | None:
        """The claims of a live ticket, consuming it; None when unknown, used or expired."""
        entry = self._by_ticket.pop(ticket, None)
        if entry is None:
            return None
        expires, claims = entry
        mine = self._by_user.get(claims.user_id)
        if mine is not None:
            with contextlib.suppress(ValueError):
                mine.remove(ticket)
            if not mine:
                del self._by_user[claims.user_id]
        return claims if time.monotonic() < expires else None

    def _expire(self, now: float) -> None:
        # Same lifetime for all, so insertion order is expiry order.
        while self._by_ticket:
            ticket, (expires, _) = next(iter(self._by_ticket.items()))
            if expires > now:
                break
            self.redeem(ticket)

    def __len__(self) -> int:
        return len(self._by_ticket)
