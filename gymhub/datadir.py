"""The data directory's identity, and the start-up check that refuses to pair strangers.

The database (meta table) and the media tree (uploads/.gymhub-id) carry the same random id.
Before the server opens the database, `preflight` looks at both without changing anything: a
populated media tree next to a database that is missing, empty, unreadable or another data
dir's is refused, because migrating a fresh database there and sweeping would take every file
for an orphan. After the database is open (and migrated), `bind` writes the id into the tree
when it has none: a new data dir, or a round-1 one adopted on upgrade.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

from gymhub.data import integrity, meta
from gymhub.storage.layout import ID_FILE, fsync_dir

ADVICE = (
    "Nothing was changed. Restore the database from a backup with `gymhub restore` "
    "(into a new data directory), or see what is wrong with `gymhub check`."
)


class DataDirRefused(Exception):
    """The database and the media tree do not belong together; the message says why."""


@dataclass(frozen=True)
class DbState:
    """What the database file is: missing, empty, unreadable, or usable (with its id)."""

    kind: str  # "missing" | "empty" | "unreadable" | "ok"
    data_dir_id: str | None = None
    file_rows: int = 0
    error: str = ""


def inspect_db(path: Path) -> DbState:
    """Read the database's state without creating, migrating or writing anything."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return DbState("missing")
    if not stat.S_ISREG(st.st_mode):
        return DbState("unreadable", error="not a regular file")
    if st.st_size == 0:
        return DbState("empty")
    try:
        conn = integrity.open_existing(path)
    except sqlite3.Error as exc:
        return DbState("unreadable", error=str(exc))
    try:
        if meta.table_count(conn) == 0:
            return DbState("empty")
        return DbState("ok", meta.get(conn, meta.DATA_DIR_ID), meta.file_rows(conn))
    except sqlite3.Error as exc:
        return DbState("unreadable", error=str(exc))
    finally:
        conn.close()


def media_has_files(media: Path) -> bool:
    """Whether the media tree holds anything but directories and its id file."""
    for dirpath, _dirs, names in os.walk(media):
        if any(not (dirpath == str(media) and name == ID_FILE) for name in names):
            return True
    return False


def tree_id(media: Path) -> str | None:
    """The id the media tree carries, or None when it has none."""
    try:
        fd = os.open(media / ID_FILE, os.O_RDONLY | os.O_NOFOLLOW)
    except (FileNotFoundError, NotADirectoryError):
        return None
    with os.fdopen(fd, "rb") as fh:
        value = fh.read(200).decode("ascii", "replace").strip()
    return value or None


def write_tree_id(media: Path, value: str) -> None:
    """Write the id into the tree durably (temp file, fsync, rename, fsync the directory)."""
    media.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = media / (ID_FILE + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(value.encode("ascii") + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, media / ID_FILE)
    fsync_dir(media)


def mismatch(db_path: Path, media: Path) -> str | None:
    """Why this database and this media tree must not be served together, or None."""
    state = inspect_db(db_path)
    if state.kind == "unreadable":
        return f"the database {db_path} cannot be opened ({state.error})"
    if not media_has_files(media):
        return None
    if state.kind in ("missing", "empty"):
        return f"the database {db_path} is {state.kind}, but {media} holds files"
    carried = tree_id(media)
    if carried is None:
        # A tree without an id (round 1) is adopted only by a database that knows some of its
        # files: a database made afresh (by `gymhub user add`, say) knows none.
        if state.file_rows == 0:
            return (
                f"{media} holds files and carries no data-dir id, and the database "
                f"{db_path} has no file rows"
            )
        return None
    if state.data_dir_id != carried:
        found = state.data_dir_id or "none (a database from before data-dir ids)"
        return (
            f"the database {db_path} belongs to another data directory: its id is {found}, "
            f"the media tree's ({media / ID_FILE}) is {carried}"
        )
    return None


def preflight(db_path: Path, media: Path) -> None:
    """Refuse (DataDirRefused) to open this database for this media tree; changes nothing."""
    reason = mismatch(db_path, media)
    if reason is not None:
        raise DataDirRefused(f"refusing to start: {reason}. {ADVICE}")


def bind(media: Path, data_dir_id: str) -> None:
    """Give the tree the database's id when it has none, or when it is empty (nothing to lose)."""
    carried = tree_id(media)
    if carried == data_dir_id:
        return
    if carried is not None and media_has_files(media):
        raise DataDirRefused(
            f"refusing to start: the media tree's id {carried} is not the database's "
            f"{data_dir_id}. {ADVICE}"
        )
    write_tree_id(media, data_dir_id)
