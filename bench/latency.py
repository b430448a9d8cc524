"""Benchmark: one 12 MP photo from the client's request to the trainer holding its thumbnail.

Usage: python bench/latency.py [--uploads 20] [--nice N] [--no-idle] [--baseline DIR]
                               [--no-ceiling]

A server (one image worker at the configured niceness and scheduling class) runs with
GYMHUB_STAGE_TIMING=1, so each upload's 201 carries a Server-Timing header of its stages. A
client uploads a fresh 12 MP phone JPEG, one at a time; its trainer holds a WebSocket and, the
moment the FILE_UPLOADED frame arrives, fetches the thumbnail named in it. Between two uploads
the pipeline alone (imaging.process_image on the same kind of photo, in a warm pool of one worker
at the same priority) is timed, so the machine's changing load falls on both alike. Prints each
stage's median and p95, and the two goals (DESIGN.md and issue #18): request to 201 against the
pipeline alone, and request to the trainer holding the thumbnail's bytes against it.
The ceiling (unless --no-ceiling): bench/_bare_upload.py, the simplest aiohttp app doing an
upload's unavoidable work (the body to disk and fsynced, process_image in a pool started as
gymhub's, a 201), its uploads taking turns with gymhub's: its request to 201 against the pipeline
alone is what any aiohttp app reaches on this machine (moving 3 MB between two processes costs
5-8 ms on loopback, which the pipeline alone does not pay).
Traffic goes to 127.0.0.1 only; counts and durations are bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import math
import multiprocessing
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import aiohttp
from _server import (  # type: ignore[import-not-found]
    BareUploadServer,
    Server,
    idle_option,
    login,
    phone_jpeg,
    variant_of,
)

from gymhub import imaging
from gymhub.config import Config

USER_PASSWORD = "bench-user-pw-1"
# Server stages in the order an upload meets them (names as sent in Server-Timing).
SERVER_STAGES = [
    ("receive", "receive: body streamed (wall, incl. waits below)"),
    ("hashwrite", "  hash and write (threads)"),
    ("sniff", "  sniff first chunk"),
    ("fsync_original", "  fsync of the original"),
    ("pool_queue", "pool queue (submit to worker start)"),
    ("pool_sniff", "  sniff whole file (worker)"),
    ("pool_decode", "  decode (worker)"),
    ("pool_resize", "  resize (worker)"),
    ("pool_encode", "  encode (worker)"),
    ("pool_fsync", "  fsync variants (worker)"),
    ("pool_return", "pool return (worker end to loop)"),
    ("place", "placement and its fsyncs"),
    ("commit", "commit (row + notifications)"),
    ("notify", "notification written to sockets"),
    ("app", "handler total (server)"),
    ("outside", "handler total less the pool job (server's own work)"),
]
CLIENT_STAGES = [
    ("to_201", "client: request start to 201 read"),
    ("to_frame", "client: request start to trainer's WS frame"),
    ("to_thumb", "client: request start to trainer holding thumbnail"),
    ("pipeline", "pipeline alone (process_image, warm pool)"),
]


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def parse_timing(header: str) -> dict[str, float]:
    """Server-Timing `name;dur=ms, ...` as seconds by name."""
    out: dict[str, float] = {}
    for item in header.split(","):
        name, _, dur = item.strip().partition(";dur=")
        if dur:
            out[name] = float(dur) / 1000
    return out


async def make_users(http: aiohttp.ClientSession, url: str) -> tuple[str, str]:
    """A trainer and a client of theirs; returns (client token, trainer token)."""

    admin = {"Authorization": f"Bearer {await login(http, url)}"}
    ids = {}
    for name, role in (("coach", "trainer"), ("athlete", "client")):
        body = {"username": name, "password": USER_PASSWORD, "role": role}
        async with http.post(f"{url}/api/users", json=body, headers=admin) as r:
            assert r.status == 201, await r.text()
            ids[role] = (await r.json())["id"]
    path = f"{url}/api/trainers/{ids['trainer']}/clients/{ids['client']}"
    async with http.put(path, headers=admin) as r:
        assert r.status == 204, await r.text()
    return (
        await login(http, url, "athlete", USER_PASSWORD),
        await login(http, url, "coach", USER_PASSWORD),
    )


class Trainer:
    """The trainer's screen: a WebSocket whose FILE_UPLOADED frames fetch their thumbnail."""

    def __init__(self, http: aiohttp.ClientSession, url: str, token: str):
        self.http, self.url, self.auth = http, url, {"Authorization": f"Bearer {token}"}
        self.frames: dict[str, float] = {}
        self.thumbs: dict[str, float] = {}
        self.arrived: dict[str, asyncio.Event] = {}

    def waiter(self, file_id: str) -> asyncio.Event:
        return self.arrived.setdefault(file_id, asyncio.Event())

    async def run(self, ready: asyncio.Event) -> None:
        async with self.http.ws_connect(f"{self.url}/api/ws", headers=self.auth) as ws:
            ready.set()
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                now = time.perf_counter()
                item = msg.json()
                if item.get("type") != "FILE_UPLOADED":
                    continue
                file = item["data"]["file"]
                self.frames[file["id"]] = now
                async with self.http.get(
                    self.url + file["variants"]["thumbnail"]["url"], headers=self.auth
                ) as r:
                    body = await r.read()
                    assert r.status == 200 and body, r.status
                self.thumbs[file["id"]] = time.perf_counter()
                self.waiter(file["id"]).set()


