"""SIGKILL in the middle of a start-up sweep: every file is in place or in quarantine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.server_process import ServerProcess
from tests.support import ADMIN_PASSWORD
from tests.test_backup import gymhub

pytestmark = [pytest.mark.slow, pytest.mark.long]

ORPHANS = 20_000
# The whole store is rowless here: let the sweep take it, so that it runs long enough to be hit.
ENV = {"GYMHUB_SWEEP_MAX_SHARE": "1"}


def plant(media: Path) -> dict[str, bytes]:
    """Rowless originals from before the last clean shutdown (to be quarantined, not deleted)."""
    old = time.time() - 7200
    planted = {}
    for _ in range(ORPHANS):
        name = f"{uuid.uuid4().hex}.jpg"
        path = media / "meal_photos" / name
        path.write_bytes(name.encode())
        os.utime(path, (old, old))
        planted[name] = name.encode()
    return planted


def where(media: Path, names: dict[str, bytes]) -> tuple[int, int]:
    """(in place, quarantined); fails on any file that is missing, doubled or altered."""
    quarantine = media / ".quarantine"
    moved = {p.name: p for p in quarantine.glob("*/meal_photos/*")}
    in_place = quarantined = 0
    for name, body in names.items():
        path = media / "meal_photos" / name
        if path.exists():
            assert name not in moved, f"{name} is in both places"
            in_place += 1
        else:
            assert name in moved, f"{name} was lost"
            path = moved[name]
            quarantined += 1
        assert path.read_bytes() == body
    return in_place, quarantined


def test_sigkill_during_a_sweep_loses_nothing_and_the_next_start_is_clean(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    ServerProcess(data, env=ENV).start().stop()  # a data dir, stopped cleanly
    media = data / "uploads"
    names = plant(media)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gymhub", "serve", "--data-dir", str(data), "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "GYMHUB_ADMIN_PASSWORD": ADMIN_PASSWORD, **ENV},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not list((media / ".quarantine").glob("*/meal_photos/*.jpg")):
            assert proc.poll() is None and time.monotonic() < deadline, "the sweep never began"
            time.sleep(0.002)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    in_place, quarantined = where(media, names)
    assert quarantined > 0 and in_place > 0, (in_place, quarantined)  # killed mid-sweep
    with ServerProcess(data, env=ENV) as server:  # starts: the sweep finishes its work
        assert server.url
    assert where(media, names) == (0, ORPHANS)
    result = gymhub("check", "--data-dir", data)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"quarantine: {ORPHANS} files" in result.stdout
