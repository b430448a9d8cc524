"""Login, tokens, cookies, revocation, CSRF and the login rate limit, over real sockets."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gymhub.config import Config
from gymhub.server import make_app
from gymhub.web.appkeys import keys_key, limiter_key
from tests.conftest import AiohttpClient
from tests.support import (
    ADMIN_PASSWORD,
    CHEAP_ARGON2,
    PASSWORD,
    bearer,
    error_of,
    login,
    raw_exchange,
)


def _token(
    app: web.Application,
    *,
    key: bytes | str | None = None,
    algorithm: str = "HS256",
    **overrides: Any,
) -> str:
    """The admin's claims (overridden; None drops one), signed with the app's key or `key`."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "1",
        "role": "admin",
        "ver": 0,
        "iat": now,
        "exp": now + 600,
        "iss": "gymhub",
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    if key is None:  # pyjwt's "none" algorithm takes "" as no key, as it does None
        key = "" if algorithm == "none" else app[keys_key].jwt
    return jwt.encode(claims, key, algorithm=algorithm)


async def test_login_returns_token_user_and_session_cookie(
    client: TestClient, people: dict[str, Any]
) -> None:
    member = people["client"]
    resp = await client.post(
        "/api/auth/login", json={"username": member["username"], "password": PASSWORD}
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 12 * 3600
    assert body["user"] == {k: member[k] for k in body["user"]}
    assert set(body["user"]) == {
        *("id", "username", "display_name", "role", "disabled", "created_at"),
        *("units", "profile_photo_id", "photo_visibility"),
    }
    claims = jwt.decode(
        body["access_token"], client.app[keys_key].jwt, algorithms=["HS256"], issuer="gymhub"
    )
    assert claims["sub"] == str(member["id"]) and claims["role"] == "client"
    assert {"ver", "iat", "exp"} <= set(claims)
    cookie = resp.headers["Set-Cookie"]
    assert "gymhub_session=" in cookie and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Max-Age=" in cookie and "Secure" not in cookie


async def test_login_is_case_insensitive_and_wrong_answers_are_identical(
    client: TestClient, people: dict[str, Any]
) -> None:
    name = people["client"]["username"]
    assert await login(client, name.upper())
    wrong_pw = await client.post("/api/auth/login", json={"username": name, "password": "bad-pw"})
    no_user = await client.post("/api/auth/login", json={"username": "ghost", "password": "x"})
    assert await error_of(wrong_pw, 401, "invalid_credentials") == await error_of(
        no_user, 401, "invalid_credentials"
    )


async def test_me_with_bearer_and_with_cookie(client: TestClient, people: dict[str, Any]) -> None:
    member = people["client"]
    resp = await client.get("/api/me", headers=bearer(member["token"]))
    assert (await resp.json())["id"] == member["id"]
    await login(client, member["username"])  # the jar now holds this user's session cookie
    resp = await client.get("/api/me")
    assert resp.status == 200 and (await resp.json())["id"] == member["id"]


async def test_a_token_that_is_not_ascii_is_401(client: TestClient) -> None:
    # Header bytes that are not UTF-8 reach the server as surrogates; pyjwt could not encode them.
    for token in (b"\xff\xfe\x80", b"a\x80b", "caf\u00e9".encode()):
        status, body = await raw_exchange(
            client,
            b"GET /api/me HTTP/1.1\r\nHost: gymhub\r\nConnection: close\r\n"
            b"Authorization: Bearer " + token + b"\r\n\r\n",
        )
        assert status == "HTTP/1.1 401 Unauthorized", (token, status)
        assert json.loads(body)["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "case",
    ["expired", "tampered", "alg_none", "issuer", "missing_ver", "wrong_key", "bad_sub", "garbage"],
)
async def test_bad_tokens_are_401(client: TestClient, admin: str, case: str) -> None:
    app = client.app
    if case == "expired":
        token = _token(app, iat=int(time.time()) - 100, exp=int(time.time()) - 10)
    elif case == "tampered":
        head, payload, sig = admin.split(".")
        data = json.loads(base64.urlsafe_b64decode(payload + "=="))
        data["role"] = "admin"
        data["sub"] = "2"
        forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
        token = f"{head}.{forged}.{sig}"
    elif case == "alg_none":
        token = _token(app, algorithm="none")
    elif case == "issuer":
        token = _token(app, iss="someone-else")
    elif case == "missing_ver":
        token = _token(app, ver=None)
    elif case == "wrong_key":
        token = _token(app, key=b"k" * 32)
    elif case == "bad_sub":
        token = _token(app, sub="1 OR 1=1")
    else:
        token = "not.a.token"
    resp = await client.get("/api/me", headers=bearer(token))
    await error_of(resp, 401, "unauthenticated")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "9" * 30},  # past SQLite's integer: was a 500
        {"sub": str(2**63)},
        {"sub": "\u0661"},  # ARABIC-INDIC DIGIT ONE: str.isdigit() and int() took it as user 1
        {"sub": "01"},
        {"sub": "+1"},
        {"sub": 1},
        {"ver": False},  # a bool is an int to Python, and False == 0
        {"ver": 0.0},
        {"ver": "0"},
        {"iat": True},
        {"iat": 1.5e9},
        {"exp": float(2**40)},
    ],
    ids=repr,
)
async def test_loosely_typed_claims_signed_with_the_real_key_are_401(
    client: TestClient, admin: str, claims: dict[str, Any]
) -> None:
    # The admin's own claims (user 1, version 0) but for one loosely typed value.
    resp = await client.get("/api/me", headers=bearer(_token(client.app, **claims)))
    await error_of(resp, 401, "unauthenticated")