def pipeline_once(pool: ProcessPoolExecutor, tmp: Path, data: bytes, n: int) -> float:
    """Seconds for process_image on these bytes in the warm pool, as the server calls it."""
    src = tmp / f"alone{n}.jpg"
    src.write_bytes(data)
    started = time.perf_counter()
    out = pool.submit(
        imaging.process_image,
        str(src),
        str(tmp),
        f"alone{n}",
        Config().max_pixels,
        imaging.IMAGE_MIMES,
    ).result()
    elapsed = time.perf_counter() - started
    for v in out["variants"].values():
        Path(v["path"]).unlink()
    src.unlink()
    return elapsed


async def upload(
    http: aiohttp.ClientSession, url: str, token: str, data: bytes
) -> tuple[str, float, dict[str, float]]:
    form = aiohttp.FormData()
    form.add_field("file", io.BytesIO(data), filename="phone.jpg", content_type="image/jpeg")
    started = time.perf_counter()
    async with http.post(
        f"{url}/api/files/upload?category=meal_photos",
        data=form,
        headers={"Authorization": f"Bearer {token}"},
    ) as r:
        body = await r.json()
        assert r.status == 201, body
        timing = parse_timing(r.headers.get("Server-Timing", ""))
    return body["id"], started, timing


class Target:
    """One server under measurement: its client, its trainer's screen, its figures."""

    def __init__(self, label: str, server: Server):
        self.label, self.server = label, server
        self.series: dict[str, list[float]] = {}

    async def start(self, http: aiohttp.ClientSession, warm: bytes) -> None:
        self.client, coach = await make_users(http, self.server.url)
        self.trainer = Trainer(http, self.server.url, coach)
        ready = asyncio.Event()
        self.screen = asyncio.create_task(self.trainer.run(ready))
        await asyncio.wait_for(ready.wait(), 10)
        # One upload to warm the server's worker, not counted.
        await upload(http, self.server.url, self.client, warm)

    async def measure(self, http: aiohttp.ClientSession, photo: bytes, alone: float) -> None:
        series = self.series
        file_id, started, timing = await upload(http, self.server.url, self.client, photo)
        done = time.perf_counter()
        await asyncio.wait_for(self.trainer.waiter(file_id).wait(), 60)
        series.setdefault("to_frame", []).append(self.trainer.frames[file_id] - started)
        series.setdefault("to_thumb", []).append(self.trainer.thumbs[file_id] - started)
        in_pool = sum(v for k, v in timing.items() if k.startswith("pool_"))
        timing["outside"] = timing.get("app", 0.0) - in_pool
        for name, _ in SERVER_STAGES:
            series.setdefault(name, []).append(timing.get(name, 0.0))
        series.setdefault("to_thumb_paired", []).append(series["to_thumb"][-1] / alone)
        add_201(series, done - started, alone)


def add_201(series: dict[str, list[float]], seconds: float, alone: float) -> None:
    """One upload's request to 201, with the pipeline alone timed beside it and their ratio."""
    series.setdefault("to_201", []).append(seconds)
    series.setdefault("pipeline", []).append(alone)
    series.setdefault("to_201_paired", []).append(seconds / alone)


class Ceiling:
    """bench/_bare_upload.py as a target: request to 201 only (no trainer, no stages)."""

    label = "bare aiohttp (ceiling)"

    def __init__(self, server: BareUploadServer):
        self.server = server
        self.series: dict[str, list[float]] = {}

    async def start(self, http: aiohttp.ClientSession, warm: bytes) -> None:
        await upload(http, self.server.url, "unused", warm)

    async def measure(self, http: aiohttp.ClientSession, photo: bytes, alone: float) -> None:
        _, started, _ = await upload(http, self.server.url, "unused", photo)
        add_201(self.series, time.perf_counter() - started, alone)


