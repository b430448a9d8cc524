"""The orphan sweep: files of the media tree with no row, and stale temp files.

The tree is listed outside any lock; the row check and the unlink then run together inside one
write transaction (`sweep_locked`), so an upload that commits meanwhile waits for the lock and
its files are seen as live, and a listing made earlier can never delete a live file.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from gymhub.storage.layout import (
    CATEGORIES,
    FILE_ID,
    ORIGINAL_NAME,
    TEMP,
    THUMBNAILS,
    VARIANT_NAME,
    Layout,
)


@dataclass
class Candidate:
    """A file that may be an orphan: where it is, and the file id its name carries."""

    path: Path
    name: str  # relative to the uploads root, as reported
    file_id: str | None


@dataclass
class SweepReport:
    """What a sweep removed (or would remove, in a dry run)."""

    removed: list[str] = field(default_factory=list)
    bytes: int = 0
    dry_run: bool = False


def list_candidates(layout: Layout, max_age: float | None) -> list[Candidate]:
    """Files older than max_age seconds (every file when None) in the tree and in temp."""
    cutoff = None if max_age is None else time.time() - max_age
    found: list[Candidate] = []
    for directory in (*layout.directories(), layout.temp):
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(st.st_mode):
                continue
            if cutoff is not None and st.st_mtime > cutoff:
                continue
            match = FILE_ID.match(entry.name)
            file_id = match[0] if match else None
            found.append(Candidate(Path(entry.path), f"{directory.name}/{entry.name}", file_id))
    return found


def _live_names(conn: sqlite3.Connection, ids: list[str]) -> set[str]:
    """Relative names ("category/id.ext", "thumbnails/id_variant.ext") that rows point at."""
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
            live.add(f"{THUMBNAILS}/{row[0]}_{row[1]}.{row[2]}")
    return live


def _is_orphan(candidate: Candidate, live: set[str]) -> bool:
    directory, _, filename = candidate.name.partition("/")
    if directory == TEMP:
        return True  # in-flight uploads only live in temp; list_candidates applied the age
    if directory in CATEGORIES and ORIGINAL_NAME.fullmatch(filename):
        return candidate.name not in live
    if directory == THUMBNAILS and VARIANT_NAME.fullmatch(filename):
        return candidate.name not in live
    return True  # a name gymhub never writes has no row by construction


def sweep_locked(
    conn: sqlite3.Connection, candidates: list[Candidate], dry_run: bool
) -> SweepReport:
    """Inside a write transaction: drop the candidates that have no row (or only report them)."""
    ids = sorted({c.file_id for c in candidates if c.file_id})
    live = _live_names(conn, ids)
    report = SweepReport(dry_run=dry_run)
    for candidate in candidates:
        if not _is_orphan(candidate, live):
            continue
        try:
            size = candidate.path.lstat().st_size
            if not dry_run:
                candidate.path.unlink()
        except FileNotFoundError:
            continue
        report.removed.append(candidate.name)
        report.bytes += size
    return report
