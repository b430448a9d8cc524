"""GenerationMemo: values live exactly as long as the database generation they were read at."""

from __future__ import annotations

import sqlite3

from aiohttp.test_utils import TestClient

from gymhub.data.memo import GenerationMemo
from gymhub.web.appkeys import config_key, db_key
from tests.support import create_user


def test_a_value_lives_until_the_generation_moves_on() -> None:
    memo: GenerationMemo[str, int] = GenerationMemo(8)
    memo.put("a", 1, generation=3)
    assert memo.get("a", 3) == 1
    assert memo.get("a", 4) is None  # any change forgets everything
    assert memo.get("a", 3) is None and len(memo) == 0


def test_a_result_read_before_a_write_is_never_kept() -> None:
    memo: GenerationMemo[str, int] = GenerationMemo(8)
    assert memo.get("a", 5) is None
    memo.put("a", 1, generation=4)  # its read began before the write that made generation 5
    assert memo.get("a", 5) is None and len(memo) == 0


def test_bounded_least_recently_used() -> None:
    memo: GenerationMemo[int, int] = GenerationMemo(3)
    for key in range(3):
        memo.put(key, key, generation=0)
    assert memo.get(0, 0) == 0  # 0 is now the most recent; 1 is the oldest
    memo.put(3, 3, generation=0)
    assert len(memo) == 3 and memo.get(1, 0) is None
    assert [memo.get(k, 0) for k in (0, 2, 3)] == [0, 2, 3]


async def test_only_other_processes_commits_count_as_external_changes(
    client: TestClient, admin: str
) -> None:
    """The server's own write moves the generation once, not again when the watcher looks."""
    db = client.app[db_key]
    assert not await db.check_external_changes()
    before = db.generation
    await create_user(client, admin, "client")
    assert db.generation > before
    after = db.generation
    assert not await db.check_external_changes()
    assert db.generation == after
    with sqlite3.connect(client.app[config_key].db_path) as other:
        other.execute("UPDATE users SET display_name = 'Front desk' WHERE id = 1")
    assert await db.check_external_changes()
    assert db.generation == after + 1
