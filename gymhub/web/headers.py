"""Security headers on every response; media and the page refine them in their handlers."""

from __future__ import annotations

from aiohttp import web

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """nosniff everywhere; a CSP that fits the content unless the handler set its own."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if "Content-Security-Policy" not in headers:
        is_page = response.content_type in (
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
        )
        headers["Content-Security-Policy"] = PAGE_CSP if is_page else API_CSP
