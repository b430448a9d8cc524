"""The access log's direct line is exactly what the logging formatter would have written."""

from __future__ import annotations

import json
import logging

import pytest

from gymhub.logs import JsonFormatter, TextFormatter, access_fields, access_message

FIELDS = {
    "remote": "127.0.0.1",
    "method": "GET",
    "path": "/api/me?token=[redacted]",
    "status": 200,
    "bytes": 17,
    "duration_ms": 1.25,
    "request_id": "abc",
}


@pytest.mark.parametrize("created", [1764095012.0, 1764095012.0421, 1764095012.9996])
@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()])
def test_access_lines_match_the_formatter(
    formatter: TextFormatter | JsonFormatter, created: float
) -> None:
    message = '127.0.0.1 "GET /api/me?token=[redacted]" 200 17 1.2ms abc'
    entry = (
        "aiohttp.access",
        created,
        "127.0.0.1",
        "GET",
        "/api/me?token=[redacted]",
        200,
        17,
        0.00125,
        "abc",
    )
    assert access_message(entry) == message and access_fields(entry) == FIELDS
    record = logging.LogRecord("aiohttp.access", logging.INFO, __file__, 0, message, (), None)
    record.created, record.msecs = created, (created - int(created)) * 1000
    record.fields = FIELDS
    expected = formatter.format(record)
    # A batch of lines: the second a second later, so the time text is made anew.
    later = (entry[0], created + 1, *entry[2:])
    record.created += 1
    assert formatter.access_lines([entry, later]) == f"{expected}\n{formatter.format(record)}\n"
    if isinstance(formatter, JsonFormatter):
        assert json.loads(expected)["request_id"] == "abc"
