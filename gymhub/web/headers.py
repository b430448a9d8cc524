"""Security headers on every response; media and the page refine them in their handlers."""

from __future__ import annotations

from aiohttp import hdrs, web
from multidict import istr

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Header names as multidict's istr: a lookup by a plain str folds its case on every call, and
# the hot path looks up a dozen names per request.
REQUEST_ID = istr("X-Request-Id")


def secure(response: web.StreamResponse) -> None:
    """nosniff everywhere; a CSP that fits the content unless the handler set its own.

    web/front.py applies it to every answer it returns; the two handlers that start their own
    response (the export's stream, the WebSocket handshake) call it before prepare(). A call,
    not an on_response_prepare signal: the signal's dispatch was a coroutine per response.
    """
    headers = response.headers
    headers.setdefault(hdrs.X_CONTENT_TYPE_OPTIONS, "nosniff")
    headers.setdefault(hdrs.REFERRER_POLICY, "same-origin")
    headers.setdefault(hdrs.X_FRAME_OPTIONS, "DENY")
    if hdrs.CONTENT_SECURITY_POLICY not in headers:
        is_page = response.content_type in (
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
        )
        headers[hdrs.CONTENT_SECURITY_POLICY] = PAGE_CSP if is_page else API_CSP
