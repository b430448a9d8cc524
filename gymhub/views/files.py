"""Files as a given viewer may see them: the policy's access decides the URLs shown."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from gymhub.auth import policy
from gymhub.data import comments, files
from gymhub.data.catalogue import COMMENTED_CATEGORIES
from gymhub.data.files import FileRow
from gymhub.errors import NotFound
from gymhub.schemas.files import File, Variant

MEDIA_PREFIX = "/api/files/media"


def original_url(row: FileRow) -> str:
    """Where the original of a file is served."""
    return f"{MEDIA_PREFIX}/{row.category}/{row.id}.{row.ext}"


def variant_url(file_id: str, variant: str, ext: str) -> str:
    """Where one variant of a file is served."""
    return f"{MEDIA_PREFIX}/thumbnails/{file_id}_{variant}.{ext}"


def shape(
    row: FileRow,
    variants: Sequence[files.Variant],
    access: policy.FileAccess,
    comment_count: int = 0,
) -> File:
    """One file row as the API's File, with URLs only where the access allows; comment_count
    is shown for the categories that take comments (null for the others)."""
    shown = {}
    if access.variants:
        for v in variants:
            shown[v.variant] = Variant(
                url=variant_url(row.id, v.variant, v.ext),
                width=v.width,
                height=v.height,
                size=v.size,
            )
    return File(
        id=row.id,
        owner_id=row.owner_id,
        uploaded_by=row.uploaded_by,
        category=row.category,
        mime=row.mime,
        size=row.size,
        sha256=row.sha256,
        original_name=row.original_name,
        width=row.width,
        height=row.height,
        created_at=row.created_at,
        meal_completion_id=row.meal_completion_id,
        progress_entry_id=row.progress_entry_id,
        original_url=original_url(row) if access.original else None,
        variants=shown,
        visibility=row.visibility,  # type: ignore[arg-type]  # the column's CHECK allows these
        pose=row.pose,
        comment_count=comment_count if row.category in COMMENTED_CATEGORIES else None,
    )


@dataclass(frozen=True)
class Extras:
    """What rendering files needs beyond their rows, loaded for many files at once."""

    variants: dict[str, list[files.Variant]]
    comment_counts: dict[str, int]


def extras_of(conn: sqlite3.Connection, rows: Sequence[FileRow]) -> Extras:
    """Variants and comment counts of these files: one query each (per 500 files)."""
    counted = [r.id for r in rows if r.category in COMMENTED_CATEGORIES]
    counts = comments.counts(conn, "file", counted) if counted else {}
    return Extras(files.variants_of(conn, [r.id for r in rows]), counts)


def render_files(
    conn: sqlite3.Connection,
    viewer: policy.Viewer,
    rows: Sequence[FileRow],
    extras: Extras | None = None,
) -> list[File]:
    """The rows the viewer may see, as Files; rows they may not see are left out. `extras`
    loaded for a larger set of files saves a list its queries per record."""
    if extras is None:
        extras = extras_of(conn, rows)
    shown = []
    for row in rows:
        access = policy.file_access(conn, viewer, row)
        if access.visible:
            count = extras.comment_counts.get(row.id, 0)
            shown.append(shape(row, extras.variants.get(row.id, []), access, count))
    return shown


def render_one(conn: sqlite3.Connection, viewer: policy.Viewer, row: FileRow) -> File:
    """One row as the viewer may see it, or 404 when they may not see it at all."""
    shown = render_files(conn, viewer, [row])
    if not shown:
        raise NotFound("No such file.")
    return shown[0]
