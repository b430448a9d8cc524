"""The built-in web page: GET / and /static/."""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from gymhub.errors import NotFound
from gymhub.schemas.common import documented
from gymhub.web.headers import PAGE_CSP

routes = web.RouteTableDef()

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
}
# Flat names only: no separators, no dot files, a known extension.
ASSET_NAME = re.compile(
    r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9_-]+)*\.(html|js|css|svg|png|ico|webmanifest)$"
)


@dataclass(frozen=True)
class Asset:
    """One static file held in memory: the page's assets total a few dozen KiB."""

    body: bytes
    content_type: str
    etag: str


_assets: dict[str, Asset] | None = None
_loading: asyncio.Lock | None = None


def _load_all(directory: Path) -> dict[str, Asset]:
    found = {}
    for path in sorted(directory.iterdir()):
        if not path.is_file() or not ASSET_NAME.match(path.name):
            continue
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:32]
        found[path.name] = Asset(body, CONTENT_TYPES[path.suffix], f'"{digest}"')
    return found


async def assets() -> dict[str, Asset]:
    """Every static asset, read from disk once per process in a worker thread."""
    global _assets, _loading
    if _assets is None:
        if _loading is None:
            _loading = asyncio.Lock()
        async with _loading:
            if _assets is None:
                _assets = await asyncio.to_thread(_load_all, STATIC_DIR)
    return _assets


def _respond(request: web.Request, asset: Asset) -> web.Response:
    headers = {
        "Content-Security-Policy": PAGE_CSP,
        "X-Content-Type-Options": "nosniff",
        # Revalidated on each load, so a new release shows at once; a 304 costs no body.
        "Cache-Control": "no-cache",
        "ETag": asset.etag,
        "Referrer-Policy": "same-origin",
    }
    match = request.headers.get("If-None-Match", "")
    if asset.etag in {tag.strip() for tag in match.split(",")} or match.strip() == "*":
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = asset.content_type
    return web.Response(body=asset.body, headers=headers)


@routes.get("/")
@documented("The built-in web page (HTML)", auth=False)
async def index(request: web.Request) -> web.Response:
    asset = (await assets()).get("index.html")
    if asset is None:
        raise NotFound("The web page is not installed.")
    return _respond(request, asset)


@routes.get("/static/{name}")
@documented("A static asset of the web page (scripts, styles, icons)", auth=False)
async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    asset = (await assets()).get(name) if ASSET_NAME.match(name) else None
    if asset is None:
        raise NotFound("No such asset.")
    return _respond(request, asset)
