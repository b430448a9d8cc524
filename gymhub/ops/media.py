"""What the ops commands share: the media rows of a database, streaming hashes, durable copies."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from gymhub.data import files
from gymhub.data.db import migrations
from gymhub.storage.layout import THUMBNAILS

CHUNK = 1024 * 1024
FORMAT = "gymhub-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "gymhub.sqlite3"
KEY = "secret.key"
UPLOADS = "uploads"


class OpsError(Exception):
    """A refusal or failure with a clear message for the operator; exit status 1."""


def require_empty(path: Path, what: str) -> None:
    """Refuse a path that exists and is not an empty directory."""
    if not path.exists():
        return
    if not path.is_dir():
        raise OpsError(f"{what} {path} exists and is not a directory")
    if any(path.iterdir()):
        raise OpsError(f"{what} {path} is not empty: use a new or empty directory")


@dataclass(frozen=True)
class Stored:
    """One file a row points at: its name under uploads/, owning file id, size and sha256."""

    name: str
    file_id: str
    size: int
    sha256: str | None  # rows keep the sha256 of originals only


def newest_schema() -> int:
    """The number of the newest migration this gymhub ships."""
    return max(number for number, _ in migrations())


def media_rows(conn: sqlite3.Connection) -> list[Stored]:
    """Every original and variant the database's rows point at, read in one transaction."""
    originals, variants = files.every_stored(conn)
    found = [Stored(f"{o.category}/{o.id}.{o.ext}", o.id, o.size, o.sha256) for o in originals]
    found += [
        Stored(f"{THUMBNAILS}/{v.file_id}_{v.variant}.{v.ext}", v.file_id, v.size, None)
        for v in variants
    ]
    return found


def hash_file(path: Path) -> tuple[int, str]:
    """(size, sha256 hex) of a file, read in 1 MiB chunks so big documents cost no memory."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def copy_file(src: Path, dst: Path, mode: int = 0o600) -> tuple[int, str]:
    """Copy (never link) src to a new dst, hashing on the way; fsynced; returns (size, sha256)."""
    digest = hashlib.sha256()
    size = 0
    with open(src, "rb") as fin:
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as fout:
            while chunk := fin.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
    shutil.copystat(src, dst)
    os.chmod(dst, mode)
    return size, digest.hexdigest()


def write_new(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write a new file with this mode from the start (a key is never readable, even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def fsync_tree(root: Path) -> None:
    """fsync every directory under root, so the renames and creations in them are durable."""
    for dirpath, _dirs, _files in os.walk(root):
        fd = os.open(dirpath, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def human(size: int) -> str:
    """A byte count for people: 1.2 MB."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"
