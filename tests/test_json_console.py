"""With --log-format json every line the process writes, on stdout and stderr, is one object."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.server_process import ServerProcess
from tests.support import CHEAP_ARGON2_ENV


def objects(lines: list[str]) -> list[dict[str, object]]:
    """Every line parsed; a line that is not one JSON object fails with the line shown."""
    parsed = []
    for line in lines:
        try:
            value = json.loads(line)
        except ValueError:
            pytest.fail(f"not JSON: {line!r}")
        assert isinstance(value, dict), line
        parsed.append(value)
    return parsed


@pytest.mark.slow
async def test_every_line_of_a_json_server_is_one_object(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", "--log-format", "json", "--workers", "1")
    # No password given: the first start makes one up and prints it.
    server.env = {k: v for k, v in server.env.items() if k != "GYMHUB_ADMIN_PASSWORD"}
    server.start()
    try:
        async with aiohttp.ClientSession(server.url) as http:
            assert (await http.get("/healthz")).status == 200
            assert (await http.get("/no-such-page")).status == 404
    finally:
        assert server.stop() == 0
    entries = objects(server.output)
    messages = [str(e["message"]) for e in entries]
    first = [m for m in messages if m.startswith("created the first account")]
    assert len(first) == 1 and "password" in first[0]
    listening = [e for e in entries if str(e["message"]).startswith("listening on http://")]
    assert listening and listening[0]["url"] == server.url
    assert any(e.get("path") == "/no-such-page" and e.get("status") == 404 for e in entries)
    assert any(m == "shutting down" for m in messages)
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)


def run_serve(data: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    r = subprocess.run(
        [sys.executable, "-m", "gymhub", "serve", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **CHEAP_ARGON2_ENV, "GYMHUB_ADMIN_PASSWORD": "pw-123456", **(env or {})},
    )
    return r.returncode, r.stdout, r.stderr


@pytest.mark.slow
def test_a_fatal_start_is_json_too(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, out, err = run_serve(tmp_path / "data", "--log-format", "json", "--port", str(port))
    assert status == 1
    entries = objects((out + err).splitlines())
    fatal = [e for e in entries if str(e["message"]).startswith("cannot listen")]
    assert fatal and fatal[0]["level"] == "ERROR", entries
    # The same in text keeps today's line.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, out, err = run_serve(tmp_path / "data", "--port", str(port))
    assert status == 1 and err.startswith(f"gymhub: cannot listen on 127.0.0.1:{port}"), err


def test_a_configuration_error_of_a_json_server_is_json(tmp_path: Path) -> None:
    status, out, err = run_serve(
        tmp_path / "data", "--log-format", "json", env={"GYMHUB_PORT": "eighty"}
    )
    assert status == 2 and out == ""
    (entry,) = objects(err.splitlines())
    assert entry["level"] == "ERROR" and "port" in str(entry["message"])
