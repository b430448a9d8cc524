"""The OpenAPI 3.1 document, generated from the routes and the Structs that validate them."""

from __future__ import annotations

import functools
import re
from typing import Any

import msgspec
from aiohttp import web

from gymhub import __version__
from gymhub.schemas.common import DOC_ATTR, Doc

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def _path_template(path: str) -> tuple[str, list[str]]:
    names: list[str] = []

    def repl(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return "{" + match.group(1) + "}"

    return re.sub(r"\{(\w+)(?::[^{}]*(?:\{[^{}]*\}[^{}]*)*)?\}", repl, path), names


@functools.cache
def _document(routes: tuple[tuple[str, str, Doc], ...]) -> bytes:
    types = [d.request for _, _, d in routes if d.request] + [
        d.response for _, _, d in routes if d.response
    ]
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}"
    )
    by_type = dict(zip(types, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for method, path, doc in routes:
        template, names = _path_template(path)
        op: dict[str, Any] = {
            "summary": doc.summary,
            "parameters": [
                {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                for n in names
            ]
            + [
                {
                    "name": q,
                    "in": "query",
                    "required": False,
                    "description": text,
                    "schema": {"type": "string"},
                }
                for q, text in doc.query
            ],
        }
        if doc.request is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": by_type[doc.request]}},
            }
        ok: dict[str, Any] = {"description": "success"}
        if doc.response is not None:
            ok["content"] = {"application/json": {"schema": by_type[doc.response]}}
        op["responses"] = {
            str(doc.status): ok,
            "default": {
                "description": "error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        }
        if doc.auth:
            op["security"] = [{"bearer": []}, {"cookie": []}]
        paths.setdefault(template, {})[method.lower()] = op
    components["Error"] = ERROR_SCHEMA
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "gymhub", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "gymhub_session"},
            },
        },
    }
    return msgspec.json.encode(spec)


def build_openapi(app: web.Application) -> bytes:
    """Every documented route of the app as an OpenAPI 3.1 JSON document."""
    routes = []
    for route in app.router.routes():
        doc = getattr(route.handler, DOC_ATTR, None)
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if doc is not None and path and route.method != "HEAD":
            routes.append((route.method, path, doc))
    return _document(tuple(routes))
