"""The repeat filter: a flood of identical records becomes one line plus a summary per interval."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from gymhub.logflood import RepeatFilter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


Setup = tuple[logging.Logger, io.StringIO, Clock, RepeatFilter]


@pytest.fixture
def setup() -> Iterator[Setup]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    clock = Clock()
    repeat = RepeatFilter(handler, interval=10, clock=clock)
    handler.addFilter(repeat)
    logger = logging.getLogger("test.flood")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield logger, out, clock, repeat
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def lines(out: io.StringIO) -> list[str]:
    return [line for line in out.getvalue().splitlines() if line]


def test_a_flood_of_identical_errors_is_one_line_then_one_summary_per_interval(
    setup: Setup,
) -> None:
    logger, out, clock, _ = setup
    for _second in range(25):
        for _ in range(100):
            try:
                raise OSError(24, "Too many open files")
            except OSError:
                logger.exception("socket.accept() out of system resource")
        clock.now += 1
    got = lines(out)
    # The first record in full (with its traceback), then one summary per 10 s.
    assert got[0] == "ERROR test.flood: socket.accept() out of system resource"
    summaries = [line for line in got if "repeated" in line]
    assert summaries == [
        "ERROR test.flood: repeated 999 times in the last 10 s: "
        "socket.accept() out of system resource",
        "ERROR test.flood: repeated 1000 times in the last 10 s: "
        "socket.accept() out of system resource",
    ]
    assert len([line for line in got if line.startswith("OSError")]) == 1


def test_different_records_pass_and_a_quiet_message_is_logged_in_full_again(setup: Setup) -> None:
    logger, out, clock, repeat = setup
    logger.warning("disk low")
    logger.warning("disk low")
    logger.warning("user %s left", 1)
    logger.warning("user %s left", 2)
    logger.info("disk low")  # another level: another message
    clock.now += 11
    logger.warning("something else")  # the sweep: one summary for the repeat above
    clock.now += 11
    logger.warning("something else 2")  # the quiet run is forgotten
    logger.warning("disk low")
    repeat.flush()
    assert lines(out) == [
        "WARNING test.flood: disk low",
        "WARNING test.flood: user 1 left",
        "WARNING test.flood: user 2 left",
        "INFO test.flood: disk low",
        "WARNING test.flood: repeated 1 times in the last 11 s: disk low",
        "WARNING test.flood: something else",
        "WARNING test.flood: something else 2",
        "WARNING test.flood: disk low",
    ]
