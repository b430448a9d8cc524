"""A client's records (meals, progress entries) with their photos, as one viewer may see them."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

import msgspec

from gymhub.auth import policy
from gymhub.data import files
from gymhub.views.files import render_files

Shape = TypeVar("Shape", bound=msgspec.Struct)


class ClientRecord(Protocol):
    """What every client record of data/ has (meals.Meal, progress.Entry)."""

    @property
    def id(self) -> int: ...

    @property
    def client_id(self) -> int: ...


def with_photos(
    kind: type[Shape],
    conn: sqlite3.Connection,
    viewer: policy.Viewer,
    row: ClientRecord,
    photos: Sequence[files.FileRow],
) -> Shape:
    """A record in its API shape: every field from the record's attribute of the same name, and
    its photos filtered and shaped by the file policy."""
    fields: dict[str, Any] = {
        name: getattr(row, name) for name in kind.__struct_fields__ if name != "photos"
    }
    return kind(**fields, photos=render_files(conn, viewer, photos))


def many_with_photos(
    kind: type[Shape],
    link: str,
    conn: sqlite3.Connection,
    viewer: policy.Viewer,
    rows: Sequence[ClientRecord],
) -> list[Shape]:
    """Several records with their photos, loaded in one query through their link column."""
    linked = files.files_linked(conn, link, [r.id for r in rows])
    return [with_photos(kind, conn, viewer, r, linked[r.id]) for r in rows]
