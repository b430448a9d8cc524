"""The CLI's storage jobs: `gymhub cleanup [--dry-run] [--force]` and `gymhub stats`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gymhub.config import Config
from gymhub.data import meta
from gymhub.data.db import connect_sync, migrate, run_write
from gymhub.storage import stats
from gymhub.storage.layout import Layout
from gymhub.storage.sweep import (
    SweepReport,
    SweepRules,
    expire_quarantine,
    list_candidates,
    quarantine_usage,
    sweep_locked,
)


def _require_data_dir(config: Config) -> bool:
    if not config.db_path.is_file():
        print(f"gymhub: no database in {config.data_dir} (pass --data-dir)", file=sys.stderr)
        return False
    return True


def cleanup(config: Config, dry_run: bool, force: bool = False) -> SweepReport:
    """Sweep orphans older than orphan_max_age (safe while the server runs: same write lock)."""
    layout = Layout(config.media_dir)
    listing = list_candidates(layout, config.orphan_max_age)
    conn = connect_sync(config.db_path)
    try:
        migrate(conn)
        rules = SweepRules(
            meta.clean_shutdown_at(conn),
            config.sweep_max_share,
            force=force,
            dry_run=dry_run,
        )
        return run_write(conn, lambda c: sweep_locked(c, listing, rules, layout.quarantine))
    finally:
        conn.close()


def cleanup_command(config: Config, dry_run: bool, force: bool = False) -> int:
    """Print what the sweep did (or would do); 1 when it refused for too large a share."""
    if not _require_data_dir(config):
        return 1
    report = cleanup(config, dry_run, force)
    if report.refused:
        print(
            f"gymhub: {report.refused} files without a row are more than sweep_max_share "
            f"({config.sweep_max_share}) of the store's {report.store_files} files; nothing "
            "was moved. Check the database first (`gymhub check`); `gymhub cleanup --force` "
            "moves them into uploads/.quarantine anyway.",
            file=sys.stderr,
        )
        return 1
    would = "would " if dry_run else ""
    for name in report.quarantined:
        print(f"{would}quarantine {name}")
    for name in report.removed:
        print(f"{would}remove {name}")
    print(
        f"{would}{'quarantine' if dry_run else 'quarantined'} {len(report.quarantined)} files, "
        f"{would}{'remove' if dry_run else 'removed'} {len(report.removed)} files, "
        f"{report.bytes} bytes"
    )
    if not dry_run:
        files, size = expire_quarantine(layout_quarantine(config), config.quarantine_days)
        if files:
            print(f"deleted {files} expired quarantined files, {size} bytes")
    return 0


def layout_quarantine(config: Config) -> Path:
    """Where the sweep moves files without a row."""
    return Layout(config.media_dir).quarantine


def stats_command(config: Config) -> int:
    """Print the whole store's statistics as JSON (the admin's GET /api/files/media/stats)."""
    if not _require_data_dir(config):
        return 1
    conn = connect_sync(config.db_path)
    try:
        migrate(conn)
        result = stats.usage(conn, None)
    finally:
        conn.close()
    result["disk"] = stats.disk(config.media_dir if config.media_dir.is_dir() else config.data_dir)
    files, size = quarantine_usage(layout_quarantine(config))
    result["quarantine"] = {"files": files, "bytes": size, "days": config.quarantine_days}
    print(json.dumps(result, indent=2))
    return 0
