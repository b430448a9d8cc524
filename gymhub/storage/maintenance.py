"""The CLI's storage jobs: `gymhub cleanup [--dry-run] [--force]` and `gymhub stats`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

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


def human_size(size: int) -> str:
    """Bytes for a person: 512 B, 3.4 kB, 12.0 MB, 1.5 GB (decimal units, like disk labels)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def stats_lines(result: dict[str, Any]) -> list[str]:
    """The statistics as aligned lines: counts, then sizes in kB/MB/GB."""
    lines = [f"{'files':<18} {result['total_files']:>9,}   {human_size(result['total_bytes'])}"]
    for category, row in result["by_category"].items():
        lines.append(f"  {category:<16} {row['files']:>9,}   {human_size(row['bytes'])}")
    lines.append(f"{'variants':<18} {'':>9}   {human_size(result['variant_bytes'])}")
    disk, quarantine = result["disk"], result["quarantine"]
    share = disk["free_bytes"] / disk["total_bytes"] if disk["total_bytes"] else 0.0
    lines.append(
        f"{'disk free':<18} {share:>9.0%}   {human_size(disk['free_bytes'])} of "
        f"{human_size(disk['total_bytes'])}"
    )
    lines.append(
        f"{'quarantine':<18} {quarantine['files']:>9,}   {human_size(quarantine['bytes'])} "
        f"(kept {quarantine['days']} days)"
    )
    return lines


def stats_command(config: Config, as_json: bool = False) -> int:
    """Print the whole store's statistics (the admin's GET /api/files/media/stats, with the
    quarantine): aligned lines for a person, or JSON for scripts."""
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
    print(json.dumps(result, indent=2) if as_json else "\n".join(stats_lines(result)))
    return 0
