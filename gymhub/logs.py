"""Logging set-up and the access logger, which never writes a token or ticket."""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import re
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO
from urllib.parse import unquote_plus

from gymhub.logflood import INTERVAL, RepeatFilter

time_now = time.time
# One access-log line to write: logger name, time, remote, method, target, status, bytes,
# seconds taken, request id. Kept as a tuple until its batch is written (LoopFlushedHandler).
AccessEntry = tuple[str, float, str | None, str, str, int, int, float, str]


def access_message(entry: AccessEntry) -> str:
    """The access line's message: `remote "METHOD target" status bytes 1.2ms request-id`."""
    _, _, remote, method, target, status, size, seconds, request_id = entry
    return f'{remote} "{method} {target}" {status} {size} {seconds * 1000:.1f}ms {request_id}'


def access_fields(entry: AccessEntry) -> dict[str, Any]:
    """The access line's fields, as the JSON format shows them."""
    _, _, remote, method, target, status, size, seconds, request_id = entry
    return {
        "remote": remote,
        "method": method,
        "path": target,
        "status": status,
        "bytes": size,
        "duration_ms": round(seconds * 1000, 2),
        "request_id": request_id,
    }


_SECRET_NAMES = ("token", "ticket", "access_token")
# A JWT's header and payload are base64url JSON objects: both start "eyJ".
_JWT = re.compile(r"eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*")
_PAIRS = re.compile(r"([&;])")


def _secret_pair(pair: str) -> bool:
    # Judged as the server reads it, percent-decoded: `%74oken=` is `token=`, and `token%3D<JWT>`
    # is a name that starts `token=`. Whatever holds a JWT is secret whatever its name.
    decoded = unquote_plus(pair)
    name = decoded.partition("=")[0].strip().lower()
    return name in _SECRET_NAMES or _JWT.search(decoded) is not None


def redact(path_qs: str) -> str:
    """The request target with token-like query values replaced.

    Each query pair is percent-decoded before it is judged, so no spelling of `token=` (and no
    JWT under any name) reaches the log; a JWT in the path is replaced too.
    """
    path, question, query = path_qs.partition("?")
    if _JWT.search(unquote_plus(path)):
        # Logged as sent (decoding could write control characters into the log), so a JWT
        # that is percent-encoded takes the whole path with it.
        path = _JWT.sub("[redacted]", path)
        if _JWT.search(unquote_plus(path)):
            path = "[redacted]"
    if not question:
        return path
    parts = _PAIRS.split(query)
    for i in range(0, len(parts), 2):
        if _secret_pair(parts[i]):
            name = unquote_plus(parts[i]).partition("=")[0].strip()
            if name.lower() not in _SECRET_NAMES:
                name = next((n for n in _SECRET_NAMES if name.lower().startswith(n)), "")
            # The name is shown only when it is one of ours: a hostile name could carry anything.
            parts[i] = f"{name}=[redacted]" if name else "[redacted]"
    return f"{path}?{''.join(parts)}"


class _SecondCache:
    """strftime once per second: the access log formats a time for every request."""

    def __init__(self, fmt: str, convert: Callable[[float | None], time.struct_time]):
        self.fmt, self.convert = fmt, convert
        self.second, self.text = -1, ""

    def __call__(self, created: float) -> str:
        second = int(created)
        if second != self.second:
            self.second, self.text = second, time.strftime(self.fmt, self.convert(second))
        return self.text


def _msecs(created: float) -> int:
    # What LogRecord.msecs holds, as formatTime shows it.
    return int((created - int(created)) * 1000)


