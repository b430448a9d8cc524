"""The orphan sweep: files of the media tree with no row, and stale temp files.

The tree is listed outside any lock; the row check and the moves then run together inside one
write transaction (`sweep_locked`), so an upload that commits meanwhile waits for the lock and
its files are seen as live, and a listing made earlier can never touch a live file.

A placed file without a row is moved into uploads/.quarantine/<day>/ (a rename: after a crash
it is in one place or the other), not deleted, unless it was written after the last clean
shutdown, by a run that then crashed (a half-finished upload). Stale temp files are deleted.
A sweep that would take more than `max_share` of the store's files does nothing at all: that
many rowless files means the database, not the tree, is wrong.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from gymhub.data.catalogue import CATEGORIES
from gymhub.data.files import live_media_names
from gymhub.storage.layout import (
    FILE_ID,
    ORIGINAL_NAME,
    TEMP,
    THUMBNAILS,
    VARIANT_NAME,
    Layout,
    fsync_dir,
)


@dataclass
class Candidate:
    """A file that may be an orphan: where it is, the file id its name carries, its mtime."""

    path: Path
    name: str  # relative to the uploads root, as reported
    file_id: str | None
    mtime: float = 0.0


@dataclass
class Listing:
    """The candidates of one sweep, and how many files the store holds (the share's base)."""

    candidates: list[Candidate] = field(default_factory=list)
    store_files: int = 0


@dataclass(frozen=True)
class SweepRules:
    """How one sweep treats what it finds."""

    # Rowless placed files newer than this were written by a run that crashed: deleted.
    # None (no clean shutdown recorded): every rowless placed file is quarantined.
    leftover_after: float | None
    max_share: float
    force: bool = False
    dry_run: bool = False


@dataclass
class SweepReport:
    """What a sweep deleted and quarantined (or would, in a dry run), or why it did nothing."""

    removed: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    bytes: int = 0
    dry_run: bool = False
    # Rowless store files left alone because they exceed max_share of store_files (0: none).
    refused: int = 0
    store_files: int = 0

    @property
    def taken(self) -> list[str]:
        """Every name that left the store: deleted or quarantined."""
        return self.removed + self.quarantined


def list_candidates(layout: Layout, max_age: float | None) -> Listing:
    """Files older than max_age seconds (every file when None) in the tree and in temp."""
    cutoff = None if max_age is None else time.time() - max_age
    listing = Listing()
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
            if directory != layout.temp:
                listing.store_files += 1
            if cutoff is not None and st.st_mtime > cutoff:
                continue
            match = FILE_ID.match(entry.name)
            file_id = match[0] if match else None
            listing.candidates.append(
                Candidate(Path(entry.path), f"{directory.name}/{entry.name}", file_id, st.st_mtime)
            )
    return listing


def _is_orphan(candidate: Candidate, live: set[str]) -> bool:
    directory, _, filename = candidate.name.partition("/")
    if directory == TEMP:
        return True  # in-flight uploads only live in temp; list_candidates applied the age
    if directory in CATEGORIES and ORIGINAL_NAME.fullmatch(filename):
        return candidate.name not in live
    if directory == THUMBNAILS and VARIANT_NAME.fullmatch(filename):
        return candidate.name not in live
    return True  # a name gymhub never writes has no row by construction


def quarantine_day(root: Path, now: float | None = None) -> Path:
    """The quarantine directory of today (UTC): its name dates the files' move."""
    day = dt.datetime.fromtimestamp(time.time() if now is None else now, dt.UTC).date()
    return root / day.isoformat()


def _free_name(target: Path) -> Path:
    """target, or target with a counter when a file of that name was quarantined today."""
    n = 1
    found = target
    while os.path.lexists(found):
        found = target.with_name(f"{target.name}.{n}")
        n += 1
    return found


def _quarantine(candidate: Candidate, day_dir: Path) -> Path:
    """Move one file into today's quarantine (same filesystem: an atomic rename)."""
    directory = day_dir / candidate.name.partition("/")[0]
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = _free_name(directory / candidate.path.name)
    os.rename(candidate.path, target)
    return directory


def sweep_locked(
    conn: sqlite3.Connection, listing: Listing, rules: SweepRules, quarantine_root: Path
) -> SweepReport:
    """Inside a write transaction: move or delete the candidates that have no row."""
    ids = sorted({c.file_id for c in listing.candidates if c.file_id})
    live = live_media_names(conn, ids)
    orphans = [c for c in listing.candidates if _is_orphan(c, live)]
    report = SweepReport(dry_run=rules.dry_run, store_files=listing.store_files)
    placed = [c for c in orphans if not c.name.startswith(TEMP + "/")]
    if placed and not rules.force and len(placed) > rules.max_share * listing.store_files:
        report.refused = len(placed)
        return report
    day_dir = quarantine_day(quarantine_root)
    touched: set[Path] = set()
    for candidate in orphans:
        try:
            size = candidate.path.lstat().st_size
        except FileNotFoundError:
            continue
        in_temp = candidate.name.startswith(TEMP + "/")
        leftover = rules.leftover_after is not None and candidate.mtime > rules.leftover_after
        delete = in_temp or leftover
        try:
            if not rules.dry_run:
                if delete:
                    candidate.path.unlink()
                else:
                    touched.add(_quarantine(candidate, day_dir))
                touched.add(candidate.path.parent)
        except FileNotFoundError:
            continue
        (report.removed if delete else report.quarantined).append(candidate.name)
        report.bytes += size
    # The renames and unlinks survive a power cut only once their directories are synced.
    for directory in touched:
        fsync_dir(directory)
    return report


def _is_day(name: str) -> bool:
    try:
        return dt.date.fromisoformat(name).isoformat() == name
    except ValueError:
        return False


def expire_quarantine(root: Path, days: int, now: float | None = None) -> tuple[int, int]:
    """Delete the quarantine's day directories older than `days`; returns (files, bytes)."""
    today = quarantine_day(root, now).name
    oldest_kept = (dt.date.fromisoformat(today) - dt.timedelta(days=days)).isoformat()
    files = size = 0
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except FileNotFoundError:
        return 0, 0
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False) or not _is_day(entry.name):
            continue  # not a directory the sweep made: someone else's, left alone
        if entry.name >= oldest_kept:
            continue
        for dirpath, dirs, names in os.walk(entry.path, topdown=False):
            for name in names:
                path = os.path.join(dirpath, name)
                size += os.lstat(path).st_size
                os.unlink(path)
                files += 1
            for name in dirs:
                os.rmdir(os.path.join(dirpath, name))
        os.rmdir(entry.path)
    return files, size


def quarantine_usage(root: Path) -> tuple[int, int]:
    """Files and bytes held in the quarantine."""
    files = size = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            try:
                size += os.lstat(os.path.join(dirpath, name)).st_size
            except FileNotFoundError:
                continue
            files += 1
    return files, size
