"""Progress entries as the API shows them to one viewer."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from gymhub.auth import policy
from gymhub.data import progress
from gymhub.data.catalogue import PROGRESS_LINK
from gymhub.data.files import FileRow
from gymhub.schemas.coaching import Progress
from gymhub.views.records import many_with_photos, with_photos


def entry_view(
    conn: sqlite3.Connection, viewer: policy.Viewer, row: progress.Entry, photos: Sequence[FileRow]
) -> Progress:
    """A progress row as this viewer may see it (photos filtered by the file policy)."""
    return with_photos(Progress, conn, viewer, row, photos)


def entries_view(
    conn: sqlite3.Connection, viewer: policy.Viewer, rows: Sequence[progress.Entry]
) -> list[Progress]:
    """Several entries with their photos, loaded in one query."""
    return many_with_photos(Progress, PROGRESS_LINK, conn, viewer, rows)
