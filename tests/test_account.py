"""The caller's own account: PATCH /api/me, admin reset codes and POST /api/auth/reset, and the
CLI's `user passwd`, `user reset-code` run through cli.main against the running app's data dir."""

from __future__ import annotations

import io
import sqlite3
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gymhub import cli
from gymhub.auth import resetcodes
from gymhub.config import Config
from gymhub.data import resets
from gymhub.web.appkeys import db_key
from tests.support import CHEAP_ARGON2_ENV, PASSWORD, bearer, error_of, login
from tests.test_ws_support import closed_with, connect, insert_photo


async def patch_me(client: TestClient, token: str, body: Any) -> Any:
    return await client.patch("/api/me", headers=bearer(token), json=body)


async def test_patch_me_for_every_role(client: TestClient, people: dict[str, Any]) -> None:
    member, trainer, stranger = people["client"], people["trainer"], people["stranger"]
    mine = await insert_photo(client, member["id"], "profile_photos")
    meal_photo = await insert_photo(client, member["id"], "meal_photos")
    theirs = await insert_photo(client, stranger["id"], "profile_photos")
    resp = await patch_me(client, member["token"], {})
    unchanged = await resp.json()
    assert resp.status == 200 and unchanged["units"] == "metric"
    assert unchanged["profile_photo_id"] is None and unchanged["photo_visibility"] == "trainers"
    body = {"display_name": "Anna", "units": "imperial", "profile_photo_id": mine}
    resp = await patch_me(client, member["token"], {**body, "photo_visibility": "private"})
    me = await resp.json()
    assert resp.status == 200 and me == {**unchanged, **body, "photo_visibility": "private"}
    # Every place a User is shown carries the new fields.
    resp = await client.get(f"/api/users/{member['id']}", headers=bearer(trainer["token"]))
    assert await resp.json() == me
    resp = await client.get("/api/users", headers=bearer(trainer["token"]))
    assert (await resp.json())["users"] == [me]
    resp = await client.get("/api/me", headers=bearer(member["token"]))
    assert await resp.json() == me

    bad: dict[str, list[Any]] = {
        "profile_photo_id": [theirs, meal_photo, "0" * 32, "not-an-id", 5],
        "units": ["furlongs", None],
        "display_name": ["", None, "a\nb"],
        "photo_visibility": ["everyone", None],
    }
    for field, values in bad.items():
        for value in values:
            resp = await patch_me(client, member["token"], {field: value})
            assert field in await error_of(resp, 400, "invalid_request"), (field, value)
    resp = await patch_me(client, member["token"], {"profile_photo_id": None})
    assert (await resp.json())["profile_photo_id"] is None
    # Deleting the chosen photo clears the choice.
    await patch_me(client, member["token"], {"profile_photo_id": mine})
    resp = await client.delete(f"/api/files/{mine}", headers=bearer(member["token"]))
    assert resp.status == 204
    resp = await client.get("/api/me", headers=bearer(member["token"]))
    assert (await resp.json())["profile_photo_id"] is None
    # Trainers and admins have accounts of their own too.
    for token in (trainer["token"], people["admin"]):
        resp = await patch_me(client, token, {"units": "imperial"})
        assert resp.status == 200 and (await resp.json())["units"] == "imperial"
    client.session.cookie_jar.clear()
    resp = await client.patch("/api/me", json={"units": "metric"})
    await error_of(resp, 401, "unauthenticated")


async def reset(client: TestClient, username: str, code: str, new: str = "new-password-1") -> Any:
    body = {"username": username, "reset_code": code, "new_password": new}
    return await client.post("/api/auth/reset", json=body)


async def reset_code(client: TestClient, admin: str, user_id: int) -> str:
    resp = await client.post(f"/api/users/{user_id}/reset-code", headers=bearer(admin))
    body = await resp.json()
    assert resp.status == 200 and body["expires_in"] == 86400, body
    return str(body["reset_code"])


async def test_reset_codes_are_single_use_and_revoke(
    client: TestClient, people: dict[str, Any]
) -> None:
    admin, member = people["admin"], people["client"]
    url = f"/api/users/{member['id']}/reset-code"
    for who in ("trainer", "other_trainer", "client", "stranger"):
        resp = await client.post(url, headers=bearer(people[who]["token"]))
        await error_of(resp, 403, "forbidden")
    resp = await client.post("/api/users/999999/reset-code", headers=bearer(admin))
    await error_of(resp, 404, "not_found")

    first = await reset_code(client, admin, member["id"])
    code = await reset_code(client, admin, member["id"])
    assert first != code
    stored = await client.app[db_key].fetchone("SELECT code_hash FROM reset_codes")
    assert stored is not None and code not in str(tuple(stored))
    assert stored[0] == resetcodes.code_hash(code)
    resp = await reset(client, member["username"], first)
    await error_of(resp, 401, "invalid_credentials")  # replaced by the second
    resp = await reset(client, member["username"], code, new="short")
    assert "new_password" in await error_of(resp, 400, "invalid_request")
    # Like login: no Origin check for scripts, but a foreign page may not post it.
    resp = await client.post(
        "/api/auth/reset",
        json={"username": member["username"], "reset_code": code, "new_password": "x" * 8},
        headers={"Origin": "https://evil.example"},
    )
    await error_of(resp, 403, "csrf_failed")

    ws = await connect(client, member)
    resp = await reset(client, member["username"], code.lower())
    assert resp.status == 204
    await closed_with(ws, 4401)
    resp = await client.get("/api/me", headers=bearer(member["token"]))
    await error_of(resp, 401, "unauthenticated")
    assert await login(client, member["username"], "new-password-1")
    resp = await reset(client, member["username"], code, new="another-pass-2")
    await error_of(resp, 401, "invalid_credentials")  # used up

    # Expired: a code stored through the data layer with a past expiry.
    def expired(conn: sqlite3.Connection) -> None:
        resets.store(conn, member["id"], resetcodes.code_hash("OLD-CODE"), "2020-01-01T00:00:00Z")

    await client.app[db_key].write(expired)
    resp = await reset(client, member["username"], "OLD-CODE")
    await error_of(resp, 401, "invalid_credentials")


