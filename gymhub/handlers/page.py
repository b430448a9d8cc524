"""The built-in web page: GET /, /static/, its manifest and its service worker."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
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


SCRIPT = re.compile(rb'<script type="module"(?: async)? src="/static/([^"]+)"></script>')
STATIC_IMPORT = re.compile(rb'^import [^;]* from "\./([^"]+)";$', re.MULTILINE)


def _preloaded(html: bytes, files: dict[str, bytes]) -> bytes:
    """The page with a modulepreload link for every module its scripts import statically: the
    browser asks for all of them at once instead of one import level per round trip."""
    seen: list[bytes] = []
    for script in SCRIPT.findall(html):
        # One script's graph after the other: early.js and its paths.js come first.
        todo = [script]
        while todo:
            name = todo.pop(0)
            if name in seen or name.decode() not in files:
                continue
            seen.append(name)
            todo.extend(STATIC_IMPORT.findall(files[name.decode()]))
    links = b"".join(b'<link rel="modulepreload" href="/static/' + n + b'">\n  ' for n in seen)
    first = html.find(b'<script type="module"')
    return html if first < 0 else html[:first] + links + html[first:]


def _load_all(directory: Path) -> dict[str, Asset]:
    files = {
        path.name: path.read_bytes()
        for path in sorted(directory.iterdir())
        if path.is_file() and ASSET_NAME.match(path.name) and path.name != WORKER
    }
    if "index.html" in files:
        files["index.html"] = _preloaded(files["index.html"], files)
    found = {name: _asset(name, body) for name, body in files.items()}
    template = directory / WORKER
    if template.is_file():
        found[WORKER] = _worker(template.read_bytes(), found)
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
