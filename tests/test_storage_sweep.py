"""The orphan sweep: start-up, hourly/admin/CLI, and the row check under the write lock."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gymhub.appkeys import db_key, storage_key
from gymhub.config import Config
from gymhub.data.db import utcnow
from gymhub.server import make_app
from gymhub.storage.maintenance import cleanup_command, stats_command
from gymhub.storage.sweep import list_candidates, sweep_locked
from tests import imaging_samples as samples
from tests.support import bearer, error_of
from tests.test_files_kit import tree_files, uploaded

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


async def test_startup_sweeps_every_rowless_file_whatever_its_age(
    aiohttp_client: Any, config: Config
) -> None:
    planted = plant(config.media_dir)  # brand new files: only the start-up sweep takes them
    client = await aiohttp_client(make_app(config))
    assert not any(p.exists() for p in planted)
    assert tree_files(client.app) == []


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
    assert [c.name for c in listing] == [f"documents/{fid}.pdf"]
    owner = people["client"]["id"]

    def commit(conn: Any) -> None:  # the upload's commit lands between listing and sweep
        conn.execute(
            "INSERT INTO files (id, owner_id, uploaded_by, category, mime, ext, size, sha256,"
            " created_at) VALUES (?, ?, ?, 'documents', 'application/pdf', 'pdf', 10, 'x', ?)",
            (fid, owner, owner, utcnow()),
        )

    await app[db_key].write(commit)
    report = await app[db_key].write(lambda conn: sweep_locked(conn, listing, False))
    assert report.removed == [] and placed.exists()


@pytest.mark.parametrize("dry_run", [True, False])
def test_cli_cleanup_and_stats(config: Config, dry_run: bool, capsys: Any) -> None:
    import asyncio

    async def boot() -> None:  # create the schema and tree like a first start
        runner = web.AppRunner(make_app(config))
        await runner.setup()
        await runner.cleanup()

    asyncio.run(boot())
    planted = plant(config.media_dir)
    for p in planted:
        age(p)
    assert cleanup_command(config, dry_run=dry_run) == 0
    out = capsys.readouterr().out
    assert f"{'would remove' if dry_run else 'removed'} 4 files" in out
    assert all(p.exists() for p in planted) is dry_run
    assert stats_command(config) == 0
    assert '"total_files": 0' in capsys.readouterr().out
