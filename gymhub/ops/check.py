"""`gymhub check`: verify a data directory, read-only, safe while the server runs.

Schema version, SQLite's integrity and foreign-key checks, the data-dir identity (database and
media tree agree), every row's files (present, right size, originals' sha256), files no row
names (orphans, stale temp files), the quarantine, symbolic links in the media tree, and the
permissions of the secret key, the database, the media and the directories. A file that looks
missing or wrong is looked up again before it is reported, since the server may have deleted
its row meanwhile (row first, files after).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from gymhub import datadir
from gymhub.config import Config
from gymhub.data import files, integrity
from gymhub.data.catalogue import CATEGORIES
from gymhub.ops.media import Stored, hash_file, human, media_rows, newest_schema
from gymhub.storage.layout import QUARANTINE, TEMP, THUMBNAILS
from gymhub.storage.sweep import quarantine_usage

# An upload places its files a few milliseconds before its row commits; files younger than
# this without a row are in flight, not orphans.
IN_FLIGHT_GRACE = 120.0


@dataclass
class CheckReport:
    """Lines of the report: what passed, what is wrong (exit 1), what deserves a look."""

    ok: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Worth fixing, but the data is whole: printed, without failing the check.
    warnings: list[str] = field(default_factory=list)


def _database(conn: sqlite3.Connection, report: CheckReport) -> bool:
    version = integrity.schema_version(conn)
    newest = newest_schema()
    if version == newest:
        report.ok.append(f"schema version {version} (the newest)")
    elif version < newest:
        report.problems.append(
            f"schema version {version}, this gymhub's newest is {newest} "
            "(start the server once to migrate)"
        )
    else:
        report.problems.append(f"schema version {version} is newer than this gymhub ({newest})")
    result = integrity.integrity_check(conn)
    if result == ["ok"]:
        report.ok.append("database integrity check: ok")
    else:
        report.problems.extend(f"database integrity: {line}" for line in result[:20])
    broken = integrity.foreign_key_violations(conn)
    if broken:
        report.problems.append(f"{len(broken)} rows break foreign keys (first in {broken[0][0]})")
    elif version >= 5 and (dangling := integrity.dangling_about(conn)):
        report.problems.append(f"{dangling} notifications are about users who no longer exist")
    return result == ["ok"] and version <= newest


def _verify(media: Path, item: Stored) -> str | None:
    """What is wrong with one stored file, or None."""
    path = media / item.name
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    if st.st_size != item.size:
        return f"{st.st_size} bytes, its row says {item.size}"
    if item.sha256 is not None and hash_file(path)[1] != item.sha256:
        return "sha256 differs from its row (corrupted)"
    return None


def _files(conn: sqlite3.Connection, media: Path, report: CheckReport) -> set[str]:
    rows = media_rows(conn)
    originals = sum(1 for r in rows if r.sha256 is not None)
    size = 0
    bad = 0
    for item in rows:
        wrong = _verify(media, item)
        if wrong is not None and files.file_exists(conn, item.file_id):
            report.problems.append(f"uploads/{item.name}: {wrong}")
            bad += 1
        size += item.size
    if bad == 0:
        report.ok.append(
            f"{originals} files and {len(rows) - originals} variants present and intact "
            f"({human(size)}, originals' sha256 verified)"
        )
    return {r.name for r in rows}


def _tree(
    conn: sqlite3.Connection, media: Path, known: set[str], config: Config, report: CheckReport
) -> None:
    now = time.time()
    orphans: list[str] = []
    in_flight = 0
    for directory in (*CATEGORIES, THUMBNAILS, TEMP):
        try:
            entries = list(os.scandir(media / directory))
        except FileNotFoundError:
            continue
        for entry in entries:
            name = f"{directory}/{entry.name}"
            try:
                age = now - entry.stat(follow_symlinks=False).st_mtime
            except FileNotFoundError:
                continue
            if directory == TEMP:
                if age > config.orphan_max_age:
                    orphans.append(name)
                else:
                    in_flight += 1
            elif name not in known:
                if age > IN_FLIGHT_GRACE:
                    orphans.append(name)
                else:
                    in_flight += 1
    # A row committed after the listing above names its files now: look again.
    orphans = [n for n in orphans if not _named_now(conn, n)]
    if orphans:
        for name in orphans[:50]:
            report.problems.append(f"uploads/{name}: no row names it (orphan)")
        if len(orphans) > 50:
            report.problems.append(f"... and {len(orphans) - 50} more orphans")
        report.notes.append("`gymhub cleanup` removes orphans (`--dry-run` lists them first)")
    else:
        report.ok.append("no orphaned or stale files")
    if in_flight:
        report.notes.append(f"{in_flight} recent files without a row yet (uploads in flight)")


def _named_now(conn: sqlite3.Connection, name: str) -> bool:
    directory, _, filename = name.partition("/")
    if directory == TEMP:
        return False
    stem = filename.split(".", 1)[0].split("_", 1)[0]
    return name in files.live_media_names(conn, [stem])


def _permissions(config: Config, report: CheckReport) -> None:
    key = config.key_path
    try:
        mode = stat.S_IMODE(key.stat().st_mode)
    except FileNotFoundError:
        report.problems.append(f"{key.name}: missing (tokens and cookies cannot be checked)")
    else:
        if mode & 0o077:
            report.problems.append(f"{key.name}: mode {mode:04o}, must be 0600 (chmod 600 {key})")
        else:
            report.ok.append(f"{key.name}: mode {mode:04o}")
    writable = []
    for directory in (config.data_dir, config.media_dir):
        try:
            mode = stat.S_IMODE(directory.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o002:
            writable.append(f"{directory} (mode {mode:04o})")
    if writable:
        report.problems.extend(f"world-writable: {d}" for d in writable)
    else:
        report.ok.append("data directory not world-writable")


def _identity(config: Config, report: CheckReport) -> None:
    reason = datadir.mismatch(config.db_path, config.media_dir)
    if reason is not None:
        report.problems.append(
            f"data-dir identity: {reason}; `gymhub serve` refuses to start on this "
            "(restore the database with `gymhub restore`)"
        )
        return
    carried = datadir.tree_id(config.media_dir)
    if carried is None:
        report.notes.append("the media tree has no data-dir id yet: the next start writes it")
    else:
        report.ok.append(f"data-dir identity {carried}: the database and the media tree agree")


def _quarantine(config: Config, report: CheckReport) -> None:
    count, size = quarantine_usage(config.media_dir / QUARANTINE)
    if count:
        report.notes.append(
            f"quarantine: {count} files without a row, {human(size)}, in "
            f"{config.media_dir / QUARANTINE} (deleted after quarantine_days = "
            f"{config.quarantine_days}; move one back to restore it)"
        )
    else:
        report.ok.append("quarantine: empty")


def _symlinks(media: Path, report: CheckReport) -> None:
    found: list[str] = []
    for dirpath, dirs, names in os.walk(media):
        for name in (*dirs, *names):
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                found.append(os.path.relpath(path, media.parent))
    for name in found[:50]:
        report.problems.append(
            f"{name}: a symbolic link in the media tree (never served: remove it, rm {name})"
        )
    if not found:
        report.ok.append("no symbolic links in the media tree")


def _loose(path: Path) -> int | None:
    """The mode of path when group or others have any access to it, else None."""
    try:
        mode = stat.S_IMODE(path.lstat().st_mode)
    except FileNotFoundError:
        return None
    return mode if mode & 0o077 else None


def _modes(config: Config, report: CheckReport) -> None:
    loose = False
    mode = _loose(config.data_dir)
    if mode is not None:
        loose = True
        report.warnings.append(
            f"{config.data_dir}: mode {mode:04o}, others can look inside "
            f"(chmod 700 {config.data_dir})"
        )
    for suffix in ("", "-wal", "-shm"):
        path = config.db_path.with_name(config.db_path.name + suffix)
        mode = _loose(path)
        if mode is not None:
            loose = True
            report.warnings.append(
                f"{path}: mode {mode:04o}, others can read password hashes and messages "
                f"(chmod 600 {path})"
            )
    media: list[str] = []
    for dirpath, dirs, names in os.walk(config.media_dir):
        for name in (*dirs, *names):
            path = Path(dirpath, name)
            if _loose(path) is not None and not path.is_symlink():
                media.append(str(path))
    if media:
        loose = True
        report.warnings.append(
            f"{len(media)} media files or directories are open to others, e.g. {media[0]} "
            f"(chmod -R go= {config.media_dir})"
        )
    if not loose:
        report.ok.append("the database and the media are private to their owner")


def check(config: Config) -> CheckReport:
    """Run every check; the report says what passed and what is wrong."""
    report = CheckReport()
    _modes(config, report)
    _symlinks(config.media_dir, report)
    _quarantine(config, report)
    _identity(config, report)
    state = datadir.inspect_db(config.db_path)
    if state.kind in ("missing", "empty"):
        report.problems.append(f"the database {config.db_path} is {state.kind}")
        return report
    conn = integrity.open_readonly(config.db_path)
    try:
        if _database(conn, report):
            known = _files(conn, config.media_dir, report)
            _tree(conn, config.media_dir, known, config, report)
    finally:
        conn.close()
    _permissions(config, report)
    return report


def check_command(config: Config) -> int:
    """The CLI's `gymhub check`: prints the report; 0 when all is well, 1 otherwise."""
    try:
        report = check(config)
    except sqlite3.DatabaseError as exc:
        print(f"gymhub: {config.db_path} cannot be read as a database: {exc}", file=sys.stderr)
        return 1
    print(f"gymhub check of {config.data_dir}")
    for line in report.ok:
        print(f"  ok    {line}")
    for line in report.problems:
        print(f"  FAIL  {line}")
    for line in report.warnings:
        print(f"  WARN  {line}")
    for line in report.notes:
        print(f"  note  {line}")
    if report.problems:
        print(f"{len(report.problems)} problems found")
        return 1
    print("all checks passed")
    return 0
