"""Benchmark: what a busy image worker costs cheap GETs (bare aiohttp and gymhub), by priority.

Usage: python bench/contention.py [--rounds 4] [--seconds 3] [--nice 19]

Two servers, each in its own process: the simplest aiohttp app answering a small JSON, and
gymhub answering its admin's authenticated `GET /api/me` (no upload goes through it). Each takes
a closed-loop GET load from GET_CLIENTS clients (another process), first with nothing else
running, then while one pool worker (imaging.init_worker, as gymhub starts it, but a pool of
this script's own) resizes 12 MP phone JPEGs back to back. The worker is niced only, or niced
and in Linux's idle scheduling class (gymhub's `worker_idle`); the kinds of round take turns in
one run. Prints each round's busy/idle throughput and the median per server and kind: the
ceiling over bench/upload.py's cheap-GET figure (goal >= 0.8x idle) on this machine, the busy
worker's cost without the uploads' own work on the server.
Traffic goes to 127.0.0.1 only; counts and durations are bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import statistics
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
from _server import (  # type: ignore[import-not-found]
    Server,
    login,
    measure_gets,
    phone_jpeg,
    variant_of,
)
from aiohttp import web

from gymhub import imaging


def _serve(ports: Any) -> None:
    async def me(request: web.Request) -> web.Response:
        return web.json_response({"id": 1, "username": "admin", "role": "admin"})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/api/me", me)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ports.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(main())


def measure(url: str, headers: dict[str, str], seconds: float) -> float:
    """GETs/s of the closed-loop load over `seconds`."""
    rate, _, _ = asyncio.run(measure_gets(url, headers, asyncio.sleep(seconds)))
    return float(rate)


def busy_round(
    url: str, headers: dict[str, str], pool: ProcessPoolExecutor, paths: list[str], seconds: float
) -> float:
    """Busy/idle GET throughput: idle first, then with the worker resizing back to back."""
    idle = measure(url, headers, seconds)
    stop = threading.Event()
    failed: list[BaseException] = []

    def churn() -> None:
        n = 0
        try:
            while not stop.is_set():
                path = paths[n % len(paths)]
                out = str(Path(path).parent)
                mimes = imaging.IMAGE_MIMES
                pool.submit(imaging.process_image, path, out, f"c{n}", 50_000_000, mimes).result()
                n += 1
        except BaseException as exc:  # a round without its load would read as no cost
            failed.append(exc)

    thread = threading.Thread(target=churn)
    thread.start()
    try:
        time.sleep(0.3)  # the worker is mid-photo before the load starts
        busy = measure(url, headers, seconds)
    finally:
        stop.set()
        thread.join()
    if failed:
        raise RuntimeError("the worker stopped resizing during the round") from failed[0]
    return busy / idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each kind")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--nice", type=int, default=19)
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    ports = ctx.Queue()
    server = ctx.Process(target=_serve, args=(ports,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ports.get()}/api/me"
    tmp = Path(tempfile.mkdtemp(prefix="gymhub-contention-"))
    base = phone_jpeg()
    paths = []
    for i in range(6):
        p = tmp / f"{i}.jpg"
        p.write_bytes(variant_of(base, i))
        paths.append(str(p))
    gymhub = Server(1, args.nice)
    ratios: dict[tuple[str, bool], list[float]] = {}
    forkserver = multiprocessing.get_context("forkserver")
    try:
        me = {"Authorization": f"Bearer {_token(gymhub.url)}"}
        targets: dict[str, tuple[str, dict[str, str]]] = {
            "bare aiohttp": (url, {}),
            "gymhub /api/me": (f"{gymhub.url}/api/me", me),
        }
        for n in range(args.rounds * 2):
            idle_class = n % 2 == 0
            with ProcessPoolExecutor(
                1,
                mp_context=forkserver,
                initializer=imaging.init_worker,
                initargs=(args.nice, idle_class),
            ) as pool:
                pool.submit(imaging.process_image, paths[0], str(tmp), "w", 50_000_000,
                            imaging.IMAGE_MIMES).result()  # fmt: skip
                for name, (target, headers) in targets.items():
                    ratio = busy_round(target, headers, pool, paths, args.seconds)
                    ratios.setdefault((name, idle_class), []).append(ratio)
                    kind = "idle class" if idle_class else "nice only"
                    print(f"round {n // 2 + 1}, {name}, worker {kind}: {ratio:.2f}x idle")
    finally:
        server.terminate()
        gymhub.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    for (name, idle_class), values in sorted(ratios.items()):
        kind = "idle class" if idle_class else "nice only "
        print(
            f"{name}, worker at nice {args.nice}, {kind}: cheap GETs while it resizes = "
            f"{statistics.median(values):.2f}x idle (median of {len(values)}; bench/upload.py's "
            f"goal for gymhub: >= 0.8x)"
        )


def _token(url: str) -> str:
    async def admin() -> str:
        async with aiohttp.ClientSession() as http:
            return await login(http, url)

    return asyncio.run(admin())


if __name__ == "__main__":
    main()
