"""Finding 9: a data dir made by `gymhub serve` is private whatever the umask, and check says so."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import aiohttp
import pytest

from tests.server_process import ServerProcess
from tests.test_backup import gymhub, make_client, unique_jpeg, upload


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow
async def test_serve_creates_a_private_data_dir_and_check_flags_a_loose_one(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    old = os.umask(0o022)  # a typical login shell's: the server must not inherit it
    try:
        with ServerProcess(data) as server:
            async with aiohttp.ClientSession(server.url) as http:
                _user, headers = await make_client(http, "anna")
                await upload(http, headers, unique_jpeg())
            wal = data / "gymhub.sqlite3-wal"
            assert wal.exists() and mode(wal) == 0o600
    finally:
        os.umask(old)
    assert mode(data) == 0o700
    assert mode(data / "gymhub.sqlite3") == 0o600
    media = [data / "uploads", *(data / "uploads").rglob("*")]
    assert len(media) > 5
    for path in media:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    result = await asyncio.to_thread(gymhub, "check", "--data-dir", data)
    assert result.returncode == 0 and "WARN" not in result.stdout, result.stdout
    data.chmod(0o755)
    (data / "gymhub.sqlite3").chmod(0o644)
    result = await asyncio.to_thread(gymhub, "check", "--data-dir", data)
    assert f"WARN  {data}: mode 0755" in result.stdout and f"chmod 700 {data}" in result.stdout
    assert f"chmod 600 {data / 'gymhub.sqlite3'}" in result.stdout
