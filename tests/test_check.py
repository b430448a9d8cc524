"""`gymhub check` as a CLI subprocess against a data dir the real app is serving at the time."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from gymhub.config import Config
from gymhub.ops.media import newest_schema
from tests.support import bearer
from tests.test_backup import gymhub, unique_jpeg

HOUR_AGO = time.time() - 3600 * 2


async def check(data: Path) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(gymhub, "check", "--data-dir", data)


async def stock(client: TestClient, people: dict[str, Any], n: int = 3) -> list[dict[str, Any]]:
    made = []
    for _ in range(n):
        form = aiohttp.FormData()
        form.add_field("file", unique_jpeg(), filename="x.jpg", content_type="image/jpeg")
        resp = await client.post(
            "/api/files/upload?category=meal_photos",
            headers=bearer(people["client"]["token"]),
            data=form,
        )
        assert resp.status == 201, await resp.text()
        made.append(await resp.json())
    return made


def fails(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("FAIL")]


async def test_check_passes_on_a_healthy_live_data_dir(
    client: TestClient, people: dict[str, Any], config: Config
) -> None:
    await stock(client, people)
    # A file placed a moment ago with no row yet is an upload in flight, not an orphan.
    (config.media_dir / "meal_photos" / ("e" * 32 + ".jpg")).write_bytes(b"in flight")
    result = await check(config.data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 files and 9 variants present and intact" in result.stdout
    assert "all checks passed" in result.stdout and fails(result) == []
    assert "1 recent files without a row yet" in result.stdout


async def test_check_finds_corruption_missing_files_orphans_and_loose_modes(
    client: TestClient, people: dict[str, Any], config: Config
) -> None:
    flipped, missing, shrunk = await stock(client, people)
    media = config.media_dir
    # Same size, one byte changed: only the sha256 can tell.
    path = media / "meal_photos" / f"{flipped['id']}.jpg"
    body = bytearray(path.read_bytes())
    body[len(body) // 2] ^= 0x55
    path.write_bytes(bytes(body))
    (media / "thumbnails" / f"{missing['id']}_medium.jpg").unlink()
    (media / "meal_photos" / f"{missing['id']}.jpg").unlink()
    variant = media / "thumbnails" / f"{shrunk['id']}_thumbnail.jpg"
    variant.write_bytes(variant.read_bytes()[:100])
    orphan = media / "documents" / ("a" * 32 + ".pdf")
    orphan.write_bytes(b"%PDF-1.4 left behind by a crash")
    stray = media / "thumbnails" / "notes.txt"
    stray.write_text("not a name gymhub writes")
    stale = media / "temp" / ("b" * 32 + ".part")
    stale.write_bytes(b"half an upload")
    for old in (orphan, stray, stale):
        os.utime(old, (HOUR_AGO, HOUR_AGO))
    config.key_path.chmod(0o644)
    config.data_dir.chmod(0o777)
    try:
        result = await check(config.data_dir)
    finally:
        config.data_dir.chmod(0o755)
    assert result.returncode == 1
    problems = "\n".join(fails(result))
    assert f"meal_photos/{flipped['id']}.jpg: sha256 differs" in problems
    assert f"meal_photos/{missing['id']}.jpg: missing" in problems
    assert f"thumbnails/{missing['id']}_medium.jpg: missing" in problems
    assert f"thumbnails/{shrunk['id']}_thumbnail.jpg: 100 bytes, its row says" in problems
    assert f"documents/{'a' * 32}.pdf: no row names it (orphan)" in problems
    assert "thumbnails/notes.txt: no row names it" in problems
    assert f"temp/{'b' * 32}.part: no row names it" in problems
    assert "secret.key: mode 0644, must be 0600" in problems
    assert "world-writable" in problems
    assert len(fails(result)) == 9, result.stdout
    assert "gymhub cleanup" in result.stdout
    assert "9 problems found" in result.stdout
    # Once repaired (cleanup for orphans, chmod for the key), only the lost files remain.
    config.key_path.chmod(0o600)
    for old in (orphan, stray, stale):
        old.unlink()
    result = await check(config.data_dir)
    assert result.returncode == 1 and len(fails(result)) == 4, result.stdout


async def test_check_reports_a_stale_schema_and_a_broken_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    args = ("user", "add", "ann", "--role", "admin", "--password-stdin", "--data-dir", data)
    made = await asyncio.to_thread(gymhub, *args, stdin="password-123\n")
    assert made.returncode == 0, made.stderr
    (data / "secret.key").write_text("00" * 32)
    (data / "secret.key").chmod(0o600)
    conn = sqlite3.connect(data / "gymhub.sqlite3")
    conn.execute("PRAGMA user_version = 2")
    conn.close()
    result = await check(data)
    assert result.returncode == 1
    assert f"schema version 2, this gymhub's newest is {newest_schema()}" in result.stdout
    (data / "gymhub.sqlite3").write_bytes(b"this is not a database" * 100)
    for extra in ("gymhub.sqlite3-wal", "gymhub.sqlite3-shm"):
        (data / extra).unlink(missing_ok=True)
    result = await check(data)
    assert result.returncode == 1 and "cannot be read as a database" in result.stderr
    assert "Traceback" not in result.stderr