async def test_wrong_codes_count_as_failed_logins(
    client: TestClient, people: dict[str, Any]
) -> None:
    member = people["stranger"]
    code = await reset_code(client, people["admin"], member["id"])
    for _ in range(4):
        resp = await reset(client, member["username"], "WRONG-CODE")
        await error_of(resp, 401, "invalid_credentials")
    resp = await client.post(
        "/api/auth/login", json={"username": member["username"], "password": "wrong"}
    )
    await error_of(resp, 401, "invalid_credentials")  # the fifth failure
    resp = await reset(client, member["username"], code)
    await error_of(resp, 429, "rate_limited")
    resp = await client.post(
        "/api/auth/login", json={"username": member["username"], "password": PASSWORD}
    )
    await error_of(resp, 429, "rate_limited")
    # An unknown username answers like a wrong code.
    resp = await reset(client, "nobody-here", code)
    await error_of(resp, 401, "invalid_credentials")


async def test_wrong_current_passwords_count_as_failed_logins(
    client: TestClient, people: dict[str, Any]
) -> None:
    """A session left open is no way around the login limits: wrong current passwords on the
    password change and on erasure count, and the fifth blocks even the right one."""
    member = people["client"]
    token = member["token"]
    for n in range(5):
        if n % 2:
            resp = await client.post(
                "/api/me/password",
                json={"current_password": "wrong-one", "new_password": "another-pass-1"},
                headers=bearer(token),
            )
        else:
            resp = await client.delete(
                "/api/me", json={"current_password": "wrong-one"}, headers=bearer(token)
            )
        await error_of(resp, 401, "invalid_credentials")
    resp = await client.delete(
        "/api/me", json={"current_password": PASSWORD}, headers=bearer(token)
    )
    await error_of(resp, 429, "rate_limited")
    resp = await client.post(
        "/api/auth/login", json={"username": member["username"], "password": PASSWORD}
    )
    await error_of(resp, 429, "rate_limited")
    resp = await client.get("/api/me", headers=bearer(token))
    assert resp.status == 200  # nothing was erased


def run_cli(monkeypatch: pytest.MonkeyPatch, config: Config, stdin: str, *args: str) -> int:
    for key, value in CHEAP_ARGON2_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main([*args, "--data-dir", str(config.data_dir)])


async def test_cli_passwd_and_reset_code(
    client: TestClient,
    people: dict[str, Any],
    config: Config,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    member = people["client"]
    name = member["username"]
    assert run_cli(monkeypatch, config, "cli-password-1\n", "user", "passwd", name) == 1
    assert "--password-stdin" in capsys.readouterr().err
    args = ("user", "passwd", name, "--password-stdin")
    assert run_cli(monkeypatch, config, "short\n", *args) == 1
    assert run_cli(monkeypatch, config, "cli-password-1\n", *args) == 0
    assert "revoked" in capsys.readouterr().out
    resp = await client.get("/api/me", headers=bearer(member["token"]))
    await error_of(resp, 401, "unauthenticated")
    assert await login(client, name, "cli-password-1")

    # At a terminal: asked twice without echo, and the two must match.
    answers = iter(["tty-password-1", "tty-password-2", "tty-password-1", "tty-password-1"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    tty = io.StringIO()
    tty.isatty = lambda: True  # type: ignore[method-assign]
    for status in (1, 0):
        for key, value in CHEAP_ARGON2_ENV.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr("sys.stdin", tty)
        assert cli.main(["user", "passwd", name, "--data-dir", str(config.data_dir)]) == status
    assert "do not match" in capsys.readouterr().err
    assert await login(client, name, "tty-password-1")

    assert run_cli(monkeypatch, config, "", "user", "reset-code", name) == 0
    out = capsys.readouterr()
    code = out.out.strip()
    assert len(resetcodes.normalised(code)) == 16 and "single-use" in out.err
    resp = await reset(client, name, code)
    assert resp.status == 204
    assert await login(client, name, "new-password-1")
    assert run_cli(monkeypatch, config, "", "user", "reset-code", "ghost") == 1
