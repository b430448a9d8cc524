"""Benchmark: end-to-end 12 MP uploads/s vs the bare pool; a cheap GET during the burst vs idle.

Usage: python bench/upload.py [--uploads N] [--clients C] [--workers 1 2] [--rounds R] [--nice 10]
       [--no-idle]

For each worker count (workers at --nice, default the configured worker_nice, and in the idle
scheduling class unless --no-idle), in one run: the bare ProcessPoolExecutor's images/s on the
same photos; the server's uploads/s over HTTP with C concurrent clients and nothing else running
(the pipeline's own cost against the pool's); then a second burst of other photos while
GET_CLIENTS clients (a process of their own) hammer a cheap authenticated GET (/api/me), whose
throughput and p99 are compared with the same GET load while idle just before; R such
idle-then-burst rounds, and the median of their ratios is the figure. The two are measured
apart because closed-loop GET clients on 2 cores take the CPU the niced worker needs.
Goals (DESIGN.md): uploads >= 80% of the pool; GET >= 0.8x idle throughput, p99 <= 3x idle.
Traffic goes to 127.0.0.1 only; counts and durations are bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
from _server import (  # type: ignore[import-not-found]
    GET_CLIENTS,
    Server,
    measure_gets,
    own_cpu,
    phone_jpeg,
    variant_of,
)

from gymhub import imaging
from gymhub.config import Config


def bare_pool(photos: list[bytes], workers: int, nice: int, idle: bool) -> float:
    """Images/s of process_image on these photos, straight from the pool."""
    tmp = Path(tempfile.mkdtemp(prefix="gymhub-pool-"))
    paths = []
    for i, data in enumerate(photos):
        p = tmp / f"{i}.jpg"
        p.write_bytes(data)
        paths.append(str(p))
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=imaging.init_worker, initargs=(nice, idle)
    ) as pool:
        list(
            pool.map(
                imaging.process_image,
                paths[:workers],
                [str(tmp)] * workers,
                [f"w{i}" for i in range(workers)],
                [50_000_000] * workers,
                [imaging.IMAGE_MIMES] * workers,
            )
        )  # warm the workers
        started = time.perf_counter()
        list(
            pool.map(
                imaging.process_image,
                paths,
                [str(tmp)] * len(paths),
                [f"s{i}" for i in range(len(paths))],
                [50_000_000] * len(paths),
                [imaging.IMAGE_MIMES] * len(paths),
            )
        )
        elapsed = time.perf_counter() - started
    return len(paths) / elapsed


async def timed_cpu(pid: int, work: Awaitable[object], out: dict[str, float]) -> None:
    """Await work; put the CPU cores each party used meanwhile, and its seconds, in out."""
    cpu0, started = cpu_snapshot(pid), time.perf_counter()
    await work
    took = time.perf_counter() - started
    cpu1 = cpu_snapshot(pid)
    out.update({k: (cpu1[k] - cpu0[k]) / took for k in cpu0}, took=took)


async def run(
    workers: int, photos: list[bytes], clients: int, nice: int, idle: bool, rounds_n: int
) -> dict[str, Any]:
    server = Server(workers, nice, idle=idle)
    try:
        async with aiohttp.ClientSession() as http:
            url = server.url
            async with http.post(
                f"{url}/api/auth/login", json={"username": "admin", "password": "bench-admin-pw-1"}
            ) as r:
                token = (await r.json())["access_token"]
            # Warm the pool's workers so their start-up is not counted as upload time.
            warm = variant_of(photos[0], 10_000 + workers)
            await upload(http, url, token, [warm])
            alone_started = time.perf_counter()
            await burst_all(http, url, token, list(photos), clients)
            alone = len(photos) / (time.perf_counter() - alone_started)
            # Paired rounds, idle then burst, each burst on new photos: on a shared machine a
            # round's load hits both halves, so the median of the rounds' ratios is the figure.
            rounds: list[dict[str, float]] = []
            for n in range(rounds_n):
                rested: dict[str, float] = {}
                rest = timed_cpu(server.proc.pid, asyncio.sleep(3.0), rested)
                me, auth = f"{url}/api/me", {"Authorization": f"Bearer {token}"}
                idle_rate, idle_p99, idle_gets_cpu = await measure_gets(me, auth, rest)
                queue = [variant_of(p, 20_000 + 1_000 * n + i) for i, p in enumerate(photos)]
                busy: dict[str, float] = {}
                burst = burst_all(http, url, token, queue, clients)
                busy_rate, busy_p99, busy_gets_cpu = await measure_gets(
                    me, auth, timed_cpu(server.proc.pid, burst, busy)
                )
                rounds.append(
                    {
                        **{k: busy[k] for k in ("cpu_server", "cpu_pool", "cpu_client")},
                        "cpu_gets": busy_gets_cpu,
                        "mixed_uploads_s": len(photos) / busy["took"],
                        "idle_server": rested["cpu_server"],
                        "idle_gets": idle_gets_cpu,
                        "idle_rate": idle_rate,
                        "idle_p99": idle_p99,
                        "busy_rate": busy_rate,
                        "busy_p99": busy_p99,
                        "rate_ratio": busy_rate / idle_rate,
                        "p99_ratio": busy_p99 / idle_p99,
                    }
                )
            median = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
            return {
                **median,
                "uploads_s": alone,
                "rate_ratios": [r["rate_ratio"] for r in rounds],
                "p99_ratios": [r["p99_ratio"] for r in rounds],
            }
    finally:
        server.stop()


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        kids = [p for p, parent in parents.items() if parent in frontier]
        found += kids
        frontier = kids
    return found


def cpu_snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds so far: the server's process, its pool (all descendants), this client."""
    pool = 0.0
    for pid in _descendants(server_pid):
        try:
            pool += _cpu_of(pid)
        except OSError:
            continue
    return {
        "cpu_server": _cpu_of(server_pid),
        "cpu_pool": pool,
        "cpu_client": own_cpu(),
    }


