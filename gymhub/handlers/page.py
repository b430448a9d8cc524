"""The built-in web page: GET /, /static/, its manifest and its service worker."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from gymhub.errors import NotFound
from gymhub.schemas.common import documented
from gymhub.views import bundle
from gymhub.web.headers import PAGE_CSP

routes = web.RouteTableDef()
log = logging.getLogger(__name__)

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
# The worker is served from the root so that its scope is the whole page; its file in static/
# is a template that gets the release's version and shell list.
WORKER = "sw.js"
MANIFEST = "manifest.webmanifest"
# What the worker keeps for offline use: the page and everything it loads at start, nothing else.
SHELL_SUFFIXES = (".js", ".css", ".svg")
COMPRESSIBLE = (".html", ".js", ".css", ".svg", ".webmanifest")


@dataclass(frozen=True)
class Asset:
    """One static file held in memory (the page's assets total a few dozen KiB), with its gzip
    form: on a slow phone link the compressed scripts load about four times faster."""

    body: bytes
    content_type: str
    etag: str
    gzipped: bytes | None = None


_assets: dict[str, Asset] | None = None
_loading: asyncio.Lock | None = None


def _asset(name: str, body: bytes) -> Asset:
    digest = hashlib.sha256(body).hexdigest()[:32]
    packed = gzip.compress(body, 9, mtime=0) if name.endswith(COMPRESSIBLE) else None
    if packed is not None and len(packed) >= len(body):
        packed = None
    return Asset(body, CONTENT_TYPES[Path(name).suffix], f'"{digest}"', packed)


def _worker(template: bytes, found: dict[str, Asset]) -> Asset:
    """The worker with this release's version (a hash of every asset) and its shell list."""
    release = hashlib.sha256()
    for name in sorted(found):
        release.update(f"{name}={found[name].etag}\n".encode())
    shell = ["/"] + [
        f"/static/{n}" for n in sorted(found) if n.endswith(SHELL_SUFFIXES) and n != WORKER
    ]
    text = template.decode()
    text = text.replace('"__VERSION__"', json.dumps(release.hexdigest()[:16]))
    text = text.replace('["__SHELL__"]', json.dumps(shell))
    return _asset(WORKER, text.encode())


SCRIPT = re.compile(rb'<script type="module"( async)? src="/static/([^"]+)"></script>\n?\s*')


def _joined(files: dict[str, bytes]) -> tuple[str, ...]:
    """Joins the modules the page loads in order (not the async early.js) into the first one's
    name, drops the others' script tags, and points later modules' imports at the joined one.
    Returns the files folded into another; if the modules cannot be joined they are served as
    they are."""
    html = files["index.html"]
    scripts = [(m.group(0), m.group(2).decode()) for m in SCRIPT.finditer(html) if not m.group(1)]
    if not scripts:
        return ()
    texts = {n: b.decode() for n, b in files.items() if n.endswith(".js")}
    try:
        joined = bundle.join([name for _, name in scripts], texts)
    except bundle.BundleError as err:
        log.warning("page modules served one by one: %s", err)
        return ()
    first = scripts[0][1]
    for name, text in texts.items():
        if name not in joined.members:
            files[name] = bundle.redirect(text, joined.members, first).encode()
    files[first] = joined.text.encode()
    for tag, _ in scripts[1:]:
        html = html.replace(tag, b"")
    files["index.html"] = html
    return tuple(name for name in joined.members if name != first)


def _load_all(directory: Path) -> dict[str, Asset]:
    files = {
        path.name: path.read_bytes()
        for path in sorted(directory.iterdir())
        if path.is_file() and ASSET_NAME.match(path.name) and path.name != WORKER
    }
    folded = _joined(files) if "index.html" in files else ()
    found = {name: _asset(name, body) for name, body in files.items()}
    template = directory / WORKER
    if template.is_file():
        # The worker keeps the joined module, not the files it was made of.
        kept = {n: a for n, a in found.items() if n not in folded}
        found[WORKER] = _worker(template.read_bytes(), kept)
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
    packed = asset.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", "")
    # Each encoding is its own representation, so it has its own strong ETag.
    etag = f'{asset.etag[:-1]}-gz"' if packed else asset.etag
    headers = {
        "Content-Security-Policy": PAGE_CSP,
        "X-Content-Type-Options": "nosniff",
        # Revalidated on each load, so a new release shows at once; a 304 costs no body.
        "Cache-Control": "no-cache",
        "ETag": etag,
        "Referrer-Policy": "same-origin",
    }
    if asset.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
    match = request.headers.get("If-None-Match", "")
    if etag in {tag.strip() for tag in match.split(",")} or match.strip() == "*":
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = asset.content_type
    if packed:
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=asset.gzipped if packed else asset.body, headers=headers)


async def _named(request: web.Request, name: str, missing: str) -> web.Response:
    asset = (await assets()).get(name)
    if asset is None:
        raise NotFound(missing)
    return _respond(request, asset)


@routes.get("/")
@documented("The built-in web page (HTML)", auth=False)
async def index(request: web.Request) -> web.Response:
    return await _named(request, "index.html", "The web page is not installed.")


@routes.get("/manifest.webmanifest")
@documented("The web page's manifest, so that phones can install it", auth=False)
async def manifest(request: web.Request) -> web.Response:
    return await _named(request, MANIFEST, "The web page is not installed.")


@routes.get("/sw.js")
@documented("The web page's service worker (scope /): offline shell and data", auth=False)
async def worker(request: web.Request) -> web.Response:
    return await _named(request, WORKER, "The web page is not installed.")


@routes.get("/static/{name}")
@documented("A static asset of the web page (scripts, styles, icons)", auth=False)
async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    asset = None
    if ASSET_NAME.match(name) and name != WORKER:
        asset = (await assets()).get(name)
    if asset is None:
        raise NotFound("No such asset.")
    return _respond(request, asset)
