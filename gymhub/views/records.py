"""A client's records (meals, progress entries) with their photos, as one viewer may see them."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

import msgspec

from gymhub.auth import policy
from gymhub.data import comments, files
from gymhub.schemas.coaching import Meal, Progress
from gymhub.views.files import Extras, extras_of, render_files

Shape = TypeVar("Shape", bound=msgspec.Struct)
# The comment target each record shape is, and the fields not read from the record.
TARGETS: dict[type[msgspec.Struct], str] = {Meal: "meal", Progress: "progress"}
DERIVED = frozenset({"photos", "comment_count"})


@functools.cache
def _struct_types(kind: type[msgspec.Struct]) -> dict[str, Any]:
    """The shape's fields whose type is a Struct (measurements), by name."""
    return {
        f.name: f.type
        for f in msgspec.structs.fields(kind)
        if isinstance(f.type, type) and issubclass(f.type, msgspec.Struct)
    }


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
    comment_count: int | None = None,
    extras: Extras | None = None,
) -> Shape:
    """A record in its API shape: every field from the record's attribute of the same name
    (a Struct-typed field converted from the record's dict), its photos filtered and shaped by
    the file policy, and its comment count (counted here when not given)."""
    if comment_count is None:
        target = TARGETS[kind]
        comment_count = comments.counts(conn, target, [row.id]).get(str(row.id), 0)
    fields: dict[str, Any] = {
        name: getattr(row, name) for name in kind.__struct_fields__ if name not in DERIVED
    }
    for name, struct in _struct_types(kind).items():
        fields[name] = msgspec.convert(fields[name], struct)
    shown = render_files(conn, viewer, photos, extras)
    return kind(**fields, photos=shown, comment_count=comment_count)


def many_with_photos(
    kind: type[Shape],
    link: str,
    conn: sqlite3.Connection,
    viewer: policy.Viewer,
    rows: Sequence[ClientRecord],
) -> list[Shape]:
    """Several records with their photos and comment counts, each kind of fact loaded for all
    of them at once (no query per record)."""
    ids = [r.id for r in rows]
    linked = files.files_linked(conn, link, ids)
    counts = comments.counts(conn, TARGETS[kind], ids)
    extras = extras_of(conn, [photo for r in rows for photo in linked[r.id]])
    return [
        with_photos(kind, conn, viewer, r, linked[r.id], counts.get(str(r.id), 0), extras)
        for r in rows
    ]
