"""The orphan sweep: start-up, hourly/admin/CLI, and the row check under the write lock."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gymhub.cli import main
from gymhub.config import Config
from gymhub.data.db import utcnow
from gymhub.server import make_app
from gymhub.storage.maintenance import cleanup_command, stats_command
from gymhub.storage.sweep import SweepRules, list_candidates, sweep_locked
from gymhub.web.appkeys import db_key, storage_key
from tests import imaging_samples as samples
from tests.support import bearer, error_of, make_config
from tests.test_files_kit import uploaded

ORPHAN = "ab" * 16


def age(path: Path, seconds: float = 7200) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def plant(media: Path) -> list[Path]:
    """Files a crash could leave: a placed original and variant with no row, temp parts."""
    paths = [
        media / "meal_photos" / f"{ORPHAN}.jpg",
        media / "thumbnails" / f"{ORPHAN}_thumbnail.jpg",
        media / "temp" / f"{'cd' * 16}.part",
        media / "temp" / f"{'cd' * 16}_large.jpg",
    ]
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"left over")
    return paths


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """As conftest's, but a sweep may take the whole (tiny) store: the share has its own tests."""
    return make_config(tmp_path, sweep_max_share=1.0)


def boot(config: Config) -> None:
    """Start the app (schema, tree, start-up sweep) and stop it cleanly, like a serve run."""

    async def run() -> None:
        runner = web.AppRunner(make_app(config))
        await runner.setup()
        await runner.cleanup()

    asyncio.run(run())


def quarantined(media: Path) -> list[str]:
    """'dir/name' of every quarantined file."""
    return sorted(f"{p.parent.name}/{p.name}" for p in (media / ".quarantine").rglob("*.*"))


def test_startup_quarantines_rowless_files_and_deletes_a_crashed_runs_leftovers(
    config: Config,
) -> None:
    boot(config)  # records a clean shutdown
    planted = plant(config.media_dir)
    for p in planted:
        age(p)  # from before the clean shutdown: not a crash leftover
    leftover = config.media_dir / "meal_photos" / f"{'ee' * 16}.jpg"
    leftover.write_bytes(b"written by a run that crashed")
    boot(config)
    assert not any(p.exists() for p in planted) and not leftover.exists()
    # Placed files go to the quarantine; temp files and the crashed run's file are deleted.
    assert quarantined(config.media_dir) == [
        f"meal_photos/{ORPHAN}.jpg",
        f"thumbnails/{ORPHAN}_thumbnail.jpg",
    ]
    day_dirs = list((config.media_dir / ".quarantine").iterdir())
    assert [d.name for d in day_dirs] == [time.strftime("%Y-%m-%d", time.gmtime())]


def test_without_a_recorded_clean_shutdown_nothing_is_taken_for_a_leftover(
    config: Config,
) -> None:
    boot(config)
    conn = sqlite3.connect(config.db_path)
    conn.execute("DELETE FROM meta WHERE key = 'clean_shutdown_at'")  # as after a crash
    conn.commit()
    conn.close()
    fresh = config.media_dir / "documents" / f"{'ee' * 16}.pdf"
    fresh.write_bytes(b"%PDF new")
    boot(config)
    assert quarantined(config.media_dir) == [f"documents/{fresh.name}"]


def test_a_sweep_over_the_share_does_nothing_until_forced(
    config: Config, caplog: Any, capsys: Any
) -> None:
    config = dataclasses.replace(config, sweep_max_share=0.1)
    boot(config)
    planted = plant(config.media_dir)[:2]  # two placed files, no row: 100% of the store
    for p in planted:
        age(p)
    with caplog.at_level(logging.WARNING, logger="gymhub.storage"):
        boot(config)
    assert all(p.exists() for p in planted)
    assert any(
        r.levelno == logging.WARNING and "gymhub cleanup --force" in r.getMessage()
        for r in caplog.records
    )
    data_dir = ["--data-dir", str(config.data_dir)]  # the default share, 0.1, as above
    umask = os.umask(0o077)  # main() sets 077 for the process: given back after
    try:
        assert main(["cleanup", *data_dir]) == 1
        assert "--force" in capsys.readouterr().err and all(p.exists() for p in planted)
        assert main(["cleanup", "--force", *data_dir]) == 0
    finally:
        os.umask(umask)
    assert not any(p.exists() for p in planted)
    assert len(quarantined(config.media_dir)) == 2


