"""The OpenAPI 3.1 document, generated from the routes and the Structs that validate them."""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import TYPE_CHECKING, Any

import msgspec

from gymhub import __version__
from gymhub.schemas.common import DOC_ATTR, IDEMPOTENT_ATTR, Doc

if TYPE_CHECKING:
    # Annotations only, as in schemas/query.py.
    from aiohttp import web

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

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "The same key within 24 hours returns the first answer and creates nothing "
    "new; other content under it is 409",
    "schema": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[\\x20-\\x7e]+$"},
}

# aiohttp's pattern for a `{name}` without a regex of its own.
_ANY_SEGMENT = "[^{}/]+"
# The ID route pattern: up to 18 digits.
_ID_PATTERN = re.compile(r"\[0-9\]\{1,(\d+)\}")


def _path_params(pattern: str) -> tuple[tuple[str, str], ...]:
    """Each path variable of a compiled route pattern with the regex the route matches it by."""
    return tuple(re.findall(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", pattern))


def _path_schema(regex: str) -> dict[str, Any]:
    """The route's own pattern says what a path variable may be."""
    digits = _ID_PATTERN.fullmatch(regex)
    if digits is not None:
        return {"type": "integer", "minimum": 0, "maximum": 10 ** int(digits.group(1)) - 1}
    if regex == _ANY_SEGMENT:
        return {"type": "string"}
    return {"type": "string", "pattern": f"^{regex}$"}


Route = tuple[str, str, tuple[tuple[str, str], ...], Doc]


def _operation(
    path_params: tuple[tuple[str, str], ...], doc: Doc, by_type: dict[Any, Any]
) -> dict[str, Any]:
    """One route's OpenAPI operation: parameters, body, responses and security."""
    op: dict[str, Any] = {
        "summary": doc.summary,
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": _path_schema(regex)}
            for name, regex in path_params
        ]
        + [
            {
                "name": param.name,
                "in": "query",
                "required": param.required,
                "description": param.description,
                "schema": param.schema(),
            }
            for param in doc.query
        ],
    }
    if doc.idempotent:
        op["parameters"].append(IDEMPOTENCY_KEY)
    content: dict[str, Any] = {}
    if doc.request is not None:
        content["application/json"] = {"schema": by_type[doc.request]}
    if doc.form is not None:
        content["multipart/form-data"] = {"schema": doc.form.schema()}
    if content:
        op["requestBody"] = {"required": True, "content": content}
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
    return op


@functools.cache
def _document(routes: tuple[Route, ...]) -> bytes:
    types = [d.request for *_, d in routes if d.request] + [
        d.response for *_, d in routes if d.response
    ]
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}"
    )
    by_type = dict(zip(types, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for method, path, path_params, doc in routes:
        paths.setdefault(path, {})[method.lower()] = _operation(path_params, doc, by_type)
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
    routes: list[Route] = []
    for route in app.router.routes():
        doc = getattr(route.handler, DOC_ATTR, None)
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        pattern = info.get("pattern")
        params = _path_params(pattern.pattern) if pattern is not None else ()
        if doc is not None and getattr(route.handler, IDEMPOTENT_ATTR, False):
            doc = dataclasses.replace(doc, idempotent=True)
        if doc is not None and path and route.method != "HEAD":
            routes.append((route.method, path, params, doc))
    return _document(tuple(routes))
