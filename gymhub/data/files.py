"""Queries on stored files and their variants (the bytes live in the media tree)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gymhub.data.catalogue import (
    LINK_COLUMNS,
    LINK_TABLES,
    MEAL_LINK,
    MEAL_PHOTOS,
    PROGRESS_LINK,
    PROGRESS_PHOTOS,
)
from gymhub.data.users import Account

FILE_COLUMNS = (
    "id, owner_id, uploaded_by, category, mime, ext, size, sha256, original_name, width, height,"
    " created_at, " + ", ".join(LINK_COLUMNS) + ", visibility, pose"
)
VARIANT_COLUMNS = "file_id, variant, ext, mime, width, height, size"


@dataclass(frozen=True, slots=True)
class FileRow:
    """A files row: its fields in FILE_COLUMNS' order."""

    id: str
    owner_id: int
    uploaded_by: int
    category: str
    mime: str
    ext: str
    size: int
    sha256: str
    original_name: str
    width: int | None
    height: int | None
    created_at: str
    meal_completion_id: int | None
    progress_entry_id: int | None
    # "trainers" or "private" for progress photos, None for the other categories.
    visibility: str | None
    pose: str | None

    def link(self, column: str) -> int | None:
        """The value of a link column (catalogue.LINK_COLUMNS) by its name."""
        if column == MEAL_LINK:
            return self.meal_completion_id
        if column == PROGRESS_LINK:
            return self.progress_entry_id
        raise ValueError(f"not a link column: {column}")


@dataclass(frozen=True, slots=True)
class Variant:
    """A file_variants row: its fields in VARIANT_COLUMNS' order."""

    file_id: str
    variant: str
    ext: str
    mime: str
    width: int
    height: int
    size: int


@dataclass(frozen=True, slots=True)
class MediaFile:
    """The file and (when asked for and present) the variant behind a media name: what the media
    route serves, and the owner_id, uploaded_by and category the file policy reads."""

    id: str
    owner_id: int
    uploaded_by: int
    category: str
    mime: str
    ext: str
    original_name: str
    size: int
    variant: str | None
    variant_ext: str | None
    variant_mime: str | None
    variant_size: int | None
    visibility: str | None


@dataclass(frozen=True, slots=True)
class MediaHit:
    """The media fast path's one statement: the caller's account and the file, if any."""

    account: Account
    file: MediaFile | None


def _file(row: Sequence[Any]) -> FileRow:
    return FileRow(*row)


def _variant(row: Sequence[Any]) -> Variant:
    return Variant(*row)


def get_file(conn: sqlite3.Connection, file_id: str) -> FileRow | None:
    """The file row with this id, or None."""
    row = conn.execute(f"SELECT {FILE_COLUMNS} FROM files WHERE id = ?", (file_id,)).fetchone()
    return None if row is None else _file(row)


def variants_of(conn: sqlite3.Connection, file_ids: Sequence[str]) -> dict[str, list[Variant]]:
    """Variant rows of each file id, largest first."""
    found: dict[str, list[Variant]] = {fid: [] for fid in file_ids}
    for chunk in _chunks(list(file_ids)):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT {VARIANT_COLUMNS} FROM file_variants"
            f" WHERE file_id IN ({marks}) ORDER BY file_id, width DESC",
            chunk,
        )
        for row in rows:
            variant = _variant(row)
            found[variant.file_id].append(variant)
    return found


def files_linked(
    conn: sqlite3.Connection, column: str, ids: Iterable[int]
) -> dict[int, list[FileRow]]:
    """Files linked to each meal (column meal_completion_id) or progress entry, oldest first."""
    if column not in LINK_COLUMNS:
        raise ValueError(column)
    found: dict[int, list[FileRow]] = {i: [] for i in ids}
    for chunk in _chunks(list(found)):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT {FILE_COLUMNS} FROM files WHERE {column} IN ({marks}) ORDER BY rowid",
            chunk,
        )
        for row in rows:
            found[row[column]].append(_file(row))
    return found


