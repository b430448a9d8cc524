"""GET /api/openapi.json documents every route from the same types that validate requests."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from gymhub.schemas.common import DOC_ATTR


async def test_openapi_lists_every_api_route(client: TestClient) -> None:
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


def _params(op: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["in"], p["name"]): p for p in op["parameters"]}


async def test_openapi_parameters_say_what_the_server_enforces(client: TestClient) -> None:
    paths = (await (await client.get("/api/openapi.json")).json())["paths"]
    listing = _params(paths["/api/files"]["get"])
    assert listing[("query", "limit")]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 200,
        "default": 50,
    }
    assert listing[("query", "owner_id")]["schema"]["type"] == "integer"
    assert listing[("query", "before")]["schema"]["pattern"] == "^(?:[0-9a-f]{32})$"
    assert not listing[("query", "category")]["required"]
    for path, method, names in [
        ("/api/nutrition/meals", "get", ["client_id", "limit", "before"]),
        ("/api/progress", "get", ["client_id", "limit", "before"]),
        ("/api/messages", "get", ["with", "limit", "before"]),
        ("/api/notifications", "get", ["since", "limit"]),
        ("/api/ws", "get", ["since"]),
    ]:
        params = _params(paths[path][method])
        for name in names:
            assert params[("query", name)]["schema"]["type"] == "integer", (path, name)
    for path, names in [
        ("/api/users/{id}", ["id"]),
        ("/api/trainers/{trainer_id}/clients/{client_id}", ["trainer_id", "client_id"]),
        ("/api/ws/ws/{user_id}", ["user_id"]),
    ]:
        for op in paths[path].values():
            params = _params(op)
            for name in names:
                assert params[("path", name)]["schema"]["type"] == "integer", (path, name)
    file_id = _params(paths["/api/files/{id}"]["get"])[("path", "id")]["schema"]
    assert file_id == {"type": "string", "pattern": "^[0-9a-f]{32}$"}
    logout = _params(paths["/api/auth/logout"]["post"])[("query", "all")]["schema"]
    assert set(logout["enum"]) == {"1", "true", "yes", "0", "false", "no"}


async def test_openapi_uploads_are_multipart_with_their_fields(client: TestClient) -> None:
    paths = (await (await client.get("/api/openapi.json")).json())["paths"]
    upload = paths["/api/files/upload"]["post"]
    category = _params(upload)[("query", "category")]
    assert category["required"] and set(category["schema"]["enum"]) == {
        "meal_photos",
        "progress_photos",
        "profile_photos",
        "documents",
    }
    schema = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["file"]
    assert schema["properties"]["file"]["format"] == "binary"
    for field in ("meal_completion_id", "progress_entry_id"):
        assert schema["properties"][field]["type"] == "integer"
    meal = paths["/api/nutrition/photos/upload"]["post"]
    meal_id = _params(meal)[("query", "meal_completion_id")]
    assert meal_id["required"] and meal_id["schema"]["type"] == "integer"
    schema = meal["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["file"] and set(schema["properties"]) == {
        "file",
        "meal_completion_id",
    }
