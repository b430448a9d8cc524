"""The simplest aiohttp app that answers what bench/abuse.py's clients ask: the ceiling it reports.

No auth, no middleware, no access log, no limits: aiohttp's defaults (keep-alive 75 s, no header
or body timeout, no connection cap, no per-user WebSocket cap). The endpoints have gymhub's paths
so that the same attacker and normal client run against it:

- `GET /api/me`: a small JSON object (the normal client);
- `POST /api/files/upload`: reads the body and drops it (the half-sent uploads);
- `GET /api/ws/ws/{user_id}`: a WebSocket, kept in a per-user set until it closes;
- `POST /api/ws/test-notification/{user_id}`: sends the message to each of that user's sockets
  with `send_str`, each in a task of its own (awaiting them would stop the publisher at the
  first socket that does not read); a socket whose previous send still waits is skipped, the
  least a bare app must do for a notification to one non-reading socket not to cost a task
  and a frame more per message;
- `GET /api/ws/ws/stats`: the figures bench/abuse.py prints for the hub;
- `POST /bench/collect`: `gc.collect()` then glibc's `malloc_trim(0)`, so that the bench can read
  the RSS any aiohttp app could get down to after the abuse (gymhub trims, and frees its closed
  connections without a collection; the bare app does neither by itself).

    python bench/_bare_abuse.py PORT
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import sys
import time

from aiohttp import web


def make_app() -> web.Application:
    sockets: dict[str, set[web.WebSocketResponse]] = {}
    sending: dict[web.WebSocketResponse, asyncio.Task[None]] = {}
    skipped = 0

    async def me(_: web.Request) -> web.Response:
        return web.json_response({"id": 2, "username": "normal", "role": "client"})

    async def upload(request: web.Request) -> web.Response:
        async for _ in request.content.iter_chunked(65536):
            pass
        return web.json_response({"ok": True}, status=201)

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        mine = sockets.setdefault(request.match_info["user_id"], set())
        mine.add(ws)
        try:
            async for _ in ws:
                pass
        finally:
            mine.discard(ws)
        return ws

    async def notify(request: web.Request) -> web.Response:
        nonlocal skipped
        message = (await request.json())["message"]
        for ws in tuple(sockets.get(request.match_info["user_id"], ())):
            task = sending.get(ws)
            if task is not None and not task.done():
                skipped += 1
                continue
            task = sending[ws] = asyncio.create_task(ws.send_str(message))
            task.add_done_callback(lambda t, ws=ws: _finished(ws, t))
        return web.json_response({"ok": True}, status=202)

    def _finished(ws: web.WebSocketResponse, task: asyncio.Task[None]) -> None:
        if not task.cancelled():
            task.exception()  # a send to a socket that closed: nothing to do
        if sending.get(ws) is task:
            del sending[ws]

    async def stats(_: web.Request) -> web.Response:
        held = [ws for conns in sockets.values() for ws in conns]
        buffered = 0
        for ws in held:
            transport = ws._req.transport if ws._req is not None else None
            if transport is not None:
                buffered += transport.get_write_buffer_size()
        return web.json_response(
            {
                "connections": len(held),
                "buffered_bytes": buffered,
                "dropped_budget": 0,
                "dropped_slow": 0,
                "skipped_busy": skipped,
            }
        )

    async def collect(_: web.Request) -> web.Response:
        started = time.perf_counter()
        found = gc.collect()
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.malloc_trim(0)
        took = (time.perf_counter() - started) * 1000
        return web.json_response({"collected": found, "ms": took})

    app = web.Application()
    app.router.add_get("/api/me", me)
    app.router.add_post("/api/files/upload", upload)
    app.router.add_get("/api/ws/ws/stats", stats)
    app.router.add_get("/api/ws/ws/{user_id}", websocket)
    app.router.add_post("/api/ws/test-notification/{user_id}", notify)
    app.router.add_post("/bench/collect", collect)
    return app


if __name__ == "__main__":
    port = int(sys.argv[1])
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    web.run_app(make_app(), host="127.0.0.1", port=port, access_log=None, print=None)
