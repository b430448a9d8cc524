"""Locks the one error shape: every failure is {"error": {"code", "message"}} with its status."""

from __future__ import annotations

import pytest

from gymhub.appkeys import db_key
from tests.support import bearer, error_of


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/api/me", None, 401, "unauthenticated"),
        ("GET", "/api/nowhere", None, 404, "not_found"),
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
    ],
)
async def test_error_shape(client, method, path, body, status, code):
    resp = await client.request(
        method, path, data=body, headers={"Content-Type": "application/json"}
    )
    message = await error_of(resp, status, code)
    assert message and "Traceback" not in message and "/" not in message.replace("/1", "")
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_401_names_bearer(client):
    resp = await client.get("/api/me")
    await error_of(resp, 401, "unauthenticated")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_unexpected_error_is_logged_500_with_request_id(client, admin, caplog):
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


async def test_healthz_reports_503_when_database_is_gone(client):
    db = client.app[db_key]
    await db.close()
    resp = await client.get("/healthz")
    assert resp.status == 503
    await db.open()
    resp = await client.get("/healthz")
    assert resp.status == 200
