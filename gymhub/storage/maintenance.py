"""The CLI's storage jobs: `gymhub cleanup [--dry-run]` and `gymhub stats`."""

from __future__ import annotations

import json
import sys

from gymhub.config import Config
from gymhub.data.db import connect_sync, migrate, run_write
from gymhub.storage import stats
from gymhub.storage.layout import Layout
from gymhub.storage.sweep import SweepReport, list_candidates, sweep_locked


def _require_data_dir(config: Config) -> bool:
    if not config.db_path.is_file():
        print(f"gymhub: no database in {config.data_dir} (pass --data-dir)", file=sys.stderr)
        return False
    return True


def cleanup(config: Config, dry_run: bool) -> SweepReport:
    """Sweep orphans older than orphan_max_age (safe while the server runs: same write lock)."""
    layout = Layout(config.media_dir)
    candidates = list_candidates(layout, config.orphan_max_age)
    conn = connect_sync(config.db_path)
    try:
        migrate(conn)
        return run_write(conn, lambda c: sweep_locked(c, candidates, dry_run))
    finally:
        conn.close()


def cleanup_command(config: Config, dry_run: bool) -> int:
    """Print what the sweep removed (or would remove); exit status 0."""
    if not _require_data_dir(config):
        return 1
    report = cleanup(config, dry_run)
    verb = "would remove" if dry_run else "removed"
    for name in report.removed:
        print(f"{verb} {name}")
    print(f"{verb} {len(report.removed)} files, {report.bytes} bytes")
    return 0


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
    print(json.dumps(result, indent=2))
    return 0
