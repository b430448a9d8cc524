"""A client's records (meals, progress entries) with their photos, as one viewer may see them."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, TypeVar

import msgspec

from gymhub.auth import policy
from gymhub.data import files
from gymhub.views.files import render_files

Shape = TypeVar("Shape", bound=msgspec.Struct)


def with_photos(
    kind: type[Shape],
    conn: sqlite3.Connection,
    viewer: policy.Viewer,
    row: sqlite3.Row,
    photos: Sequence[files.FileRow],
) -> Shape:
    """A record row in its API shape: every field from the row's column of the same name, and
    its photos filtered and shaped by the file policy."""
    fields: dict[str, Any] = {
        name: row[name] for name in kind.__struct_fields__ if name != "photos"
    }
    return kind(**fields, photos=render_files(conn, viewer, photos))


def many_with_photos(
    kind: type[Shape],
    link: str,
    conn: sqlite3.Connection,
    viewer: policy.Viewer,
    rows: Sequence[sqlite3.Row],
) -> list[Shape]:
    """Several records with their photos, loaded in one query through their link column."""
    linked = files.files_linked(conn, link, [r["id"] for r in rows])
    return [with_photos(kind, conn, viewer, r, linked[r["id"]]) for r in rows]