async def burst_all(
    http: aiohttp.ClientSession, url: str, token: str, queue: list[bytes], clients: int
) -> None:
    await asyncio.gather(*(upload(http, url, token, queue) for _ in range(clients)))


async def upload(http: aiohttp.ClientSession, url: str, token: str, queue: list[bytes]) -> None:
    while queue:
        data = queue.pop()
        form = aiohttp.FormData()
        form.add_field("file", io.BytesIO(data), filename="phone.jpg")
        async with http.post(
            f"{url}/api/files/upload?category=meal_photos",
            data=form,
            headers={"Authorization": f"Bearer {token}"},
        ) as r:
            assert r.status == 201, await r.text()


def _at_least_one(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=12)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=_at_least_one, default=3, help="paired idle/burst rounds")
    parser.add_argument("--nice", type=int, default=Config().worker_nice, help="worker niceness")
    parser.add_argument(
        "--idle",
        action=argparse.BooleanOptionalAction,
        default=Config().worker_idle,
        help="workers in the idle scheduling class",
    )
    args = parser.parse_args()
    base = phone_jpeg()
    photos = [variant_of(base, i) for i in range(min(args.uploads, 40))]
    print(
        f"{len(photos)} uploads of a 12 MP JPEG ({len(base) / 1e6:.1f} MB), "
        f"{args.clients} upload clients, {GET_CLIENTS} cheap-GET clients"
    )
    for workers in args.workers:
        pool_rate = bare_pool(photos, workers, args.nice, args.idle)
        r = asyncio.run(run(workers, photos, args.clients, args.nice, args.idle, args.rounds))
        print(
            f"workers={workers} (nice {args.nice}{', idle class' if args.idle else ''}): "
            f"bare pool {pool_rate:.2f} img/s, "
            f"HTTP {r['uploads_s']:.2f} uploads/s = {r['uploads_s'] / pool_rate:.2f}x pool "
            f"(goal >= 0.80)"
        )
        print(
            f"  cheap GET idle {r['idle_rate']:.0f}/s p99 {r['idle_p99'] * 1000:.1f} ms; "
            f"burst ({r['mixed_uploads_s']:.2f} uploads/s) {r['busy_rate']:.0f}/s "
            f"p99 {r['busy_p99'] * 1000:.1f} ms -> "
            f"throughput {r['rate_ratio']:.2f}x (goal >= 0.8), "
            f"p99 {r['p99_ratio']:.2f}x (goal <= 3)"
        )
        print(
            "  each round's burst/idle: throughput "
            + ", ".join(f"{x:.2f}x" for x in r["rate_ratios"])
            + "; p99 "
            + ", ".join(f"{x:.2f}x" for x in r["p99_ratios"])
        )
        print(
            f"  CPU during the burst (cores): server process {r['cpu_server']:.2f}, "
            f"pool workers {r['cpu_pool']:.2f}, upload client {r['cpu_client']:.2f}, "
            f"GET clients {r['cpu_gets']:.2f}; while idle: server {r['idle_server']:.2f}, "
            f"GET clients {r['idle_gets']:.2f}"
        )


if __name__ == "__main__":
    main()
