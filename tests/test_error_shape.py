"""Locks the one error shape: every failure is {"error": {"code", "message"}} with its status."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gymhub.web.appkeys import db_key
from tests.support import bearer, create_user, error_of


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/api/me", None, 401, "unauthenticated"),
        ("GET", "/api/nowhere", None, 404, "not_found"),
        ("GET", "/nowhere/at/all", None, 404, "not_found"),
        ("DELETE", "/api/nowhere", None, 404, "not_found"),
        ("GET", "/api/users/abc", None, 404, "not_found"),
        ("POST", "/api/auth/login", b"{not json", 400, "invalid_request"),
        ("POST", "/api/auth/login", b'{"username": "x"}', 400, "invalid_request"),
        (
            "POST",
            "/api/auth/login",
            b'{"username": "x", "password": "nope"}',
            401,
            "invalid_credentials",
        ),
        ("PUT", "/api/auth/login", b"{}", 405, "method_not_allowed"),
        ("POST", "/api/files/media/meal_photos/x.jpg", b"{}", 405, "method_not_allowed"),
    ],
)
async def test_error_shape(
    client: TestClient, method: str, path: str, body: bytes | None, status: int, code: str
) -> None:
    resp = await client.request(
        method, path, data=body, headers={"Content-Type": "application/json"}
    )
    message = await error_of(resp, status, code)
    assert message and "Traceback" not in message and "/" not in message.replace("/1", "")
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert len(resp.headers["X-Request-Id"]) == 32


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/auth/login", {"POST"}),
        ("POST", "/api/files/media/meal_photos/x.jpg", {"GET", "HEAD", "DELETE"}),
        ("PUT", "/api/me", {"GET", "HEAD", "PATCH", "DELETE"}),
    ],
)
async def test_405_names_the_methods_the_path_allows(
    client: TestClient, method: str, path: str, allowed: set[str]
) -> None:
    # A path no route takes reaches web/front.py's catch-all, which answers as the router did.
    resp = await client.request(method, path)
    await error_of(resp, 405, "method_not_allowed")
    assert set(resp.headers["Allow"].split(",")) == allowed


async def test_invalid_utf8_in_json_is_400(client: TestClient, admin: str) -> None:
    # A byte that is not UTF-8 inside a JSON string, at login and on an authenticated endpoint.
    bad = b'{"username": "\xff", "password": "xxxxxxxxx"}'
    resp = await client.post(
        "/api/auth/login", data=bad, headers={"Content-Type": "application/json"}
    )
    assert "UTF-8" in await error_of(resp, 400, "invalid_request")
    resp = await client.post(
        "/api/users",
        data=b'{"username": "ann\xed\xa0\x80", "password": "password-123", "role": "client"}',
        headers={**bearer(admin), "Content-Type": "application/json"},
    )
    assert "UTF-8" in await error_of(resp, 400, "invalid_request")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/files?limit=", "limit"),
        ("/api/files?limit=abc", "limit"),
        ("/api/files?limit=1&limit=500", "limit"),
        ("/api/files?category=", "category"),
        ("/api/files?before=", "before"),
        ("/api/nutrition/photos/list?before=not-a-file-id", "before"),
        ("/api/notifications?since=1&since=2", "since"),
        ("/api/messages?with=", "with"),
        ("/api/nutrition/meals?client_id=+1", "client_id"),
        ("/api/progress?limit=0", "limit"),
    ],
)
async def test_bad_query_parameter_is_400_naming_it(
    client: TestClient, admin: str, path: str, name: str
) -> None:
    resp = await client.get(path, headers=bearer(admin))
    message = await error_of(resp, 400, "invalid_request")
    assert message.startswith(f"{name}: "), message
    if "&" in path:
        assert "given 2 times" in message


async def test_logout_all_takes_only_its_documented_values(client: TestClient, admin: str) -> None:
    user = await create_user(client, admin, "client")
    client.session.cookie_jar.clear()  # the token alone must be what is revoked or not
    for value in ("2", "", "on", "1&all=1"):
        resp = await client.post(f"/api/auth/logout?all={value}", headers=bearer(user["token"]))
        assert (await error_of(resp, 400, "invalid_request")).startswith("all: ")
        resp = await client.get("/api/me", headers=bearer(user["token"]))
        assert resp.status == 200, "a refused logout revokes nothing"
    resp = await client.post("/api/auth/logout?all=no", headers=bearer(user["token"]))
    assert resp.status == 204
    assert (await client.get("/api/me", headers=bearer(user["token"]))).status == 200
    resp = await client.post("/api/auth/logout?all=yes", headers=bearer(user["token"]))
    assert resp.status == 204
    await error_of(
        await client.get("/api/me", headers=bearer(user["token"])), 401, "unauthenticated"
    )


async def test_401_names_bearer(client: TestClient, admin: str) -> None:
    client.session.cookie_jar.clear()  # the admin fixture's login left a session cookie
    resp = await client.get("/api/me")
    await error_of(resp, 401, "unauthenticated")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    # Every 401 names the scheme (RFC 9110 15.5.2), wrong credentials included.
    wrong = await client.post("/api/auth/login", json={"username": "nobody", "password": "x" * 8})
    await error_of(wrong, 401, "invalid_credentials")
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    current = {"current_password": "not-the-password", "new_password": "a-new-password-1"}
    wrong = await client.post("/api/me/password", headers=bearer(admin), json=current)
    await error_of(wrong, 401, "invalid_credentials")
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"username": "x"}, "password: required."),
        ({"password": "x"}, "username: required."),
        ({"username": 5, "password": "x"}, "username: Expected `str`, got `int`"),
    ],
)
async def test_a_400_message_starts_with_the_field(
    client: TestClient, body: dict[str, Any], message: str
) -> None:
    resp = await client.post("/api/auth/login", json=body)
    assert await error_of(resp, 400, "invalid_request") == message


async def test_unexpected_error_is_logged_500_with_request_id(
    client: TestClient, admin: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A real fault inside the stack: the database connection is closed under the app.
    db = client.app[db_key]
    await db.close()
    resp = await client.get("/api/users", headers=bearer(admin))
    message = await error_of(resp, 500, "internal_error")
    request_id = resp.headers["X-Request-Id"]
    assert request_id in message
    assert "sqlite" not in message.lower() and "Traceback" not in message
    assert any(request_id in r.getMessage() for r in caplog.records)
    await db.open()


async def test_healthz_reports_503_when_database_is_gone(client: TestClient) -> None:
    db = client.app[db_key]
    await db.close()
    resp = await client.get("/healthz")
    assert resp.status == 503
    await db.open()
    resp = await client.get("/healthz")
    assert resp.status == 200
