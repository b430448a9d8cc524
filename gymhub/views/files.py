"""Files as a given viewer may see them: the policy's access decides the URLs shown."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from gymhub.auth import policy
from gymhub.data import files
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


def shape(row: FileRow, variants: Sequence[files.Variant], access: policy.FileAccess) -> File:
    """One file row as the API's File, with URLs only where the access allows."""
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
    )


def render_files(
    conn: sqlite3.Connection, viewer: policy.Viewer, rows: Sequence[FileRow]
) -> list[File]:
    """The rows the viewer may see, as Files; rows they may not see are left out."""
    variants = files.variants_of(conn, [r.id for r in rows])
    shown = []
    for row in rows:
        access = policy.file_access(conn, viewer, row)
        if access.visible:
            shown.append(shape(row, variants[row.id], access))
    return shown


def render_one(conn: sqlite3.Connection, viewer: policy.Viewer, row: FileRow) -> File:
    """One row as the viewer may see it, or 404 when they may not see it at all."""
    shown = render_files(conn, viewer, [row])
    if not shown:
        raise NotFound("No such file.")
    return shown[0]
