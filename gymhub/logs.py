"""Logging set-up and the access logger, which never writes a token or ticket."""

from __future__ import annotations

import json
import logging
import re
import sys
import time

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from gymhub.errors import request_id_key

_SECRET_PARAMS = re.compile(r"(?i)([?&](?:token|ticket|access_token)=)[^&#\s]*")


def redact(path_qs: str) -> str:
    """The request target with token-like query values replaced."""
    return _SECRET_PARAMS.sub(r"\1[redacted]", path_qs)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for journald or a log shipper."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def setup_logging(fmt: str, level: str) -> None:
    """Send gymhub's and aiohttp's logs to stderr as text or JSON."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class AccessLogger(AbstractAccessLogger):
    """Method, redacted path, status, size, duration and request id of every request."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        target = redact(request.path_qs)
        request_id = request.get(request_id_key, "")
        fields = {
            "remote": request.remote,
            "method": request.method,
            "path": target,
            "status": response.status,
            "bytes": response.body_length,
            "duration_ms": round(time * 1000, 2),
            "request_id": request_id,
        }
        self.logger.info(
            '%s "%s %s" %s %s %.1fms %s',
            request.remote,
            request.method,
            target,
            response.status,
            response.body_length,
            time * 1000,
            request_id,
            extra={"fields": fields},
        )
