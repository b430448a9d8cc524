"""The access log: one line per request, its query redacted, with the request id."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from gymhub import logs
from gymhub.web.errors import request_id_key
from gymhub.web.headers import REQUEST_ID


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
        self._name = logger.name

    @property
    def enabled(self) -> bool:
        # aiohttp asks once per connection; when False it never calls log(), nor times requests.
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        raw = request.raw_path
        if "?" in raw or "%" in raw or "eyJ" in raw or not raw.isascii():
            # Judged on the normalised target (a percent-encoded token decoded first).
            path_qs = request.path_qs
            target = logs.redact(path_qs) if "?" in path_qs or "eyJ" in path_qs else path_qs
        else:
            # Most targets: a plain path with nothing to redact, logged as sent.
            target = raw
        # web/front.py names the id in every answer it returns; a streamed one keeps it aside.
        request_id = response.headers.get(REQUEST_ID) or request.get(request_id_key, "")
        entry = (
            self._name,
            logs.time_now(),
            request.remote,
            request.method,
            target,
            response.status,
            response.body_length,
            time,
            request_id,
        )
        direct = self._direct
        if direct is not None:
            # A LogRecord costs more than the rest of a small cached response: the line goes
            # straight to the handler setup_logging installed, formatted as it would be.
            direct.add_access(entry)
            return
        logger = self.logger
        record = logger.makeRecord(
            logger.name,
            logging.INFO,
            __file__,
            0,
            logs.access_message(entry),
            (),
            None,
            extra={"fields": logs.access_fields(entry)},
        )
        logger.handle(record)
