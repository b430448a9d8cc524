"""A client's records, meals or progress entries alike: a page of them newest first, or one by
id, each only as auth/policy.client_data lets the viewer see that client's data."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from aiohttp import web

from gymhub.auth import policy
from gymhub.errors import NotFound
from gymhub.handlers.common import LIMIT, path_id
from gymhub.schemas.query import IntParam
from gymhub.views.records import ClientRecord
from gymhub.web.appkeys import db_key
from gymhub.web.identity import current_viewer

T = TypeVar("T")
R = TypeVar("R", bound=ClientRecord)


@dataclass(frozen=True)
class ClientRecords(Generic[R, T]):
    """One kind of record: how data/ reads it, how views/ shows it, what a missing one is called,
    and the list's query parameters (their descriptions name the kind in the OpenAPI)."""

    list_for: Callable[[sqlite3.Connection, int, int, int | None], list[R]]
    get: Callable[[sqlite3.Connection, int], R | None]
    view: Callable[[sqlite3.Connection, policy.Viewer, Sequence[R]], list[T]]
    missing: str
    client_id: IntParam
    before: IntParam

    @property
    def query(self) -> tuple[IntParam, ...]:
        return (self.client_id, LIMIT, self.before)

    async def page(self, request: web.Request) -> list[T]:
        """A page of a client's records (the viewer's own unless client_id names another)."""
        viewer = await current_viewer(request)
        client_id = self.client_id.read(request) or viewer.id
        limit = LIMIT.get(request)
        before = self.before.read(request)

        def load(conn: sqlite3.Connection) -> list[T]:
            policy.client_data(conn, viewer, client_id)
            return self.view(conn, viewer, self.list_for(conn, client_id, limit, before))

        return await request.app[db_key].read(load)

    async def one(self, request: web.Request) -> T:
        """The record the path names; one the viewer may not see is as missing as one that is
        not there, so its existence does not leak."""
        viewer = await current_viewer(request)
        record_id = path_id(request, "id")

        def load(conn: sqlite3.Connection) -> T:
            row = self.get(conn, record_id)
            if row is None:
                raise NotFound(self.missing)
            try:
                policy.client_data(conn, viewer, row.client_id)
            except NotFound:
                raise NotFound(self.missing) from None
            return self.view(conn, viewer, [row])[0]

        return await request.app[db_key].read(load)
