"""Prometheus metrics of gymhub, exposed at GET /metrics."""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily

# One registry for gymhub's own metrics (not the process-global default), so several apps in
# one test process do not collide on registration.
REGISTRY = CollectorRegistry(auto_describe=True)


class _RequestCounts:
    """gymhub_http_requests_total{method, status}, counted in a plain dict and turned into a
    metric only when scraped: a prometheus Counter takes a lock and four calls per increment,
    on every request (the event loop is the only writer)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, int], int] = {}

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "gymhub_http_requests", "HTTP requests answered", labels=["method", "status"]
        )
        for (method, status), n in sorted(self.counts.items()):
            family.add_metric([method, str(status)], n)
        yield family


REQUESTS = _RequestCounts()
REGISTRY.register(REQUESTS)
UPLOAD_BYTES = Counter(
    "gymhub_upload_bytes_total", "Bytes of uploads stored", ["category"], registry=REGISTRY
)
UPLOAD_SECONDS = Histogram(
    "gymhub_upload_seconds",
    "Time to receive, check and store an upload",
    ["category"],
    registry=REGISTRY,
)
IMAGE_SECONDS = Histogram(
    "gymhub_image_pipeline_seconds",
    "Time the process pool spent making an image's variants",
    registry=REGISTRY,
)
UPLOADS_REJECTED = Counter(
    "gymhub_uploads_rejected_total", "Uploads refused, by error code", ["code"], registry=REGISTRY
)
WEBSOCKETS_OPEN = Gauge("gymhub_websockets_open", "Open WebSocket connections", registry=REGISTRY)
NOTIFICATIONS_SENT = Counter(
    "gymhub_notifications_sent_total", "Notifications written to WebSockets", registry=REGISTRY
)
NOTIFICATIONS_STORED = Counter(
    "gymhub_notifications_stored_total", "Notifications stored for recipients", registry=REGISTRY
)
DROPPED_SLOW = Counter(
    "gymhub_websockets_dropped_slow_total",
    "WebSockets closed with 1013 because they could not keep up",
    registry=REGISTRY,
)
HASHES_PENDING = Gauge(
    "gymhub_password_hashes_pending",
    "Password hashes running or waiting (past hash_workers + hash_queue, logins get 503 busy)",
    registry=REGISTRY,
)
STORAGE_BYTES = Gauge(
    "gymhub_storage_bytes", "Bytes of stored media, originals and variants", registry=REGISTRY
)
DATA_FREE_BYTES = Gauge(
    "gymhub_data_free_bytes",
    "Bytes still usable on the data directory's filesystem",
    registry=REGISTRY,
)
DATA_MIN_FREE_BYTES = Gauge(
    "gymhub_data_min_free_bytes",
    "Free bytes writes must leave on the data directory's filesystem (below it they get 507)",
    registry=REGISTRY,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def count_request(method: str, status: int) -> None:
    """Add one to gymhub_http_requests_total{method, status}."""
    counts = REQUESTS.counts
    key = (method, status)
    counts[key] = counts.get(key, 0) + 1


def exposition() -> bytes:
    """The Prometheus text format of gymhub's registry."""
    return bytes(generate_latest(REGISTRY))


# Per-request stage durations for the Server-Timing header, only while `stage_timing` is on
# (bench/latency.py): without it the variable stays None and `stage` returns at once.
_STAGES: ContextVar[dict[str, float] | None] = ContextVar("gymhub_stages", default=None)


def record_stages() -> dict[str, float]:
    """Start collecting this request's stage durations (seconds by name); returns the dict."""
    stages: dict[str, float] = {}
    _STAGES.set(stages)
    return stages


def stage(name: str, seconds: float) -> None:
    """Add seconds to the current request's stage `name`, if its stages are being recorded."""
    stages = _STAGES.get()
    if stages is not None:
        stages[name] = stages.get(name, 0.0) + seconds


def timing_on() -> bool:
    """Whether the current request records its stages (to skip measuring them otherwise)."""
    return _STAGES.get() is not None


def server_timing(stages: dict[str, float]) -> str:
    """The Server-Timing header value (RFC: `name;dur=milliseconds`) of recorded stages."""
    return ", ".join(f"{name};dur={seconds * 1000:.3f}" for name, seconds in stages.items())