def test_the_quarantine_expires_after_quarantine_days(config: Config) -> None:
    boot(config)
    root = config.media_dir / ".quarantine"
    old_day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 40 * 86400))
    recent_day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 2 * 86400))
    for day in (old_day, recent_day):
        (root / day / "documents").mkdir(parents=True)
        (root / day / "documents" / f"{ORPHAN}.pdf").write_bytes(b"%PDF")
    (root / "notes").mkdir()  # not a day the sweep made: never touched
    boot(config)
    assert sorted(p.name for p in root.iterdir()) == sorted([recent_day, "notes"])


async def test_admin_cleanup_spares_live_files_and_young_orphans(
    client: TestClient, app: web.Application, people: dict[str, Any], tmp_path: Path
) -> None:
    png = samples.make_png(tmp_path / "l.png", size=(30, 30)).read_bytes()
    live = await uploaded(client, people["client"]["token"], png)
    media = app[storage_key].layout.root
    for p in media.rglob("*"):
        if p.is_file():
            age(p)  # live files as old as orphans: only the row check tells them apart
    planted = plant(media)
    for p in planted[:3]:
        age(p)
    young = planted[3]
    admin = bearer(people["admin"])
    resp = await client.post("/api/files/media/cleanup?dry_run=1", headers=admin)
    report = await resp.json()
    assert report["dry_run"] is True and sorted(report["removed"]) == sorted(
        f"{p.parent.name}/{p.name}" for p in planted[:3]
    )
    assert all(p.exists() for p in planted)
    resp = await client.post("/api/files/media/cleanup", headers=admin)
    report = await resp.json()
    assert report["dry_run"] is False and len(report["removed"]) == 3
    assert report["bytes"] == 3 * len(b"left over")
    assert not any(p.exists() for p in planted[:3]) and young.exists()
    assert quarantined(media) == sorted(f"{p.parent.name}/{p.name}" for p in planted[:2])
    resp = await client.get(live["original_url"], headers=bearer(people["client"]["token"]))
    assert resp.status == 200 and await resp.read() == png
    resp = await client.post("/api/files/media/cleanup", headers=bearer(people["trainer"]["token"]))
    await error_of(resp, 403, "forbidden")
    resp = await client.post("/api/files/media/cleanup?dry_run=maybe", headers=admin)
    await error_of(resp, 400, "invalid_request")


async def test_a_stale_listing_never_deletes_a_file_committed_since(
    client: TestClient, app: web.Application, people: dict[str, Any]
) -> None:
    media = app[storage_key].layout.root
    fid = "ef" * 16
    placed = media / "documents" / f"{fid}.pdf"
    placed.write_bytes(b"%PDF-1.4 placed before its commit")
    age(placed)
    listing = list_candidates(app[storage_key].layout, 3600)
    assert [c.name for c in listing.candidates] == [f"documents/{fid}.pdf"]
    owner = people["client"]["id"]

    def commit(conn: Any) -> None:  # the upload's commit lands between listing and sweep
        conn.execute(
            "INSERT INTO files (id, owner_id, uploaded_by, category, mime, ext, size, sha256,"
            " created_at) VALUES (?, ?, ?, 'documents', 'application/pdf', 'pdf', 10, 'x', ?)",
            (fid, owner, owner, utcnow()),
        )

    await app[db_key].write(commit)
    rules = SweepRules(None, max_share=1.0)
    quarantine = app[storage_key].layout.quarantine
    report = await app[db_key].write(lambda conn: sweep_locked(conn, listing, rules, quarantine))
    assert report.taken == [] and placed.exists()


@pytest.mark.parametrize("dry_run", [True, False])
def test_cli_cleanup_and_stats(config: Config, dry_run: bool, capsys: Any) -> None:
    boot(config)
    planted = plant(config.media_dir)
    for p in planted:
        age(p)
    assert cleanup_command(config, dry_run=dry_run) == 0
    out = capsys.readouterr().out
    if dry_run:
        assert "would quarantine 2 files, would remove 2 files" in out
    else:
        assert "quarantined 2 files, removed 2 files" in out
    assert all(p.exists() for p in planted) is dry_run
    assert stats_command(config, as_json=True) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["total_files"] == 0
    expected = {"files": 0, "bytes": 0} if dry_run else {"files": 2, "bytes": 18}
    assert result["quarantine"] == {**expected, "days": 30}
    # For a person: aligned lines with counts and sizes.
    assert stats_command(config) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["files", "0"]
    quarantined = "2   18 B (kept 30 days)" if not dry_run else "0   0 B (kept 30 days)"
    assert any(line.startswith("quarantine") and quarantined in line for line in lines), lines
