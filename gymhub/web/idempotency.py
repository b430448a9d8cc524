"""The Idempotency-Key header (API.md "Idempotent writes") on a route: `@idempotent`.

Without the header a decorated handler runs as before. With it, the key is checked (1-100
printable ASCII characters, else 400), the request's content is fingerprinted (a JSON body's
bytes; a multipart body part by part as the form reader streams it, through `note_part` and
`body_read`), and a key already answered within 24 hours gets that answer back byte for byte,
or 409 when it was for other content. The creating transaction stores the answer itself
(services/idempotency.py); an answer that created nothing (a duplicate upload's 200) is stored
here after the handler. Error answers are not stored: a retry after a 507 may succeed.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from gymhub.errors import InvalidRequest
from gymhub.schemas.common import IDEMPOTENT_ATTR
from gymhub.services import idempotency
from gymhub.services.idempotency import Answer, Once, Replayed
from gymhub.web.appkeys import db_key
from gymhub.web.bodies import read_raw_json
from gymhub.web.forms import is_multipart_form
from gymhub.web.identity import current_viewer

KEY_HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x20-\x7e]{1,100}")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Fingerprint:
    """sha256 of what a request asks: method, path, sorted query and each body item in order,
    every item length-prefixed so no two sequences hash alike. The multipart boundary and the
    parts' own headers are not in it; part names, field values, file names and bytes are."""

    def __init__(self, request: web.Request):
        self._hash = hashlib.sha256()
        self.add(request.method, request.path)
        for name, value in sorted(request.query.items()):
            self.add(name, value)

    def add(self, *items: str | bytes) -> None:
        for item in items:
            data = item.encode("utf-8", "surrogateescape") if isinstance(item, str) else item
            self._hash.update(len(data).to_bytes(8, "big") + data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


once_key = web.RequestKey("idempotency_once", Once)
print_key = web.RequestKey("idempotency_print", Fingerprint)


def read_key(request: web.Request) -> str | None:
    """The request's Idempotency-Key, None without one; 400 when malformed or repeated."""
    values = request.headers.getall(KEY_HEADER, [])
    if not values:
        return None
    if len(values) > 1 or _KEY.fullmatch(values[0]) is None:
        raise InvalidRequest(f"{KEY_HEADER}: give it once, 1 to 100 printable ASCII characters.")
    return values[0]


def answer_response(answer: Answer) -> web.Response:
    """A remembered answer, sent as it was first sent."""
    return web.Response(status=answer.status, body=answer.body, content_type="application/json")


def note_part(request: web.Request, name: str, content: str | bytes) -> None:
    """Add one multipart item (a field's value, or a file's name and sha256) to the fingerprint
    of a keyed request; nothing without a key."""
    fingerprint = request.get(print_key)
    if fingerprint is not None:
        fingerprint.add(name, content)


async def body_read(request: web.Request) -> None:
    """The multipart body is read: fix the fingerprint and replay the key's first answer (raises
    Replayed) or refuse other content under it (409), before anything is checked or kept."""
    fingerprint, once = request.get(print_key), request.get(once_key)
    if fingerprint is None or once is None:
        return
    once.fingerprint = fingerprint.hexdigest()
    found = await request.app[db_key].read(lambda conn: idempotency.prior(conn, once))
    if found is not None:
        raise Replayed(found)


def idempotent(handler: Handler) -> Handler:
    """Give a creating POST route the Idempotency-Key behaviour (see the module's doc)."""

    @functools.wraps(handler)
    async def keyed(request: web.Request) -> web.StreamResponse:
        key = read_key(request)
        if key is None:
            return await handler(request)
        viewer = await current_viewer(request)
        once = Once(viewer.id, key)
        fingerprint = Fingerprint(request)
        if is_multipart_form(request):
            request[print_key] = fingerprint
        else:
            fingerprint.add("json", await read_raw_json(request))
            once.fingerprint = fingerprint.hexdigest()
            found = await request.app[db_key].read(lambda conn: idempotency.prior(conn, once))
            if found is not None:
                return answer_response(found)
        request[once_key] = once
        token = idempotency.enter(once)
        try:
            response = await handler(request)
        except Replayed as replay:
            return answer_response(replay.answer)
        finally:
            idempotency.leave(token)
        return await _settle(request, once, response)

    setattr(keyed, IDEMPOTENT_ATTR, True)
    return keyed


async def _settle(
    request: web.Request, once: Once, response: web.StreamResponse
) -> web.StreamResponse:
    """Store a success no transaction stored (it created nothing); should the key have been
    answered meanwhile, that first answer is the one sent."""
    if once.stored is not None or once.fingerprint is None or not 200 <= response.status < 300:
        return response
    body = getattr(response, "body", None)
    if not isinstance(body, bytes):
        return response
    answer = Answer(response.status, body)
    first = await request.app[db_key].write(lambda conn: idempotency.settle(conn, once, answer))
    once.stored = first
    return response if first == answer else answer_response(first)