async def run(args: argparse.Namespace, base: bytes) -> tuple[list[Target], Ceiling | None]:
    tmp = Path(tempfile.mkdtemp(prefix="gymhub-latency-"))
    ctx = multiprocessing.get_context("forkserver")
    env = {"GYMHUB_STAGE_TIMING": "1"}
    targets = []
    ceiling = None
    try:
        if args.ceiling:
            ceiling = Ceiling(BareUploadServer(1, args.nice, args.idle))
        if args.baseline is not None:
            targets.append(
                Target("baseline", Server(1, args.nice, env, root=args.baseline, idle=args.idle))
            )
        targets.append(Target("this tree", Server(1, args.nice, env, idle=args.idle)))
        with ProcessPoolExecutor(
            1, mp_context=ctx, initializer=imaging.init_worker, initargs=(args.nice, args.idle)
        ) as pool:
            pipeline_once(pool, tmp, variant_of(base, 900_000), 0)  # warm its worker
            async with aiohttp.ClientSession() as http:
                turns: list[Target | Ceiling] = [*targets, *([ceiling] if ceiling else [])]
                for n, turn in enumerate(turns):
                    await turn.start(http, variant_of(base, 800_000 + n))
                for i in range(args.uploads):
                    alone = await asyncio.to_thread(
                        pipeline_once, pool, tmp, variant_of(base, 700_000 + i), i + 1
                    )
                    # Taking turns to go first, so neither always follows the pipeline's run.
                    order = turns if i % 2 == 0 else turns[::-1]
                    for n, turn in enumerate(order):
                        await turn.measure(http, variant_of(base, 1000 * n + i), alone)
                for target in targets:
                    target.screen.cancel()
    finally:
        for target in targets:
            target.server.stop()
        if ceiling is not None:
            ceiling.server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return targets, ceiling


def report(target: Target) -> None:
    series = target.series
    print(f"{target.label}:")
    print(f"{'stage':52} {'median ms':>10} {'p95 ms':>10}")
    for name, label in SERVER_STAGES + CLIENT_STAGES:
        values = series[name]
        print(f"{label:52} {pct(values, 0.5) * 1000:10.1f} {pct(values, 0.95) * 1000:10.1f}")
    alone = pct(series["pipeline"], 0.5)
    for key, what, issue, design in (
        ("to_201", "request to 201", 1.15, 1.25),
        ("to_thumb", "request to trainer's thumbnail", 1.2, 1.5),
    ):
        ratio = pct(series[key], 0.5) / alone
        p95 = pct(series[key], 0.95) / pct(series["pipeline"], 0.95)
        paired = pct(series[f"{key}_paired"], 0.5)
        print(
            f"{what} / pipeline alone: median {ratio:.2f}x (p95 {p95:.2f}x; median of the "
            f"uploads' paired ratios {paired:.2f}x); "
            f"issue #18 goal <= {issue}x {'PASS' if ratio <= issue else 'MISS'}, "
            f"DESIGN.md goal <= {design}x {'PASS' if ratio <= design else 'MISS'}"
        )


def report_ceiling(ceiling: Ceiling, ours: Target) -> None:
    series = ceiling.series
    bare, alone = pct(series["to_201"], 0.5), pct(series["pipeline"], 0.5)
    gymhub = pct(ours.series["to_201"], 0.5)
    print(
        f"{ceiling.label}: request to 201 median {bare * 1000:.1f} ms "
        f"(p95 {pct(series['to_201'], 0.95) * 1000:.1f} ms) = {bare / alone:.2f}x the pipeline "
        f"alone (median of the paired ratios {pct(series['to_201_paired'], 0.5):.2f}x); "
        f"this tree's request to 201 / the ceiling's: {gymhub / bare:.2f}x "
        f"({(gymhub - bare) * 1000:.1f} ms more: placement, the commit, the notification, "
        f"auth, the checks)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--nice", type=int, default=Config().worker_nice, help="worker niceness")
    idle_option(parser, "the worker in the idle scheduling class")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="another checkout (e.g. a worktree of main) served too, its uploads taking turns "
        "with this tree's: its table is the 'before' of the same run (a checkout older than "
        "worker_idle runs its worker niced only: compare it with --no-idle)",
    )
    parser.add_argument(
        "--no-ceiling",
        dest="ceiling",
        action="store_false",
        help="leave out bench/_bare_upload.py, the bare aiohttp app doing the same upload",
    )
    args = parser.parse_args()
    base = phone_jpeg()
    targets, ceiling = asyncio.run(run(args, base))
    print(
        f"{args.uploads} uploads of a 12 MP JPEG ({len(base) / 1e6:.1f} MB) per server, one at "
        f"a time, one image worker at nice {args.nice}"
        f"{' in the idle class' if args.idle else ''}; the pipeline alone timed between them"
    )
    for target in targets:
        report(target)
    if ceiling is not None:
        report_ceiling(ceiling, targets[-1])
    if len(targets) == 2:
        before, after = (pct(t.series["to_201"], 0.5) for t in targets)
        own = [pct(t.series["outside"], 0.5) for t in targets]
        print(
            f"this tree / baseline: request to 201 {after / before:.2f}x; the server's own work "
            f"(handler less the pool job) {own[1] * 1000:.1f} ms against {own[0] * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
