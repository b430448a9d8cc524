"""A log filter that folds repeated identical records into one summary line per interval.

When descriptors run out, asyncio logs `socket.accept() out of system resource` with a traceback
for every accept attempt: the audit measured 10,000 ERROR lines a second (251 MB in 80 s), which
fills the disk and buries everything else. This filter, on the handler, lets the first of a run
of identical records through, counts the rest, and writes one "repeated N times in the last T s"
line per interval while the run lasts. A record is identical when its logger, level and
formatted message are; a different record is never held back.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

INTERVAL = 10.0
# Distinct messages tracked at once; past it new ones pass unfolded (and untracked).
MAX_TRACKED = 1024
_SUMMARY = "_gymhub_repeat_summary"


@dataclass
class _Run:
    since: float
    repeats: int
    # Not the record: its traceback would keep the failing frames alive.
    name: str
    levelno: int
    headline: str


class RepeatFilter(logging.Filter):
    """Pass the first of identical records, count the others, summarise them per interval.

    Install it on a handler (`handler.addFilter(RepeatFilter(handler))`): records from every
    logger reach it there. Summaries are written through that handler when the interval of a
    run is over and another record arrives.
    """

    def __init__(
        self,
        handler: logging.Handler,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._handler = handler
        self.interval = interval
        self._clock = clock
        self._runs: dict[tuple[str, int, str], _Run] = {}
        # When the oldest run's interval ends: the only time a sweep has anything to do.
        self._next_due = float("inf")
        # Records come from the loop and from worker threads (the database's, to_thread).
        self._lock = threading.Lock()
        # A timer on the event loop writes the last summary of a flood that has stopped.
        self._timer: asyncio.TimerHandle | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _SUMMARY, False):
            return True
        key = (record.name, record.levelno, record.getMessage())
        now = self._clock()
        with self._lock:
            due = self._sweep(now) if now >= self._next_due else []
            run = self._runs.get(key)
            if run is None:
                if len(self._runs) < MAX_TRACKED:
                    headline = key[2].split("\n", 1)[0]
                    self._runs[key] = _Run(now, 0, record.name, record.levelno, headline)
                    self._next_due = min(self._next_due, now + self.interval)
                passed = True
            else:
                # A run stays open one interval past its last summary, so a flood that goes
                # on shows only summaries, and a message that recurs after a quiet interval
                # is logged in full again.
                run.repeats += 1
                passed = False
        for summary in due:
            self._handler.handle(summary)
        if not passed and self._timer is None:
            self._schedule()
        return passed

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # off the loop: the next record on it writes the summary
        delay = max(0.0, self._next_due - self._clock())
        self._timer = loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        with self._lock:
            due = self._sweep(self._clock())
        for summary in due:
            self._handler.handle(summary)
        if any(run.repeats for run in self._runs.values()):
            self._schedule()

    def _sweep(self, now: float) -> list[logging.LogRecord]:
        """Summaries of the runs whose interval is over; quiet runs are forgotten."""
        due = []
        for key, run in list(self._runs.items()):
            if now - run.since < self.interval:
                continue
            if run.repeats:
                due.append(self._summary(run, now))
                run.since, run.repeats = now, 0
            else:
                del self._runs[key]
        starts = [run.since for run in self._runs.values()]
        self._next_due = min(starts) + self.interval if starts else float("inf")
        return due

    @staticmethod
    def _summary(run: _Run, now: float) -> logging.LogRecord:
        return logging.makeLogRecord(
            {
                "name": run.name,
                "levelno": run.levelno,
                "levelname": logging.getLevelName(run.levelno),
                "msg": "repeated %d times in the last %.0f s: %s",
                "args": (run.repeats, now - run.since, run.headline),
                _SUMMARY: True,
            }
        )

    def flush(self) -> None:
        """Write the summaries of every run now (at exit, or in tests)."""
        now = self._clock()
        with self._lock:
            due = [self._summary(run, now) for run in self._runs.values() if run.repeats]
            self._runs.clear()
            self._next_due = float("inf")
        for summary in due:
            self._handler.handle(summary)
