"""The same bytes as bench/serve.py's nginx, from the simplest aiohttp app: no auth, no middleware.

It shows what any aiohttp app can reach on this machine, so gymhub's figure can be read against
the framework as well as against nginx. Files up to 256 KiB are answered from memory (as
gymhub's cache does), larger ones with `web.FileResponse` (sendfile). With --always-file every
file goes through `web.FileResponse`: the "plain FileResponse" the serving goal is calibrated on.

    python bench/_bare_aiohttp.py ROOT PORT [--always-file]
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiohttp import web

SMALL = 256 * 1024


def make_app(root: Path, small: int = SMALL) -> web.Application:
    # Looked up once per name: the reference pays no per-request stat on the event loop.
    memory: dict[str, bytes] = {}
    large: dict[str, Path] = {}

    async def serve(request: web.Request) -> web.StreamResponse:
        name = request.match_info["path"]
        body = memory.get(name)
        if body is None:
            path = large.get(name)
            if path is not None:
                return web.FileResponse(path)
            path = (root / name).resolve()
            if root not in path.parents or not path.is_file():
                raise web.HTTPNotFound()
            if path.stat().st_size > small:
                large[name] = path
                return web.FileResponse(path)
            body = memory[name] = path.read_bytes()
        return web.Response(body=body, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/{path:.+}", serve)
    return app


if __name__ == "__main__":
    root, port = Path(sys.argv[1]).resolve(), int(sys.argv[2])
    small = -1 if "--always-file" in sys.argv[3:] else SMALL
    web.run_app(make_app(root, small), host="127.0.0.1", port=port, access_log=None, print=None)
