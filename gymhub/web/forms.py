"""What kind of body a request carries, read from its headers without aiohttp's costly parser."""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.helpers import parse_mimetype


def is_multipart_form(request: web.BaseRequest) -> bool:
    """Whether the request's body is multipart/form-data (any case, any parameters)."""
    # request.content_type parses the header with the email package: 0.3-0.8 ms on the event
    # loop per upload, since each body's fresh boundary misses its cache. parse_mimetype, which
    # aiohttp's MultipartReader itself uses, takes a few microseconds and agrees on the type.
    mime = parse_mimetype(request.headers.get(hdrs.CONTENT_TYPE, ""))
    return mime.type == "multipart" and mime.subtype == "form-data"
