"""The CLI as a subprocess against a temp data dir, then a login over HTTP with what it made."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.server_process import ServerProcess
from tests.support import CHEAP_ARGON2_ENV


def gymhub(
    data_dir: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gymhub", *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **CHEAP_ARGON2_ENV, **(env or {})},
    )


def add_user(data_dir: Path, name: str, role: str, password: str, *extra: str) -> None:
    """`gymhub user add` with the password on stdin; it must succeed."""
    r = gymhub(
        data_dir, "user", "add", name, "--role", role, *extra, "--password-stdin",
        stdin=password + "\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr


@pytest.mark.slow
async def test_cli_manages_users_while_the_server_runs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ServerProcess(data) as server:
        add_user(data, "coach", "trainer", "coach-pass-1")
        add_user(data, "anna", "client", "anna-pass-1", "--display-name", "Anna B.")
        r = gymhub(data, "assign", "coach", "anna")
        assert r.returncode == 0 and "assigned" in r.stdout, r.stderr
        r = gymhub(data, "user", "list")
        assert r.returncode == 0
        lines = {line.split()[1]: line for line in r.stdout.splitlines()[1:]}
        assert set(lines) == {"admin", "coach", "anna"}
        assert "anna" in lines["coach"] and "Anna B." in lines["anna"]

        async with aiohttp.ClientSession(server.url) as http:
            resp = await http.post(
                "/api/auth/login", json={"username": "coach", "password": "coach-pass-1"}
            )
            assert resp.status == 200
            token = (await resp.json())["access_token"]
            resp = await http.get("/api/users", headers={"Authorization": f"Bearer {token}"})
            assert [u["username"] for u in (await resp.json())["users"]] == ["anna"]

            r = gymhub(data, "unassign", "coach", "anna")
            assert r.returncode == 0, r.stderr
            resp = await http.get("/api/users", headers={"Authorization": f"Bearer {token}"})
            assert (await resp.json())["users"] == []

            r = gymhub(data, "user", "disable", "coach")
            assert r.returncode == 0, r.stderr
            resp = await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            assert resp.status == 401
            resp = await http.post(
                "/api/auth/login", json={"username": "coach", "password": "coach-pass-1"}
            )
            assert resp.status == 401


def test_cli_refuses_bad_input_with_clear_messages(tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_user(data, "admin", "admin", "admin-pass-1")
    add_user(data, "coach", "trainer", "coach-pass-1")
    add_user(data, "anna", "client", "anna-pass-1")
    cases = [
        (
            ("user", "add", "COACH", "--role", "client", "--password-stdin"),
            "pass-word-1\n",
            "taken",
        ),
        (("user", "add", "bob", "--role", "client", "--password-stdin"), "short\n", "8"),
        (
            ("user", "add", "bad name", "--role", "client", "--password-stdin"),
            "pass-word-1\n",
            "username",
        ),
        (("user", "add", "bob", "--role", "client"), None, "--password-stdin"),
        (("user", "disable", "ghost"), None, "no user named 'ghost'"),
        (("assign", "anna", "coach"), None, "not a trainer"),
        (("assign", "coach", "ghost"), None, "no user named 'ghost'"),
        # A wrong role is bad input like the others (README: 1), not a usage error.
        (("user", "add", "x", "--role", "owner", "--password-stdin"), "", "admin, trainer, client"),
        (("user", "disable", "admin"), None, "last active admin"),
    ]
    for args, stdin, message in cases:
        r = gymhub(data, *args, stdin=stdin)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    r = gymhub(data, "user", "list")
    assert "admin" in r.stdout and "disabled" not in r.stdout, "the refused disable changed nothing"


def test_cli_unassign_of_an_unassigned_pair_is_idempotent(tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_user(data, "coach", "trainer", "coach-pass-1")
    add_user(data, "anna", "client", "anna-pass-1")
    r = gymhub(data, "unassign", "coach", "anna")
    assert r.returncode == 0 and "nothing to unassign" in r.stdout, (r.stdout, r.stderr)


def test_cli_disables_an_admin_while_another_stays_active(tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_user(data, "admin", "admin", "admin-pass-1")
    add_user(data, "boss", "admin", "boss-pass-1")
    r = gymhub(data, "user", "disable", "admin")
    assert r.returncode == 0, r.stderr
    r = gymhub(data, "user", "disable", "boss")
    assert r.returncode == 1 and "last active admin" in r.stderr


def test_cli_output_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_user(data, "coach", "trainer", "coach-pass-1")
    # Like `gymhub user list | head -1` once head has exited: the reading end is gone.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        r = subprocess.run(
            [sys.executable, "-m", "gymhub", "user", "list", "--data-dir", str(data)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert r.stderr == "" and r.returncode == 1, r.stderr


def test_cli_finds_the_data_dir_like_serve(tmp_path: Path) -> None:
    data = tmp_path / "from-env"
    env_only = {"GYMHUB_DATA_DIR": str(data)}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "gymhub",
            "user",
            "add",
            "eve",
            "--role",
            "client",
            "--password-stdin",
        ],
        input="eve-pass-12\n",
        capture_output=True,
        text=True,
        env={**os.environ, **env_only},
        cwd=tmp_path,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert (data / "gymhub.sqlite3").exists()
    config = tmp_path / "gymhub.toml"
    config.write_text(f'data_dir = "{data}"\n')
    r = subprocess.run(
        [sys.executable, "-m", "gymhub", "user", "list", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert r.returncode == 0 and "eve" in r.stdout, r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "gymhub", "user", "list"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("GYMHUB_")},
    )
    assert r.returncode == 1 and "no data directory" in r.stderr


def test_bad_config_value_names_the_key(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "gymhub", "user", "list", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "GYMHUB_PORT": "eighty"},
    )
    assert r.returncode == 2 and "port" in r.stderr and "eighty" in r.stderr


def test_user_commands_start_without_the_web_stack() -> None:
    # Loading aiohttp doubled the start of every `gymhub user ...` (0.39 → 0.73 s).
    probe = (
        "import sys, gymhub.cli; print(sorted(m for m in sys.modules if m.startswith('aiohttp')))"
    )
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
