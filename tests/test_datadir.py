"""The data-dir identity: one id in the database and the media tree, checked before start-up."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from gymhub.config import Config
from gymhub.data.db import Database, migrations
from gymhub.datadir import DataDirRefused, tree_id
from gymhub.ops.check import check
from gymhub.server import make_app
from tests import imaging_samples as samples
from tests.support import ADMIN_PASSWORD, admin_token, create_user
from tests.test_files_kit import uploaded


def db_id(config: Config) -> str:
    conn = sqlite3.connect(config.db_path)
    try:
        return str(conn.execute("SELECT value FROM meta WHERE key = 'data_dir_id'").fetchone()[0])
    finally:
        conn.close()


async def start(config: Config) -> web.AppRunner:
    runner = web.AppRunner(make_app(config))
    await runner.setup()
    return runner


def tree_of(media: Path) -> dict[str, bytes]:
    return {str(p.relative_to(media)): p.read_bytes() for p in media.rglob("*") if p.is_file()}


async def stocked(aiohttp_client: Any, config: Config, tmp_path: Path) -> None:
    """A stopped data dir holding one upload."""
    client = await aiohttp_client(make_app(config))
    member = await create_user(client, await admin_token(client), "client")
    png = samples.make_png(tmp_path / f"{config.data_dir.name}.png", size=(40, 30))
    await uploaded(client, member["token"], png.read_bytes())
    await client.close()


async def test_a_new_data_dir_carries_one_id_in_the_database_and_the_tree(config: Config) -> None:
    runner = await start(config)
    await runner.cleanup()
    assert len(db_id(config)) == 32 and tree_id(config.media_dir) == db_id(config)
    report = check(config)
    assert any(f"data-dir identity {db_id(config)}" in line for line in report.ok)


def as_round_one(db_path: Path) -> None:
    """Rewrite the database as round 1's migrations 1-3 built it, every row of theirs kept."""
    old = db_path.with_name("newer.db")
    db_path.rename(old)
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    for number, sql in migrations():
        if number <= 3:
            conn.executescript(sql)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("ATTACH ? AS newer", (str(old),))
    listed = conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")
    tables = [r[0] for r in listed]
    for table in tables:
        columns = ", ".join(r[1] for r in conn.execute(f"PRAGMA main.table_info({table})"))
        conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM newer.{table}")
    conn.execute("DETACH newer")
    conn.close()
    old.unlink()


async def test_a_round_one_data_dir_is_adopted_on_upgrade(
    aiohttp_client: Any, config: Config, tmp_path: Path
) -> None:
    await stocked(aiohttp_client, config, tmp_path)
    # As round 1 left it: schema 3, no meta table, no id in the tree.
    as_round_one(config.db_path)
    (config.media_dir / ".gymhub-id").unlink()
    before = tree_of(config.media_dir)
    runner = await start(config)
    await runner.cleanup()
    assert tree_id(config.media_dir) == db_id(config)
    after = tree_of(config.media_dir)
    del after[".gymhub-id"]
    assert after == before  # nothing swept, nothing quarantined


async def test_another_data_dirs_database_is_refused_and_check_says_why(
    aiohttp_client: Any, config: Config, tmp_path: Path
) -> None:
    other = Config(data_dir=tmp_path / "other", admin_password=ADMIN_PASSWORD, workers=1)
    await stocked(aiohttp_client, config, tmp_path)
    await stocked(aiohttp_client, other, tmp_path)
    shutil.copy(other.db_path, config.db_path)  # the wrong backup, put back by hand
    for suffix in ("-wal", "-shm"):
        config.db_path.with_name(config.db_path.name + suffix).unlink(missing_ok=True)
    before = tree_of(config.media_dir)
    with pytest.raises(DataDirRefused) as refused:
        await start(config)
    message = str(refused.value)
    assert "another data directory" in message
    assert "gymhub restore" in message and "gymhub check" in message
    assert tree_of(config.media_dir) == before
    report = check(config)
    assert any("data-dir identity" in line and "another" in line for line in report.problems)


async def test_a_file_that_is_not_a_database_leaves_no_thread_behind(config: Config) -> None:
    config.data_dir.mkdir()
    config.db_path.write_bytes(b"not a database, whatever its name says" * 50)
    db = Database(config.db_path)
    with pytest.raises(sqlite3.DatabaseError):
        await db.open()
    # A connection's thread left running would hold the file open for nothing (and, were it
    # not a daemon, keep `serve` alive forever).
    assert not [t for t in threading.enumerate() if t.name.startswith("gymhub-db-")]
