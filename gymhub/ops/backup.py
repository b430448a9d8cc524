"""`gymhub backup DEST`: a consistent copy of the database, the media its rows name, and the key.

The database is copied with SQLite's online backup API (one step: one read snapshot, while the
server goes on writing), then the media list is read from that copy, so what is copied is exactly
what the snapshot references. The server deletes the row first and the files after, so a row in
the snapshot whose file has vanished belongs to a file deleted after the snapshot: that row is
dropped from the copy, in one transaction, and reported. `restore_command` lives in ops.restore.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gymhub import __version__
from gymhub.config import Config
from gymhub.data import files, integrity
from gymhub.data.db import connect_sync, run_write, utcnow
from gymhub.ops.media import (
    DATABASE,
    FORMAT,
    FORMAT_VERSION,
    KEY,
    MANIFEST,
    UPLOADS,
    OpsError,
    Stored,
    copy_file,
    fsync_tree,
    hash_file,
    human,
    media_rows,
    require_empty,
    write_new,
)
from gymhub.ops.restore import restore_command
from gymhub.storage.layout import Layout

__all__ = ["BackupReport", "OpsError", "backup", "backup_command", "restore_command"]


@dataclass
class BackupReport:
    """What a backup holds, and what it had to leave out or flag."""

    dest: Path
    schema_version: int = 0
    originals: int = 0
    variants: int = 0
    bytes_originals: int = 0
    bytes_variants: int = 0
    bytes_database: int = 0
    dropped: list[str] = field(default_factory=list)
    damaged: list[dict[str, str]] = field(default_factory=list)
    key: bool = False


def _inside(child: Path, parent: Path) -> bool:
    child, parent = child.resolve(), parent.resolve()
    return child == parent or parent in child.parents


def _snapshot(config: Config, target: Path) -> sqlite3.Connection:
    """Copy the live database into target in one backup step; the copy is left in rollback mode."""
    source = connect_sync(config.db_path)
    dest = sqlite3.connect(target, isolation_level=None)
    try:
        # pages=-1 (the default): one step, so the copy is one read snapshot of the source.
        source.backup(dest)
    finally:
        source.close()
    integrity.make_standalone(dest)
    return dest


def _copy_media(
    config: Config, rows: list[Stored], dest: Path, report: BackupReport
) -> dict[str, str]:
    """Copy every file the rows name; note vanished ids and files that do not match their row."""
    copied: dict[str, list[tuple[Stored, Path, int, str]]] = {}
    gone: set[str] = set()
    for item in rows:
        if item.file_id in gone:
            continue
        target = dest / UPLOADS / item.name
        try:
            size, sha = copy_file(config.media_dir / item.name, target)
        except FileNotFoundError:
            gone.add(item.file_id)
            for _item, path, _size, _sha in copied.pop(item.file_id, []):
                path.unlink()
            continue
        copied.setdefault(item.file_id, []).append((item, target, size, sha))
    checksums: dict[str, str] = {}
    for entries in copied.values():
        for item, _path, size, sha in entries:
            checksums[item.name] = sha
            if size != item.size:
                reason = f"{size} bytes, its row says {item.size}"
                report.damaged.append({"name": item.name, "reason": reason})
            elif item.sha256 is not None and sha != item.sha256:
                report.damaged.append({"name": item.name, "reason": "sha256 differs from its row"})
            if item.sha256 is None:
                report.variants += 1
                report.bytes_variants += size
            else:
                report.originals += 1
                report.bytes_originals += size
    report.dropped = sorted(gone)
    return checksums


def _drop_rows(conn: sqlite3.Connection, ids: list[str]) -> None:
    """One transaction: rows of files deleted after the snapshot (variants go by cascade)."""
    run_write(conn, lambda c: files.delete_files(c, ids))


def backup(config: Config, dest: Path) -> BackupReport:
    """Write a complete backup into dest (new or empty); the manifest is written last."""
    if not config.db_path.is_file():
        raise OpsError(f"no database in {config.data_dir} (pass --data-dir)")
    require_empty(dest, "backup directory")
    if _inside(dest, config.data_dir):
        raise OpsError(f"backup directory {dest} is inside the data directory")
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    report = BackupReport(dest)
    conn = _snapshot(config, dest / DATABASE)
    try:
        Layout(dest / UPLOADS).create()
        rows = media_rows(conn)
        checksums = _copy_media(config, rows, dest, report)
        if report.dropped:
            _drop_rows(conn, report.dropped)
        check = integrity.integrity_check(conn)[0]
        if check != "ok":
            raise OpsError(f"the database copy failed its integrity check: {check}")
        report.schema_version = integrity.schema_version(conn)
        tables = integrity.table_counts(conn)
    finally:
        conn.close()
    os.chmod(dest / DATABASE, 0o600)  # password hashes: as private as the key
    report.bytes_database, checksums[DATABASE] = hash_file(dest / DATABASE)
    if config.key_path.is_file():
        write_new(dest / KEY, config.key_path.read_bytes(), 0o600)
        checksums[KEY] = hash_file(dest / KEY)[1]
        report.key = True
    _write_manifest(dest, report, tables, checksums)
    fsync_tree(dest)
    return report


def _write_manifest(
    dest: Path, report: BackupReport, tables: dict[str, int], checksums: dict[str, str]
) -> None:
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "gymhub_version": __version__,
        "created_at": utcnow(),
        "schema_version": report.schema_version,
        "counts": {"files": report.originals, "variants": report.variants, "tables": tables},
        "bytes": {
            "database": report.bytes_database,
            "originals": report.bytes_originals,
            "variants": report.bytes_variants,
            "total": report.bytes_database + report.bytes_originals + report.bytes_variants,
        },
        "dropped_after_snapshot": report.dropped,
        "damaged": report.damaged,
        "checksums": dict(sorted(checksums.items())),
    }
    partial = dest / (MANIFEST + ".partial")
    write_new(partial, json.dumps(manifest, indent=2).encode() + b"\n", 0o600)
    os.replace(partial, dest / MANIFEST)


def backup_command(config: Config, path: Path) -> int:
    """The CLI's `gymhub backup DEST`: 0 when complete and clean, 1 on refusal or damage found."""
    try:
        report = backup(config, path)
    except OpsError as exc:
        print(f"gymhub: {exc}", file=sys.stderr)
        return 1
    total = report.bytes_database + report.bytes_originals + report.bytes_variants
    print(
        f"backup of {config.data_dir} written to {report.dest}: schema {report.schema_version}, "
        f"{report.originals} files and {report.variants} variants, {human(total)} in all"
    )
    if report.dropped:
        print(
            f"left out {len(report.dropped)} files deleted while the backup ran "
            f"(their rows were removed from the copy): {', '.join(report.dropped)}"
        )
    if not report.key:
        print("warning: no secret.key in the data directory; a restore will make a new one")
    if report.damaged:
        for item in report.damaged:
            print(f"DAMAGED {item['name']}: {item['reason']}", file=sys.stderr)
        print(
            f"gymhub: {len(report.damaged)} files do not match their rows (copied as they are, "
            "listed in the manifest); run `gymhub check`",
            file=sys.stderr,
        )
        return 1
    return 0
