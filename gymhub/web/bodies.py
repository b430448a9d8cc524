"""JSON request bodies read with a bound, and JSON answers encoded once with msgspec.

Kept apart from `schemas.common` so that what decodes and describes bodies (which the CLI uses)
does not load aiohttp."""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web

from gymhub.errors import TooLarge
from gymhub.schemas.common import JSON_BODY_LIMIT, decode, encoder

T = TypeVar("T")

raw_json_key = web.RequestKey("raw_json_body", bytes)


async def read_raw_json(request: web.Request) -> bytes:
    """The body's bytes, at most 1 MiB, read once per request (an Idempotency-Key's
    fingerprint reads them before the handler decodes them)."""
    kept = request.get(raw_json_key)
    if kept is not None:
        return kept
    if request.content_length is not None and request.content_length > JSON_BODY_LIMIT:
        raise TooLarge("The JSON body is larger than 1 MiB.")
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > JSON_BODY_LIMIT:
            raise TooLarge("The JSON body is larger than 1 MiB.")
    request[raw_json_key] = raw = bytes(body)
    return raw


async def read_json(request: web.Request, kind: type[T]) -> T:
    """Read a JSON body of at most 1 MiB and decode it into kind."""
    return decode(await read_raw_json(request), kind)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Encode a Struct (or plain data) once with msgspec."""
    return web.Response(
        body=encoder.encode(data),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def no_content() -> web.Response:
    """A 204 with no body."""
    return web.Response(status=204)