async def test_the_largest_user_id_is_a_missing_user_not_an_error(
    client: TestClient, admin: str
) -> None:
    resp = await client.get("/api/me", headers=bearer(_token(client.app, sub=str(2**63 - 1))))
    await error_of(resp, 401, "unauthenticated")
    resp = await client.get("/api/me", headers=bearer(_token(client.app)))
    assert resp.status == 200


async def test_a_well_signed_token_of_a_missing_user_is_401(client: TestClient) -> None:
    resp = await client.get("/api/me", headers=bearer(_token(client.app, sub="999")))
    await error_of(resp, 401, "unauthenticated")


async def test_password_change_revokes_earlier_tokens(
    client: TestClient, people: dict[str, Any]
) -> None:
    member = people["client"]
    old = member["token"]
    resp = await client.post(
        "/api/me/password",
        headers=bearer(old),
        json={"current_password": PASSWORD, "new_password": "short"},
    )
    assert "new_password" in await error_of(resp, 400, "invalid_request")
    resp = await client.post(
        "/api/me/password",
        headers=bearer(old),
        json={"current_password": "wrong-one", "new_password": "n3w-secret"},
    )
    await error_of(resp, 401, "invalid_credentials")
    resp = await client.post(
        "/api/me/password",
        headers=bearer(old),
        json={"current_password": PASSWORD, "new_password": "n3w-secret"},
    )
    assert resp.status == 204
    await error_of(await client.get("/api/me", headers=bearer(old)), 401, "unauthenticated")
    new = await login(client, member["username"], "n3w-secret")
    assert (await client.get("/api/me", headers=bearer(new))).status == 200
    resp = await client.post(
        "/api/auth/login", json={"username": member["username"], "password": PASSWORD}
    )
    await error_of(resp, 401, "invalid_credentials")


async def test_logout_all_revokes_tokens_and_cookie(
    client: TestClient, people: dict[str, Any]
) -> None:
    member = people["client"]
    other_token = await login(client, member["username"])  # also the jar's cookie now
    assert (await client.get("/api/me")).status == 200
    resp = await client.post("/api/auth/logout?all=1", headers=bearer(member["token"]))
    assert resp.status == 204
    for token in (member["token"], other_token):
        await error_of(await client.get("/api/me", headers=bearer(token)), 401, "unauthenticated")


async def test_plain_logout_ends_the_cookie_session_only(
    client: TestClient, people: dict[str, Any]
) -> None:
    member = people["client"]
    await login(client, member["username"])
    origin = {"Origin": str(client.make_url("")).rstrip("/")}
    resp = await client.post("/api/auth/logout", headers=origin)
    assert resp.status == 204
    await error_of(await client.get("/api/me"), 401, "unauthenticated")
    assert (await client.get("/api/me", headers=bearer(member["token"]))).status == 200


async def test_disabled_user_loses_tokens_cookie_and_login(
    client: TestClient, people: dict[str, Any]
) -> None:
    admin, member = people["admin"], people["client"]
    await login(client, member["username"])  # cookie session of the client
    resp = await client.patch(
        f"/api/users/{member['id']}", headers=bearer(admin), json={"disabled": True}
    )
    assert resp.status == 200 and (await resp.json())["disabled"] is True
    await error_of(
        await client.get("/api/me", headers=bearer(member["token"])), 401, "unauthenticated"
    )
    await error_of(await client.get("/api/me"), 401, "unauthenticated")
    resp = await client.post(
        "/api/auth/login", json={"username": member["username"], "password": PASSWORD}
    )
    await error_of(resp, 401, "invalid_credentials")


