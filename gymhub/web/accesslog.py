"""The access log: one line per request, its query redacted, with the request id."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from gymhub import logs
from gymhub.web.errors import request_id_key


class AccessLogger(AbstractAccessLogger):
    """Method, redacted path, status, size, duration and request id of every request.

    It runs once per request on the event loop, so it skips what logging.info() would add for
    nothing: the caller lookup (a stack walk) and %-formatting at emit time.
    """

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        super().__init__(logger, log_format)
        # aiohttp makes one per connection, after setup_logging: the handler it installed, if
        # the lines go there (nothing in between may filter or route them).
        self._direct = logs.direct_handler() if logger.propagate and not logger.handlers else None

    @property
    def enabled(self) -> bool:
        # aiohttp asks once per connection; when False it never calls log(), nor times requests.
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        logger = self.logger
        raw = request.raw_path
        if "?" in raw or "%" in raw or "eyJ" in raw or not raw.isascii():
            # Judged on the normalised target (a percent-encoded token decoded first).
            path_qs = request.path_qs
            target = logs.redact(path_qs) if "?" in path_qs or "eyJ" in path_qs else path_qs
        else:
            # Most targets: a plain path with nothing to redact, logged as sent.
            target = raw
        # web/front.py names the id in every answer it returns; a streamed one keeps it aside.
        request_id = response.headers.get("X-Request-Id") or request.get(request_id_key, "")
        remote, method, status = request.remote, request.method, response.status
        size, ms = response.body_length, time * 1000
        message = f'{remote} "{method} {target}" {status} {size} {ms:.1f}ms {request_id}'
        direct = self._direct
        fields = None
        if direct is None or direct[1].wants_fields:
            fields = {
                "remote": remote,
                "method": method,
                "path": target,
                "status": status,
                "bytes": size,
                "duration_ms": round(ms, 2),
                "request_id": request_id,
            }
        if direct is not None:
            # A LogRecord costs more than the rest of a small cached response: a line per request
            # goes straight to the handler setup_logging installed, formatted as it would.
            handler, formatter = direct
            handler.write_line(formatter.access_line(logs.time_now(), logger.name, message, fields))
            return
        record = logger.makeRecord(
            logger.name, logging.INFO, __file__, 0, message, (), None, extra={"fields": fields}
        )
        logger.handle(record)