def link_progress_photos(
    conn: sqlite3.Connection, entry_id: int, owner_id: int, file_ids: Sequence[str]
) -> list[str]:
    """Link the owner's progress photos to an entry; returns the ids that are not such photos."""
    bad = []
    for file_id in file_ids:
        cur = conn.execute(
            "UPDATE files SET progress_entry_id = ? WHERE id = ? AND owner_id = ? AND category = ?",
            (entry_id, file_id, owner_id, PROGRESS_PHOTOS),
        )
        if cur.rowcount == 0:
            bad.append(file_id)
    return bad


def find_duplicate(
    conn: sqlite3.Connection, owner_id: int, category: str, sha256: str
) -> FileRow | None:
    """The live file of this owner and category with these exact bytes, if any."""
    row = conn.execute(
        f"SELECT {FILE_COLUMNS} FROM files WHERE owner_id = ? AND category = ? AND sha256 = ?"
        " ORDER BY rowid LIMIT 1",
        (owner_id, category, sha256),
    ).fetchone()
    return None if row is None else _file(row)


def find_unlinked_meal_photo(
    conn: sqlite3.Connection, owner_id: int, sha256: str
) -> FileRow | None:
    """The owner's oldest meal photo with these bytes that belongs to no meal yet, if any."""
    row = conn.execute(
        f"SELECT {FILE_COLUMNS} FROM files WHERE owner_id = ? AND category = ? AND sha256 = ?"
        " AND meal_completion_id IS NULL ORDER BY rowid LIMIT 1",
        (owner_id, MEAL_PHOTOS, sha256),
    ).fetchone()
    return None if row is None else _file(row)


def insert_file(
    conn: sqlite3.Connection, values: dict[str, Any], variants: Sequence[dict[str, Any]]
) -> FileRow:
    """Insert a file row and its variant rows; returns the file row."""
    columns = [c.strip() for c in FILE_COLUMNS.split(",")]
    conn.execute(
        f"INSERT INTO files ({FILE_COLUMNS}) VALUES ({','.join('?' * len(columns))})",
        [values[c] for c in columns],
    )
    conn.executemany(
        "INSERT INTO file_variants (file_id, variant, ext, mime, width, height, size)"
        " VALUES (:file_id, :variant, :ext, :mime, :width, :height, :size)",
        variants,
    )
    row = get_file(conn, values["id"])
    assert row is not None
    return row


def set_visibility(conn: sqlite3.Connection, file_id: str, visibility: str) -> FileRow:
    """Change a progress photo's visibility; returns the row."""
    conn.execute("UPDATE files SET visibility = ? WHERE id = ?", (visibility, file_id))
    row = get_file(conn, file_id)
    assert row is not None
    return row


def delete_file(conn: sqlite3.Connection, file_id: str) -> None:
    """Delete a file row (its variant rows go with it)."""
    conn.execute("DELETE FROM files WHERE id = ?", (file_id,))


def list_files(
    conn: sqlite3.Connection,
    owner_id: int,
    category: str | None,
    limit: int,
    before: str | None,
) -> list[FileRow]:
    """An owner's files, newest first, optionally of one category and before a file id."""
    sql = f"SELECT {FILE_COLUMNS} FROM files WHERE owner_id = ?"
    params: list[Any] = [owner_id]
    if category is not None:
        sql += " AND category = ?"
        params.append(category)
    if before is not None:
        # An unknown id compares with NULL: the page is empty rather than the list restarting.
        sql += " AND rowid < (SELECT rowid FROM files WHERE id = ?)"
        params.append(before)
    sql += " ORDER BY rowid DESC LIMIT ?"
    params.append(limit)
    return [_file(row) for row in conn.execute(sql, params)]


def link_unlinked(conn: sqlite3.Connection, file_id: str, links: dict[str, int]) -> FileRow:
    """Give the file each of these links it does not have yet (one it has is kept); the row."""
    for column, link_id in links.items():
        if column not in LINK_COLUMNS:
            raise ValueError(f"not a link column: {column}")
        conn.execute(
            f"UPDATE files SET {column} = ? WHERE id = ? AND {column} IS NULL", (link_id, file_id)
        )
    row = get_file(conn, file_id)
    assert row is not None
    return row


