"""A lost, emptied or foreign database under a populated media tree: nothing is ever deleted.

Each test runs `gymhub serve` as a subprocess on a real data dir, as an operator would after a
bad day, and compares the media tree byte for byte before and after.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.server_process import ServerProcess
from tests.support import ADMIN_PASSWORD
from tests.test_backup import gymhub, make_client, unique_jpeg, upload

pytestmark = [pytest.mark.slow, pytest.mark.long]


def snapshot(media: Path) -> dict[str, str]:
    """sha256 of every file under the media tree, by relative path."""
    return {
        str(p.relative_to(media)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in media.rglob("*")
        if p.is_file()
    }


async def populate(data: Path, uploads: int = 3) -> None:
    """A stopped data dir with a few uploads (originals and variants)."""
    with ServerProcess(data) as server:
        async with aiohttp.ClientSession(server.url) as http:
            _user, headers = await make_client(http, "anna")
            for _ in range(uploads):
                await upload(http, headers, unique_jpeg())


def serve_once(data: Path, timeout: float = 30) -> tuple[subprocess.CompletedProcess[str], float]:
    """`gymhub serve` expected to refuse: its result, and how long it took to exit."""
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "gymhub", "serve", "--data-dir", str(data), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "GYMHUB_ADMIN_PASSWORD": ADMIN_PASSWORD},
    )
    return result, time.monotonic() - began


@pytest.mark.parametrize("accident", ["removed", "truncated"])
async def test_serve_refuses_a_lost_database_and_no_file_is_lost(
    tmp_path: Path, accident: str
) -> None:
    data = tmp_path / "data"
    await populate(data)
    db = data / "gymhub.sqlite3"
    for extra in ("-wal", "-shm"):
        Path(f"{db}{extra}").unlink(missing_ok=True)
    if accident == "removed":
        db.unlink()
    else:
        db.write_bytes(b"")
    before = snapshot(data / "uploads")
    assert len(before) >= 12  # 3 originals, 9 variants, the id file
    result, _ = serve_once(data)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "gymhub restore" in result.stderr and "gymhub check" in result.stderr
    assert "created the first account" not in result.stdout
    assert snapshot(data / "uploads") == before
    # No database was made (or filled) in its place.
    assert db.exists() is (accident == "truncated") and (not db.exists() or db.stat().st_size == 0)
    result = gymhub("check", "--data-dir", data)
    assert result.returncode == 1 and "data-dir identity" in result.stdout, result.stdout


@pytest.mark.parametrize("populated", [False, True])
async def test_serve_exits_at_once_on_a_file_that_is_not_a_database(
    tmp_path: Path, populated: bool
) -> None:
    data = tmp_path / "data"
    if populated:
        await populate(data, uploads=1)
    else:
        data.mkdir()
    (data / "gymhub.sqlite3").write_bytes(b"this is not an SQLite database" * 200)
    for extra in ("-wal", "-shm"):
        (data / f"gymhub.sqlite3{extra}").unlink(missing_ok=True)
    result, took = serve_once(data, timeout=60)
    assert result.returncode == 1 and took < 10, (took, result.stderr)
    assert "not a database" in result.stderr and "gymhub check" in result.stderr
    for command in (("user", "list"), ("stats",), ("check",), ("cleanup",)):
        other = gymhub(*command, "--data-dir", data, timeout=30)
        assert other.returncode == 1 and "not a database" in other.stderr + other.stdout, command
