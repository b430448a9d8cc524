"""`gymhub restore SRC`: a backup into a new or empty data directory, verified as it is copied.

Every copied file is hashed on the way and compared with its row (size, and sha256 for
originals) and with the manifest's checksum. Any mismatch, missing file or count that differs
from the manifest fails the restore, and everything it wrote is removed again: a data directory
is either restored whole or left as it was (empty).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gymhub import datadir
from gymhub.config import Config
from gymhub.data import integrity, meta
from gymhub.data.db import run_write
from gymhub.ops.media import (
    DATABASE,
    FORMAT,
    FORMAT_VERSION,
    KEY,
    MANIFEST,
    UPLOADS,
    OpsError,
    copy_file,
    fsync_tree,
    human,
    media_rows,
    newest_schema,
    require_empty,
)
from gymhub.storage.layout import Layout


@dataclass
class RestoreReport:
    """What was restored, and what was wrong with it."""

    files: int = 0
    variants: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_manifest(src: Path) -> dict[str, Any]:
    """The backup's manifest, checked for format, version and a schema this gymhub knows."""
    if not src.is_dir():
        raise OpsError(f"no backup directory at {src}")
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OpsError(
            f"no {MANIFEST} in {src}: not a gymhub backup, or one that did not finish"
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise OpsError(f"{src / MANIFEST} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise OpsError(f"{src / MANIFEST} is not a gymhub backup manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise OpsError(f"backup format version {manifest.get('version')!r} is not supported")
    schema = manifest.get("schema_version")
    if not isinstance(schema, int) or schema > newest_schema():
        raise OpsError(
            f"the backup has schema version {schema!r}; this gymhub knows up to "
            f"{newest_schema()}: restore it with a newer gymhub"
        )
    for key in ("checksums", "counts"):
        if not isinstance(manifest.get(key), dict):
            raise OpsError(f"{src / MANIFEST} has no {key!r}")
    return manifest


def _copy_checked(
    src: Path, dst: Path, name: str, want: str | None, report: RestoreReport, mode: int = 0o600
) -> tuple[int, str] | None:
    try:
        size, sha = copy_file(src, dst, mode)
    except FileNotFoundError:
        report.problems.append(f"{name}: missing from the backup")
        return None
    if want is None:
        report.problems.append(f"{name}: not listed in the manifest")
    elif sha != want:
        report.problems.append(f"{name}: sha256 differs from the manifest")
    report.bytes += size
    return size, sha


def _restore_database(
    src: Path, target: Path, manifest: dict[str, Any], report: RestoreReport
) -> bool:
    sums = manifest["checksums"]
    if (
        _copy_checked(src / DATABASE, target / DATABASE, DATABASE, sums.get(DATABASE), report)
        is None
    ):
        return False
    conn = sqlite3.connect(target / DATABASE, isolation_level=None)
    try:
        check = integrity.integrity_check(conn)[0]
        version = integrity.schema_version(conn)
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"{DATABASE}: not a usable SQLite database ({exc})")
        return False
    finally:
        conn.close()
    if check != "ok":
        report.problems.append(f"{DATABASE}: integrity check failed: {check}")
    if version != manifest["schema_version"]:
        report.problems.append(
            f"{DATABASE}: schema version {version}, the manifest says {manifest['schema_version']}"
        )
    return not report.problems


def _restore_media(
    src: Path, target: Path, manifest: dict[str, Any], report: RestoreReport
) -> None:
    sums = manifest["checksums"]
    damaged = {d.get("name") for d in manifest.get("damaged", []) if isinstance(d, dict)}
    conn = sqlite3.connect(target / DATABASE, isolation_level=None)
    try:
        rows = media_rows(conn)
    finally:
        conn.close()
    Layout(target / UPLOADS).create()
    for item in rows:
        name = f"{UPLOADS}/{item.name}"
        got = _copy_checked(
            src / UPLOADS / item.name,
            target / UPLOADS / item.name,
            name,
            sums.get(item.name),
            report,
        )
        if got is None:
            continue
        size, sha = got
        wrong = size != item.size or (item.sha256 is not None and sha != item.sha256)
        if wrong and item.name in damaged:
            report.warnings.append(f"{name}: restored as backed up, already damaged then")
        elif wrong:
            report.problems.append(f"{name}: does not match its row (size or sha256)")
        if item.sha256 is None:
            report.variants += 1
        else:
            report.files += 1
    counts = manifest["counts"]
    if (report.files, report.variants) != (counts.get("files"), counts.get("variants")):
        report.problems.append(
            f"the database names {report.files} files and {report.variants} variants, "
            f"the manifest {counts.get('files')} and {counts.get('variants')}"
        )


def _restore_key(src: Path, target: Path, manifest: dict[str, Any], report: RestoreReport) -> None:
    want = manifest["checksums"].get(KEY)
    if want is None:
        report.warnings.append(
            "the backup has no secret.key: a new one is made at start, so everyone logs in again"
        )
        return
    _copy_checked(src / KEY, target / KEY, KEY, want, report, mode=0o600)


def _wipe(target: Path, created: bool) -> None:
    """Undo a failed restore: the target was empty (or absent) before it began."""
    for entry in target.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    if created:
        target.rmdir()


def restore(config: Config, src: Path) -> RestoreReport:
    """Restore src into config.data_dir (new or empty); raises OpsError when anything is wrong."""
    manifest = read_manifest(src)
    target = config.data_dir
    require_empty(target, "data directory")
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    report = RestoreReport()
    try:
        if _restore_database(src, target, manifest, report):
            _restore_media(src, target, manifest, report)
            _restore_key(src, target, manifest, report)
    except BaseException:
        _wipe(target, created)
        raise
    if report.problems:
        _wipe(target, created)
        return report
    try:
        _bind_identity(target)
    except BaseException:
        _wipe(target, created)
        raise
    fsync_tree(target)
    return report


def _bind_identity(target: Path) -> None:
    """Give the restored tree the database's id, and forget the source's last clean shutdown:
    files someone copies in later must be quarantined by the sweep, never taken for a crashed
    run's leftovers."""
    conn = sqlite3.connect(target / DATABASE, isolation_level=None)
    try:
        data_dir_id = meta.get(conn, meta.DATA_DIR_ID)
        if meta.has_meta_table(conn):
            run_write(conn, lambda c: meta.delete(c, meta.CLEAN_SHUTDOWN_AT))
    finally:
        conn.close()
    if data_dir_id is not None:  # a backup from before ids: adopted at the first start
        datadir.write_tree_id(target / UPLOADS, data_dir_id)


def restore_command(config: Config, path: Path) -> int:
    """The CLI's `gymhub restore SRC`: 0 when restored and verified, 1 otherwise."""
    try:
        report = restore(config, path)
    except OpsError as exc:
        print(f"gymhub: {exc}", file=sys.stderr)
        return 1
    for warning in report.warnings:
        print(f"warning: {warning}")
    if report.problems:
        for problem in report.problems:
            print(f"MISMATCH {problem}", file=sys.stderr)
        print(
            f"gymhub: the backup in {path} failed verification ({len(report.problems)} problems);"
            f" nothing was restored into {config.data_dir}",
            file=sys.stderr,
        )
        return 1
    print(
        f"restored {path} into {config.data_dir}: {report.files} files and {report.variants} "
        f"variants, {human(report.bytes)}, every file verified"
    )
    if os.geteuid() == 0:
        print(
            f"note: the files belong to root; `chown -R gymhub:gymhub {config.data_dir}` "
            "before starting the service"
        )
    return 0