async def test_cookie_requests_need_our_origin(client: TestClient, people: dict[str, Any]) -> None:
    admin = people["admin"]
    await login(client, "admin", ADMIN_PASSWORD)
    base = str(client.make_url("")).rstrip("/")
    payload = {"username": "via-cookie", "password": PASSWORD, "role": "client"}
    resp = await client.post("/api/users", json=payload)
    await error_of(resp, 403, "csrf_failed")
    resp = await client.post("/api/users", json=payload, headers={"Origin": "https://evil.test"})
    await error_of(resp, 403, "csrf_failed")
    resp = await client.post(
        "/api/users", json=payload, headers={"Referer": "https://evil.test/page"}
    )
    await error_of(resp, 403, "csrf_failed")
    resp = await client.post("/api/users", json=payload, headers={"Origin": "null"})
    await error_of(resp, 403, "csrf_failed")
    resp = await client.post("/api/users", json=payload, headers={"Origin": base})
    assert resp.status == 201
    resp = await client.post(
        "/api/users", headers={**bearer(admin)}, json={**payload, "username": "via-bearer"}
    )
    assert resp.status == 201
    resp = await client.post(
        "/api/users",
        json={**payload, "username": "via-referer"},
        headers={"Referer": base + "/somewhere"},
    )
    assert resp.status == 201
    # A safe method needs no Origin.
    assert (await client.get("/api/users")).status == 200


async def test_login_from_a_foreign_page_is_refused(
    client: TestClient, people: dict[str, Any]
) -> None:
    resp = await client.post(
        "/api/auth/login",
        headers={"Origin": "https://evil.test"},
        json={"username": people["client"]["username"], "password": PASSWORD},
    )
    await error_of(resp, 403, "csrf_failed")


async def test_rate_limit_after_five_failures(client: TestClient, people: dict[str, Any]) -> None:
    name = people["client"]["username"]
    for _ in range(5):
        resp = await client.post("/api/auth/login", json={"username": name, "password": "bad!"})
        await error_of(resp, 401, "invalid_credentials")
    resp = await client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
    await error_of(resp, 429, "rate_limited")
    assert 1 <= int(resp.headers["Retry-After"]) <= 900
    # Other usernames from the same address are not affected.
    other = people["stranger"]["username"]
    assert await login(client, other)


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_rate_limit_window_passes(
    client: TestClient, people: dict[str, Any], app: web.Application
) -> None:
    clock = app[limiter_key].clock = FakeClock()
    name = people["client"]["username"]
    for _ in range(5):
        await client.post("/api/auth/login", json={"username": name, "password": "bad!"})
    resp = await client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
    await error_of(resp, 429, "rate_limited")
    clock.now += 899
    resp = await client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
    await error_of(resp, 429, "rate_limited")
    assert resp.headers["Retry-After"] == "1"
    clock.now += 1
    assert await login(client, name)


async def test_failed_logins_are_limited_per_address_whatever_the_username(
    aiohttp_client: AiohttpClient, config: Config
) -> None:
    # Random usernames each get a fresh per-name allowance; the address's own limit stops them.
    app = make_app(dataclasses.replace(config, login_max_failures_per_address=8))
    clock = app[limiter_key].clock = FakeClock()
    client = await aiohttp_client(app)
    for n in range(8):
        resp = await client.post(
            "/api/auth/login", json={"username": f"nobody{n}", "password": "bad!"}
        )
        await error_of(resp, 401, "invalid_credentials")
    resp = await client.post(
        "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    await error_of(resp, 429, "rate_limited")
    assert 1 <= int(resp.headers["Retry-After"]) <= 900
    clock.now += 900
    assert await login(client, "admin", ADMIN_PASSWORD)


async def test_secure_cookie_when_public_origin_is_https(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    app = make_app(
        Config(
            data_dir=tmp_path / "d",
            admin_password=ADMIN_PASSWORD,
            public_origin="https://gym.example.org",
            **CHEAP_ARGON2,
        )
    )
    client = await aiohttp_client(app)
    resp = await client.post(
        "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert "Secure" in resp.headers["Set-Cookie"]