def link_owner(conn: sqlite3.Connection, column: str, link_id: int) -> int | None:
    """The client owning a meal (meal_completion_id) or progress entry, or None."""
    table = LINK_TABLES[column]
    row = conn.execute(f"SELECT client_id FROM {table} WHERE id = ?", (link_id,)).fetchone()
    return None if row is None else int(row[0])


def _chunks(items: list[str] | list[int], size: int = 500) -> Iterable[list[str] | list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_MEDIA_LOOKUP = """
SELECT u.id, u.role, u.username, u.disabled, u.token_version,
       f.id AS file_id, f.owner_id, f.uploaded_by, f.category, f.mime AS file_mime,
       f.ext AS file_ext, f.original_name, f.size AS file_size,
       v.variant, v.ext AS variant_ext, v.mime AS variant_mime, v.size AS variant_size,
       f.visibility
FROM users AS u
LEFT JOIN files AS f ON f.id = ?
LEFT JOIN file_variants AS v ON v.file_id = f.id AND v.variant = ?
WHERE u.id = ?
"""


def media_lookup(
    conn: sqlite3.Connection, user_id: int, file_id: str, variant: str | None
) -> MediaHit | None:
    """The caller's account, a file and one of its variants in one statement (the hot path);
    the records are built once, from the row's positions."""
    row = conn.execute(_MEDIA_LOOKUP, (file_id, variant, user_id)).fetchone()
    if row is None:
        return None
    account = Account(int(row[0]), row[2], row[1], bool(row[3]), int(row[4]))
    if row[5] is None:
        return MediaHit(account, None)
    return MediaHit(account, MediaFile(*row[5:]))


def live_media_names(conn: sqlite3.Connection, ids: list[str]) -> set[str]:
    """Names under uploads/ ("category/id.ext", "thumbnails/id_variant.ext") rows point at."""
    live: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT id, category, ext FROM files WHERE id IN ({marks})", chunk
        ):
            live.add(f"{row[1]}/{row[0]}.{row[2]}")
        for row in conn.execute(
            f"SELECT file_id, variant, ext FROM file_variants WHERE file_id IN ({marks})", chunk
        ):
            live.add(f"thumbnails/{row[0]}_{row[1]}.{row[2]}")
    return live


def has_variant(conn: sqlite3.Connection, file_id: str, variant: str, ext: str) -> bool:
    """Whether the file has this variant with this extension."""
    found = conn.execute(
        "SELECT 1 FROM file_variants WHERE file_id = ? AND variant = ? AND ext = ?",
        (file_id, variant, ext),
    ).fetchone()
    return found is not None


def file_exists(conn: sqlite3.Connection, file_id: str) -> bool:
    """Whether a row with this file id exists."""
    return conn.execute("SELECT 1 FROM files WHERE id = ?", (file_id,)).fetchone() is not None


@dataclass(frozen=True, slots=True)
class StoredOriginal:
    """What a file row says of its original's bytes (for backups and checks)."""

    id: str
    category: str
    ext: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class StoredVariant:
    """What a variant row says of its bytes (for backups and checks)."""

    file_id: str
    variant: str
    ext: str
    size: int


def every_stored(conn: sqlite3.Connection) -> tuple[list[StoredOriginal], list[StoredVariant]]:
    """Every file (id, category, ext, size, sha256) and variant (file_id, variant, ext, size),
    read in one transaction so the two lists agree."""
    conn.execute("BEGIN")
    try:
        originals = [
            StoredOriginal(*row)
            for row in conn.execute("SELECT id, category, ext, size, sha256 FROM files ORDER BY id")
        ]
        variants = [
            StoredVariant(*row)
            for row in conn.execute(
                "SELECT file_id, variant, ext, size FROM file_variants ORDER BY file_id, variant"
            )
        ]
    finally:
        conn.execute("COMMIT")
    return originals, variants


def delete_files(conn: sqlite3.Connection, file_ids: list[str]) -> None:
    """Delete these file rows (their variant rows go with them), in the caller's transaction."""
    conn.executemany("DELETE FROM files WHERE id = ?", [(i,) for i in file_ids])
