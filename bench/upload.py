"""Benchmark: end-to-end 12 MP uploads/s vs the bare pool; a cheap GET during the burst vs idle.

Usage: python bench/upload.py [--uploads N] [--clients C] [--workers 1 2] [--rounds R] [--nice 10]
       [--no-idle] [--no-ceiling]

For each worker count (workers at --nice, default the configured worker_nice, and in the idle
scheduling class unless --no-idle), in one run: the bare ProcessPoolExecutor's images/s on the
same photos; the server's uploads/s over HTTP with C concurrent clients and nothing else running
(the pipeline's own cost against the pool's); then a second burst of other photos while
GET_CLIENTS clients (a process of their own) hammer a cheap authenticated GET (/api/me), whose
throughput and p99 are compared with the same GET load while idle just before; R such
idle-then-burst rounds, and the median of their ratios is the figure. The two are measured
apart because closed-loop GET clients on 2 cores take the CPU the niced worker needs.
The ceiling (unless --no-ceiling): bench/_bare_upload.py, the simplest aiohttp app doing the same
work (the body streamed to disk and fsynced, gymhub's process_image in a pool started the same
way, a cheap GET that reads one row from SQLite in a thread), its loop made to spend at least
gymhub's CPU per cheap GET, takes its turn in every round: what any aiohttp app keeps here.
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
    BareUploadServer,
    Server,
    idle_option,
    login,
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
    workers: int,
    photos: list[bytes],
    clients: int,
    nice: int,
    idle: bool,
    rounds_n: int,
    ceiling: bool,
) -> dict[str, dict[str, Any]]:
    """Per server (gymhub, and with `ceiling` the bare upload app): uploads/s alone, and the
    median over `rounds_n` paired idle/burst rounds, the servers taking turns in each round."""
    servers: dict[str, Server | BareUploadServer] = {}
    try:
        gymhub = servers["gymhub"] = Server(workers, nice, idle=idle)
        async with aiohttp.ClientSession() as http:
            tokens = {"gymhub": await login(http, gymhub.url)}
            alone = {"gymhub": await uploads_alone(http, gymhub, tokens["gymhub"], photos, clients)}
            if ceiling:
                bare = servers["bare aiohttp"] = BareUploadServer(workers, nice, idle)
                ours, its, spin = await match_loop_cpu(http, gymhub, tokens["gymhub"], bare)
                print(
                    f"  loop CPU per cheap GET: gymhub {ours} us, the bare app {its} us "
                    f"(+{spin} us spun to match)"
                )
                tokens["bare aiohttp"] = "unused"
                alone["bare aiohttp"] = await uploads_alone(http, bare, "unused", photos, clients)
            # Paired rounds, idle then burst, each burst on new photos: on a shared machine a
            # round's load hits both halves, so the median of the rounds' ratios is the figure.
            rounds: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
            for n in range(rounds_n):
                for name, server in servers.items():
                    queue = [variant_of(p, 20_000 + 1_000 * n + i) for i, p in enumerate(photos)]
                    rounds[name].append(
                        await paired_round(http, server, tokens[name], queue, clients)
                    )
            out = {}
            for name, got in rounds.items():
                median = {k: statistics.median(r[k] for r in got) for k in got[0]}
                out[name] = {
                    **median,
                    "uploads_s": alone[name],
                    "rate_ratios": [r["rate_ratio"] for r in got],
                    "p99_ratios": [r["p99_ratio"] for r in got],
                }
            return out
    finally:
        for server in servers.values():
            server.stop()


async def uploads_alone(
    http: aiohttp.ClientSession,
    server: Server | BareUploadServer,
    token: str,
    photos: list[bytes],
    clients: int,
) -> float:
    """Uploads/s of `photos` with nothing else running, after one upload warms the pool."""
    await upload(http, server.url, token, [variant_of(photos[0], 10_000)])
    started = time.perf_counter()
    await burst_all(http, server.url, token, list(photos), clients)
    return len(photos) / (time.perf_counter() - started)


async def match_loop_cpu(
    http: aiohttp.ClientSession, gymhub: Server, token: str, bare: BareUploadServer
) -> tuple[int, int, int]:
    """Make the bare app's loop spend at least as much CPU per cheap GET as gymhub's: each one's
    microseconds per GET, and those the bare app now spins on top of its own."""
    ours, its = await cpu_per_get(gymhub, token), await cpu_per_get(bare, "unused")
    spin = max(0, ours - its)
    async with http.put(f"{bare.url}/spin", data=str(spin)) as r:
        assert r.status == 204
    return ours, its, spin


async def cpu_per_get(server: Server | BareUploadServer, token: str) -> int:
    """Microseconds of the server's event-loop thread CPU per cheap GET under the GET load."""
    pid = server.proc.pid

    def loop_cpu() -> float:
        # The main thread's own time (/proc/PID/task/PID/schedstat: ns on the CPU).
        return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[0]) / 1e9

    auth = {"Authorization": f"Bearer {token}"}
    spent: list[float] = []

    async def window() -> None:
        before, started = loop_cpu(), time.perf_counter()
        await asyncio.sleep(3.0)
        spent.extend([loop_cpu() - before, time.perf_counter() - started])

    rate, _, _ = await measure_gets(f"{server.url}/api/me", auth, window())
    cpu, seconds = spent
    return round(cpu / (rate * seconds) * 1e6)


