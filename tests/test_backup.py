"""`gymhub backup` / `gymhub restore` as real CLI subprocesses beside a real server subprocess."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image

from gymhub.ops.media import newest_schema
from tests.server_process import ServerProcess
from tests.support import ADMIN_PASSWORD, PASSWORD


def gymhub(
    *args: str | Path, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a subprocess, as an operator (or a cron job) would."""
    return subprocess.run(
        [sys.executable, "-m", "gymhub", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def unique_jpeg(size: tuple[int, int] = (96, 72)) -> bytes:
    """A small JPEG whose bytes no other call repeats (noise), so uploads never deduplicate."""
    buf = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


async def api_login(http: aiohttp.ClientSession, username: str, password: str) -> dict[str, str]:
    resp = await http.post("/api/auth/login", json={"username": username, "password": password})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['access_token']}"}


async def make_client(http: aiohttp.ClientSession, name: str) -> tuple[dict[str, Any], dict]:
    """Create a client account through the admin API; returns (User, bearer headers)."""
    admin = await api_login(http, "admin", ADMIN_PASSWORD)
    resp = await http.post(
        "/api/users", headers=admin, json={"username": name, "password": PASSWORD, "role": "client"}
    )
    assert resp.status == 201, await resp.text()
    return await resp.json(), await api_login(http, name, PASSWORD)


async def upload(http: aiohttp.ClientSession, headers: dict, data: bytes) -> dict[str, Any]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename="meal.jpg", content_type="image/jpeg")
    resp = await http.post("/api/files/upload?category=meal_photos", headers=headers, data=form)
    assert resp.status == 201, (resp.status, await resp.text())
    return await resp.json()


