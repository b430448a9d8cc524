"""GET /metrics: Prometheus text for an admin or a direct loopback scraper, nobody else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from gymhub.metrics import REQUESTS
from gymhub.web.front import add_routes, front
from gymhub.web.inflight import InFlight
from tests import imaging_samples as samples
from tests.support import bearer, error_of
from tests.test_files_kit import uploaded
from tests.test_ws_support import connect, marker, recv


async def test_metrics_access_and_figures(
    client: TestClient, people: dict[str, Any], tmp_path: Path
) -> None:
    admin, member = people["admin"], people["client"]
    ws = await connect(client, member)
    await marker(client, admin, member["id"], "count me")
    await recv(ws)
    photo = samples.make_jpeg(tmp_path / "m.jpg", size=(640, 480)).read_bytes()
    stored = await uploaded(client, member["token"], photo)
    await recv(ws)  # its FILE_UPLOADED
    stored_bytes = stored["size"] + sum(v["size"] for v in stored["variants"].values())
    # The test client connects from 127.0.0.1: a direct local scrape needs no credentials.
    client.session.cookie_jar.clear()
    resp = await client.get("/metrics")
    text = await resp.text()
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
    for name in (
        "gymhub_http_requests_total",
        "gymhub_upload_bytes_total",
        "gymhub_upload_seconds",
        "gymhub_image_pipeline_seconds",
        "gymhub_storage_bytes",
        "gymhub_websockets_dropped_slow_total",
    ):
        assert f"# TYPE {name}" in text, name
    assert _value(text, "gymhub_websockets_open") == 1
    assert _value(text, "gymhub_password_hashes_pending") == 0
    assert _value(text, "gymhub_storage_bytes") == stored_bytes
    assert _value(text, "gymhub_notifications_sent_total") >= 1
    assert _value(text, "gymhub_notifications_stored_total") >= 1
    # Relayed by a proxy (even one on this host): credentials are needed.
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    await error_of(await client.get("/metrics", headers=proxied), 401, "unauthenticated")
    resp = await client.get("/metrics", headers={**proxied, **bearer(member["token"])})
    await error_of(resp, 403, "forbidden")
    resp = await client.get("/metrics", headers={**proxied, **bearer(admin)})
    assert resp.status == 200 and "gymhub_websockets_open" in await resp.text()
    await ws.close()


def _value(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not exposed")


async def test_front_counts_statuses(aiohttp_client: Any) -> None:
    """The layer make_app wraps around every handler, on a small app of its own (a path no
    route takes counted too)."""

    async def ok(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def boom(_: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    app = web.Application()
    add_routes(app, [[web.get("/ok", ok), web.get("/boom", boom)]], front(InFlight()))
    client = await aiohttp_client(app)
    before_ok = REQUESTS.counts.get(("GET", 200), 0)
    before_404 = REQUESTS.counts.get(("GET", 404), 0)
    for _ in range(3):
        assert (await client.get("/ok")).status == 200
    assert (await client.get("/boom")).status == 404
    assert REQUESTS.counts.get(("GET", 200), 0) == before_ok + 3
    assert REQUESTS.counts.get(("GET", 404), 0) == before_404 + 1