async def paired_round(
    http: aiohttp.ClientSession,
    server: Server | BareUploadServer,
    token: str,
    queue: list[bytes],
    clients: int,
) -> dict[str, float]:
    """The cheap GET's rate and p99 idle, then during a burst of `queue`, and the CPU of each."""
    url, pid, uploads = server.url, server.proc.pid, len(queue)
    rested: dict[str, float] = {}
    rest = timed_cpu(pid, asyncio.sleep(3.0), rested)
    me, auth = f"{url}/api/me", {"Authorization": f"Bearer {token}"}
    idle_rate, idle_p99, idle_gets_cpu = await measure_gets(me, auth, rest)
    busy: dict[str, float] = {}
    burst = burst_all(http, url, token, queue, clients)
    busy_rate, busy_p99, busy_gets_cpu = await measure_gets(me, auth, timed_cpu(pid, burst, busy))
    return {
        **{k: busy[k] for k in ("cpu_server", "cpu_pool", "cpu_client")},
        "cpu_gets": busy_gets_cpu,
        "mixed_uploads_s": uploads / busy["took"],
        "idle_server": rested["cpu_server"],
        "idle_gets": idle_gets_cpu,
        "idle_rate": idle_rate,
        "idle_p99": idle_p99,
        "busy_rate": busy_rate,
        "busy_p99": busy_p99,
        "rate_ratio": busy_rate / idle_rate,
        "p99_ratio": busy_p99 / idle_p99,
    }


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
    idle_option(parser, "workers in the idle scheduling class")
    parser.add_argument(
        "--ceiling",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure bench/_bare_upload.py, the bare aiohttp app doing the same work",
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
        results = asyncio.run(
            run(workers, photos, args.clients, args.nice, args.idle, args.rounds, args.ceiling)
        )
        print(
            f"workers={workers} (nice {args.nice}{', idle class' if args.idle else ''}): "
            f"bare pool {pool_rate:.2f} img/s"
        )
        for name, r in results.items():
            report(name, r, pool_rate)
        if "bare aiohttp" in results:
            ours, bare = results["gymhub"], results["bare aiohttp"]
            print(
                f"  gymhub's cheap-GET ratio / the bare app's (same rounds): "
                f"{ours['rate_ratio'] / bare['rate_ratio']:.2f}"
            )


def report(name: str, r: dict[str, Any], pool_rate: float) -> None:
    """One server's figures; the goals are gymhub's, the bare app's figures are its ceiling."""
    goal = " (goal >= 0.80)" if name == "gymhub" else ""
    print(
        f"  {name}: HTTP {r['uploads_s']:.2f} uploads/s = {r['uploads_s'] / pool_rate:.2f}x pool"
        + goal
    )
    goals = (" (goal >= 0.8)", " (goal <= 3)") if name == "gymhub" else ("", "")
    print(
        f"    cheap GET idle {r['idle_rate']:.0f}/s p99 {r['idle_p99'] * 1000:.1f} ms; "
        f"burst ({r['mixed_uploads_s']:.2f} uploads/s) {r['busy_rate']:.0f}/s "
        f"p99 {r['busy_p99'] * 1000:.1f} ms -> "
        f"throughput {r['rate_ratio']:.2f}x{goals[0]}, p99 {r['p99_ratio']:.2f}x{goals[1]}"
    )
    print(
        "    each round's burst/idle: throughput "
        + ", ".join(f"{x:.2f}x" for x in r["rate_ratios"])
        + "; p99 "
        + ", ".join(f"{x:.2f}x" for x in r["p99_ratios"])
    )
    print(
        f"    CPU during the burst (cores): server process {r['cpu_server']:.2f}, "
        f"pool workers {r['cpu_pool']:.2f}, upload client {r['cpu_client']:.2f}, "
        f"GET clients {r['cpu_gets']:.2f}; while idle: server {r['idle_server']:.2f}, "
        f"GET clients {r['idle_gets']:.2f}"
    )


if __name__ == "__main__":
    main()