def rows_of(db: Path) -> tuple[dict[str, sqlite3.Row], list[sqlite3.Row]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        files = {r["id"]: r for r in conn.execute("SELECT * FROM files")}
        variants = conn.execute("SELECT * FROM file_variants").fetchall()
    finally:
        conn.close()
    return files, variants


def names_of(files: dict[str, sqlite3.Row], variants: list[sqlite3.Row]) -> list[str]:
    names = [f"{r['category']}/{r['id']}.{r['ext']}" for r in files.values()]
    names += [f"thumbnails/{v['file_id']}_{v['variant']}.{v['ext']}" for v in variants]
    return names


@pytest.mark.long
@pytest.mark.slow
async def test_backup_during_uploads_restores_verified_and_checks_clean(tmp_path: Path) -> None:
    data, dest, restored = tmp_path / "data", tmp_path / "backup", tmp_path / "restored"
    with ServerProcess(data) as server:
        async with aiohttp.ClientSession(server.url) as http:
            user, headers = await make_client(http, "anna")
            done_before: list[str] = []
            for _ in range(4):
                done_before.append((await upload(http, headers, unique_jpeg()))["id"])
            stop = asyncio.Event()
            uploaded: list[str] = []
            deleted: list[str] = []

            async def uploader() -> None:
                while not stop.is_set():
                    uploaded.append((await upload(http, headers, unique_jpeg((320, 240))))["id"])

            async def deleter() -> None:
                # Deletions race the backup too: row first, then files, as the server does them.
                while not stop.is_set():
                    if len(uploaded) > len(deleted) * 3 + 2:
                        victim = uploaded[len(deleted) * 3]
                        resp = await http.delete(f"/api/files/{victim}", headers=headers)
                        assert resp.status == 204, await resp.text()
                        deleted.append(victim)
                    await asyncio.sleep(0.05)

            workers = [asyncio.create_task(uploader()) for _ in range(3)]
            workers.append(asyncio.create_task(deleter()))
            await asyncio.sleep(1.0)
            started = len(uploaded)
            result = await asyncio.to_thread(gymhub, "backup", dest, "--data-dir", data)
            await asyncio.sleep(0.5)
            stop.set()
            await asyncio.gather(*workers)
            assert result.returncode == 0, result.stdout + result.stderr
            assert "written to" in result.stdout
            old_headers = headers

    files, variants = rows_of(dest / "gymhub.sqlite3")
    assert set(done_before) <= set(files)
    assert len(files) >= len(done_before) + started - len(deleted)
    assert len(uploaded) > started  # uploads went on while the backup ran
    assert len(variants) == 3 * len(files)
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["counts"]["files"] == len(files)
    assert manifest["counts"]["variants"] == len(variants)
    assert manifest["schema_version"] == newest_schema()
    assert (dest / "secret.key").stat().st_mode & 0o777 == 0o600
    # Every file the backup's rows name is there, a copy (not a link), byte-identical.
    for name in names_of(files, variants):
        copy = dest / "uploads" / name
        assert copy.stat().st_nlink == 1
        live = data / "uploads" / name
        if live.exists():
            assert copy.read_bytes() == live.read_bytes(), name
    for row in files.values():
        body = (dest / "uploads" / row["category"] / f"{row['id']}.{row['ext']}").read_bytes()
        assert hashlib.sha256(body).hexdigest() == row["sha256"]

    result = gymhub("restore", dest, "--data-dir", restored)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every file verified" in result.stdout
    # The restored tree carries the restored database's id: the data dir starts.
    tree_id = (restored / "uploads" / ".gymhub-id").read_text()
    assert tree_id == (data / "uploads" / ".gymhub-id").read_text()
    result = gymhub("check", "--data-dir", restored)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"data-dir identity {tree_id.strip()}" in result.stdout
    assert names_of(*rows_of(restored / "gymhub.sqlite3")) and set(
        names_of(*rows_of(restored / "gymhub.sqlite3"))
    ) == set(names_of(files, variants))
    for name in names_of(files, variants):
        assert (restored / "uploads" / name).read_bytes() == (dest / "uploads" / name).read_bytes()

    # The restored server knows the old key: the old token still works, the media are served.
    with ServerProcess(restored) as server:
        async with aiohttp.ClientSession(server.url) as http:
            resp = await http.get("/api/me", headers=old_headers)
            assert resp.status == 200 and (await resp.json())["id"] == user["id"]
            some = done_before[0]
            resp = await http.get(f"/api/files/{some}", headers=old_headers)
            assert resp.status == 200
            meta = await resp.json()
            resp = await http.get(meta["original_url"], headers=old_headers)
            assert resp.status == 200
            assert hashlib.sha256(await resp.read()).hexdigest() == files[some]["sha256"]


@pytest.fixture(scope="module")
def stocked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stopped server's data dir holding three uploads (made once for the module)."""
    data = tmp_path_factory.mktemp("stocked") / "data"

    async def fill() -> None:
        with ServerProcess(data) as server:
            async with aiohttp.ClientSession(server.url) as http:
                _user, headers = await make_client(http, "bea")
                for _ in range(3):
                    await upload(http, headers, unique_jpeg())

    asyncio.run(fill())
    return data


def copy_tree(src: Path, dst: Path) -> Path:
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    return dst


def test_a_row_whose_file_vanished_is_left_out_and_reported(stocked: Path, tmp_path: Path) -> None:
    data = copy_tree(stocked, tmp_path / "data")
    files, _ = rows_of(data / "gymhub.sqlite3")
    gone = sorted(files)[1]
    row = files[gone]
    # What a deletion after the snapshot looks like: the row is in the copy, the file is not.
    (data / "uploads" / row["category"] / f"{gone}.{row['ext']}").unlink()
    result = gymhub("backup", tmp_path / "b", "--data-dir", data)
    assert result.returncode == 0, result.stderr
    assert "left out 1 files deleted while the backup ran" in result.stdout
    assert gone in result.stdout
    kept, variants = rows_of(tmp_path / "b" / "gymhub.sqlite3")
    assert set(kept) == set(files) - {gone}
    assert all(v["file_id"] != gone for v in variants)
    assert not list((tmp_path / "b" / "uploads").rglob(f"{gone}*"))
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["dropped_after_snapshot"] == [gone]
    assert gymhub("restore", tmp_path / "b", "--data-dir", tmp_path / "r").returncode == 0
    assert gymhub("check", "--data-dir", tmp_path / "r").returncode == 0


def test_backup_refuses_a_used_destination(stocked: Path, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "old.txt").write_text("keep me")
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    cases = [
        (("backup", busy, "--data-dir", stocked), "is not empty"),
        (("backup", a_file, "--data-dir", stocked), "is not a directory"),
        (("backup", stocked / "inner", "--data-dir", stocked), "inside the data directory"),
        (("backup", tmp_path / "new", "--data-dir", tmp_path / "nothing"), "no database"),
    ]
    for args, message in cases:
        result = gymhub(*args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert [p.name for p in busy.iterdir()] == ["old.txt"]
    assert not (tmp_path / "new").exists() and not (stocked / "inner").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert gymhub("backup", empty, "--data-dir", stocked).returncode == 0


@pytest.fixture
def backup_of(stocked: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "backup"
    result = gymhub("backup", dest, "--data-dir", stocked)
    assert result.returncode == 0, result.stderr
    return dest


def test_restore_refuses_a_used_data_dir(backup_of: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "gymhub.sqlite3").write_bytes(b"someone's data")
    result = gymhub("restore", backup_of, "--data-dir", target)
    assert result.returncode == 1 and "is not empty" in result.stderr, result.stderr
    assert (target / "gymhub.sqlite3").read_bytes() == b"someone's data"
    assert [p.name for p in target.iterdir()] == ["gymhub.sqlite3"]


def test_restore_refuses_what_is_not_a_finished_backup(backup_of: Path, tmp_path: Path) -> None:
    (backup_of / "manifest.json").rename(tmp_path / "manifest.json")
    result = gymhub("restore", backup_of, "--data-dir", tmp_path / "t1")
    assert result.returncode == 1 and "no manifest.json" in result.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["schema_version"] = 99
    (backup_of / "manifest.json").write_text(json.dumps(manifest))
    result = gymhub("restore", backup_of, "--data-dir", tmp_path / "t2")
    assert result.returncode == 1 and "newer gymhub" in result.stderr
    result = gymhub("restore", tmp_path / "nowhere", "--data-dir", tmp_path / "t3")
    assert result.returncode == 1 and "no backup directory" in result.stderr
    assert not any((tmp_path / t).exists() for t in ("t1", "t2", "t3"))


@pytest.mark.parametrize("damage", ["flip", "truncate", "remove", "variant", "database"])
def test_restore_verifies_every_file_and_leaves_nothing_on_mismatch(
    backup_of: Path, tmp_path: Path, damage: str
) -> None:
    files, variants = rows_of(backup_of / "gymhub.sqlite3")
    row = files[sorted(files)[0]]
    original = backup_of / "uploads" / row["category"] / f"{row['id']}.{row['ext']}"
    v = variants[0]
    variant = backup_of / "uploads" / "thumbnails" / f"{v['file_id']}_{v['variant']}.{v['ext']}"
    if damage == "flip":
        body = bytearray(original.read_bytes())
        body[len(body) // 2] ^= 0xFF
        original.write_bytes(bytes(body))
    elif damage == "truncate":
        original.write_bytes(original.read_bytes()[:-10])
    elif damage == "remove":
        original.unlink()
    elif damage == "variant":
        body = bytearray(variant.read_bytes())
        body[-3] ^= 0x01
        variant.write_bytes(bytes(body))
    else:
        conn = sqlite3.connect(backup_of / "gymhub.sqlite3")
        conn.execute("UPDATE users SET display_name = 'tampered'")
        conn.commit()
        conn.close()
    target = tmp_path / "target"
    target.mkdir()
    result = gymhub("restore", backup_of, "--data-dir", target)
    assert result.returncode == 1, result.stdout
    assert "MISMATCH" in result.stderr and "nothing was restored" in result.stderr
    assert list(target.iterdir()) == []  # the empty target is left as it was


def test_backup_copies_are_not_links_and_are_private(backup_of: Path, stocked: Path) -> None:
    for path in backup_of.rglob("*"):
        if path.is_file():
            assert path.stat().st_nlink == 1
            assert not path.is_symlink()
    assert backup_of.stat().st_mode & 0o077 == 0
    assert (backup_of / "gymhub.sqlite3").stat().st_mode & 0o077 == 0
    key = stocked / "secret.key"
    assert (backup_of / "secret.key").read_bytes() == key.read_bytes()
    # The backup database stands alone: no -wal beside it, readable with plain sqlite3.
    assert not (backup_of / "gymhub.sqlite3-wal").exists()
    assert time.time() - (backup_of / "manifest.json").stat().st_mtime < 600
