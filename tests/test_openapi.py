"""GET /api/openapi.json documents every route from the same types that validate requests."""

from __future__ import annotations

from gymhub.schemas.common import DOC_ATTR


async def test_openapi_lists_every_api_route(client):
    resp = await client.get("/api/openapi.json")
    assert resp.status == 200
    spec = await resp.json()
    assert spec["openapi"].startswith("3.1")
    paths = spec["paths"]
    assert paths["/api/auth/login"]["post"]["requestBody"]["content"]["application/json"]
    login_schema = spec["components"]["schemas"]["LoginRequest"]
    assert set(login_schema["required"]) == {"username", "password"}
    create = spec["components"]["schemas"]["UserCreate"]
    assert create["properties"]["password"]["minLength"] == 8
    assert "/api/users/{id}" in paths and "patch" in paths["/api/users/{id}"]
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if route.method == "HEAD" or not path.startswith("/api/"):
            continue
        assert getattr(route.handler, DOC_ATTR, None) is not None, f"{route.method} {path}"
        assert route.method.lower() in paths[path], f"{route.method} {path} missing"
