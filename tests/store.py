"""Checks of a data dir's media store against its database, read with plain sqlite3 and os."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import aiohttp


def check_store(data_dir: Path, *, orphans_allowed: bool = False) -> set[str]:
    """Every row's original is whole (size and sha256) and every image has its three variants;
    unless orphans_allowed, every file in the store has a row and temp is empty. Returns the ids.
    """
    media = data_dir / "uploads"
    conn = sqlite3.connect(data_dir / "gymhub.sqlite3")
    try:
        rows = conn.execute("SELECT id, category, ext, size, sha256, mime FROM files").fetchall()
        variants = conn.execute("SELECT file_id, variant, ext, size FROM file_variants").fetchall()
    finally:
        conn.close()
    expected = set()
    for fid, category, ext, size, sha, mime in rows:
        name = f"{category}/{fid}.{ext}"
        data = (media / name).read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha, name
        count = sum(1 for v in variants if v[0] == fid)
        assert count == (3 if mime.startswith("image/") else 0), (fid, mime, count)
        expected.add(name)
    for fid, variant, ext, size in variants:
        name = f"thumbnails/{fid}_{variant}.{ext}"
        assert (media / name).stat().st_size == size, name
        expected.add(name)
    if not orphans_allowed:
        # Not the id file, nor the quarantine: a rowless file moved there is out of the store.
        on_disk = {
            str(p.relative_to(media))
            for p in media.rglob("*")
            if p.is_file() and not p.relative_to(media).parts[0].startswith(".")
        }
        assert on_disk == expected, f"half-stored: {sorted(on_disk ^ expected)}"
    return {fid for fid, *_ in rows}


async def login(http: aiohttp.ClientSession, url: str, user: str, password: str) -> str:
    """An access token from a server run as a subprocess."""
    async with http.post(
        f"{url}/api/auth/login", json={"username": user, "password": password}
    ) as r:
        assert r.status == 200, await r.text()
        return str((await r.json())["access_token"])
