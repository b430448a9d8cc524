"""GET /metrics: Prometheus text for an admin or a scraper on the same machine."""

from __future__ import annotations

from aiohttp import web

from gymhub import metrics
from gymhub.auth import policy
from gymhub.schemas.common import documented
from gymhub.storage import stats
from gymhub.web.appkeys import db_key, hashing_key, hub_key
from gymhub.web.identity import current_viewer
from gymhub.web.space import space_key

routes = web.RouteTableDef()

LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def from_loopback(request: web.Request) -> bool:
    """A direct connection from this machine; a request relayed by a local proxy is not one.

    A reverse proxy on the same host must send X-Forwarded-For, X-Real-IP or Forwarded (the
    usual nginx configuration does), else its relayed requests would count as local.
    """
    proxied = any(h in request.headers for h in PROXY_HEADERS)
    return request.remote in LOOPBACK and not proxied


@routes.get("/metrics")
@documented("Prometheus metrics (admin, or a direct request from loopback)", auth=False)
async def prometheus(request: web.Request) -> web.Response:
    if not from_loopback(request):
        policy.require_admin(await current_viewer(request))
    # Gauges are read from their source at scrape time, not kept in step by hand.
    metrics.STORAGE_BYTES.set(await request.app[db_key].read(stats.store_bytes))
    metrics.WEBSOCKETS_OPEN.set(request.app[hub_key].stats()["connections"])
    metrics.HASHES_PENDING.set(request.app[hashing_key].pending)
    space = request.app[space_key]
    metrics.DATA_FREE_BYTES.set(await space.free_bytes())
    metrics.DATA_MIN_FREE_BYTES.set(space.min_free)
    body = metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