class TextFormatter(logging.Formatter):
    """`asctime level name: message`, the time string reused within a second."""

    # The text line shows only the message: access_line needs no fields.
    wants_fields = False

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._seconds = _SecondCache(self.default_time_format, self.converter)

    def _asctime(self, created: float) -> str:
        return f"{self._seconds(created)},{_msecs(created):03d}"

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        return self._asctime(record.created)

    def access_lines(self, entries: list[AccessEntry]) -> str:
        """What format() gives for each entry's INFO record, one line each, without records."""
        # _asctime and access_message spelt out: a line per request, in batches.
        seconds, lines = self._seconds, []
        for name, created, remote, method, target, status, size, taken, request_id in entries:
            whole = int(created)
            text = seconds.text if whole == seconds.second else seconds(created)
            lines.append(
                f"{text},{int((created - whole) * 1000):03d} INFO {name}: "
                f'{remote} "{method} {target}" {status} {size} {taken * 1000:.1f}ms {request_id}\n'
            )
        return "".join(lines)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for journald or a log shipper."""

    wants_fields = True

    def __init__(self) -> None:
        super().__init__()
        self._seconds = _SecondCache("%Y-%m-%dT%H:%M:%S", time.gmtime)

    def _entry(
        self, created: float, level: str, name: str, message: str, fields: object
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "time": f"{self._seconds(created)}.{_msecs(created):03d}Z",
            "level": level,
            "logger": name,
            "message": message,
        }
        if isinstance(fields, dict):
            entry.update(fields)
        return entry

    def access_lines(self, entries: list[AccessEntry]) -> str:
        """What format() gives for each entry's INFO record, one line each, without records."""
        return "".join(
            json.dumps(self._entry(e[1], "INFO", e[0], access_message(e), access_fields(e))) + "\n"
            for e in entries
        )

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        entry = self._entry(
            record.created, record.levelname, record.name, record.getMessage(), fields
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


_CONSOLE_JSON = JsonFormatter()


# How long a log line may wait in the buffer on the event loop.
FLUSH_DELAY = 0.02


class LoopFlushedHandler(logging.StreamHandler):  # type: ignore[type-arg,unused-ignore]
    """A stream handler that, on the event loop, flushes at most every FLUSH_DELAY seconds, and
    formats the access log's lines only then, in one batch.

    The access log writes a line per request; flushing each one costs a write(2) per request,
    and a flush per loop iteration still cost one per request to a client that sends one at a
    time (bench/instructions.py: 12k instructions of a cached thumbnail's ~380k); formatting each
    line as it came, with two calls and the lock, was ~20k more. Lines written meanwhile go out
    together, as nginx's `access_log ... flush=` does; off the loop (other threads, start-up,
    exit) every record is flushed at once as usual. A record goes out after the access lines
    waiting before it, so the stream keeps the order things happened in.
    """

    def __init__(self, stream: TextIO):
        super().__init__(stream)
        self._scheduled = False
        # Appended on the event loop, drained under the lock by any thread: a deque's append
        # and popleft are atomic, so no entry is lost between the two.
        self._access: collections.deque[AccessEntry] = collections.deque()

    def add_access(self, entry: AccessEntry) -> None:
        """Queue one access-log line; it is formatted and written with the next flush."""
        self._access.append(entry)
        if not self._scheduled:  # a flush is already on its way for the lines before
            self.flush()

    def _write_access(self) -> None:
        access = self._access
        if not access:
            return
        formatter = self.formatter
        with self.lock:  # type: ignore[union-attr]
            entries = [access.popleft() for _ in range(len(access))]
            if isinstance(formatter, TextFormatter | JsonFormatter):
                self.stream.write(formatter.access_lines(entries))
            else:  # a formatter set by hand: the lines still go, as messages
                self.stream.write("".join(access_message(e) + "\n" for e in entries))

    def emit(self, record: logging.LogRecord) -> None:
        self._write_access()
        super().emit(record)

    def flush(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._write_access()
            super().flush()
            return
        if not self._scheduled:
            self._scheduled = True
            loop.call_later(FLUSH_DELAY, self._flush_now)

    def _flush_now(self) -> None:
        self._scheduled = False
        self._write_access()
        super().flush()


# Where setup_logging sent the logs: the access log writes its lines there directly.
_direct: LoopFlushedHandler | None = None


def _stderr_handler() -> logging.Handler:
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return logging.StreamHandler(sys.stderr)
    # Our own buffered stream on fd 2: sys.stderr is line-buffered, one write(2) per line.
    stream = open(  # noqa: SIM115 - lives as long as the process
        fd,
        "w",
        buffering=1 << 16,
        encoding=sys.stderr.encoding or "utf-8",
        errors="backslashreplace",
        closefd=False,
    )
    return LoopFlushedHandler(stream)


# What aiohttp's RequestHandler.handle_error logs for a request it could not parse.
_AIOHTTP_BAD_REQUEST = "Error handling request from %s"


class MalformedRequestFilter(logging.Filter):
    """aiohttp logs a request it cannot parse as an ERROR with a traceback whose text echoes the
    client's bytes (an over-long `Authorization` header: its token). That is the client's fault:
    one INFO line naming the kind of error, nothing of what was sent."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Imported here: the CLI's user commands configure logging but never load aiohttp
        # (a quarter of a second of every `gymhub user ...`).
        from aiohttp.http_exceptions import HttpProcessingError

        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError) or record.msg != _AIOHTTP_BAD_REQUEST:
            return True
        remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.msg, record.args = (
            "refused a malformed request from %s: %s",
            (remote, type(exc).__name__),
        )
        record.exc_info = record.exc_text = None
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)


# The format of console(): set by setup_logging, or earlier by the CLI for its own errors.
_console_format = "text"


def set_console_format(fmt: str) -> None:
    """Make console() write `fmt` ("text" or "json") before logging is set up."""
    global _console_format
    _console_format = "json" if fmt == "json" else "text"


def console(
    message: str,
    *,
    prefix: str = "gymhub: ",
    level: str = "INFO",
    stream: TextIO | None = None,
    **fields: Any,
) -> None:
    """A line for the operator outside the log (listening, the first account, a fatal error).

    As text, `prefix` and the message, as it has always read; with `--log-format json`, one
    JSON object like a log record's (with `fields`), so every line the process writes parses.
    """
    out = sys.stdout if stream is None else stream
    if _console_format == "json":
        entry = _CONSOLE_JSON._entry(time.time(), level, "gymhub", message.strip(), fields)
        line = json.dumps(entry)
    else:
        line = prefix + message
    print(line, file=out, flush=True)


def setup_logging(fmt: str, level: str, repeat_interval: float = INTERVAL) -> None:
    """Send gymhub's and aiohttp's logs to stderr as text or JSON (and console() lines too)."""
    set_console_format(fmt)
    # A warning printed by the warnings module would be a plain line: it goes through logging.
    logging.captureWarnings(True)
    # Neither format shows thread or process names: do not look them up for every record.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = _stderr_handler()
    handler.addFilter(RepeatFilter(handler, interval=repeat_interval))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    server_log = logging.getLogger("aiohttp.server")
    server_log.filters[:] = [
        f for f in server_log.filters if not isinstance(f, MalformedRequestFilter)
    ]
    server_log.addFilter(MalformedRequestFilter())
    root.setLevel(level.upper())
    global _direct
    _direct = handler if isinstance(handler, LoopFlushedHandler) else None


def direct_handler() -> LoopFlushedHandler | None:
    """The handler setup_logging installed, for access lines written without a record."""
    return _direct
