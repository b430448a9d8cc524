"""Abuse benchmark: a normal client's latency, errors and the server's memory while one attacker
holds 10,000 idle connections, 1,000 half-sent requests and 1,000 WebSockets that never read.

The real server runs as a subprocess on 127.0.0.1 with its default limits, except
`ws_max_per_user`, raised to the number of abusive WebSockets so that all of them get in and the
buffer budget (`ws_buffer_bytes`, 64 MB) is what holds; a few more handshakes of the same user
show the cap refusing them (429). `--ws-max-per-user 20` runs it with gymhub's default cap
instead. Every figure comes from this run:

1. idle: the normal client (one keep-alive connection, an authenticated `GET /api/me` every
   5 ms) runs alone for `--seconds`;
2. abuse: another process opens the idle connections, the half-sent requests (half of them stop
   within the headers, half send the headers of a 1 MB upload and 4 KB of its body) and the
   WebSockets of one client account (receive buffer 4 KiB, never read), then publishes
   notifications of 2,000 characters to that account (each goes to all of its sockets); the
   normal client runs throughout, from the first abusive connection to the last notification,
   and then for `--seconds` more while everything is held;
3. after: the attacker closes everything; RSS is read after `--settle` seconds and the normal
   client runs `--seconds` again.

Goals (DESIGN.md): the normal client's p99 during the abuse <= 3x idle, no error, and the
server's RSS after the abuse within 64 MB of before.

Then the same abuse and the same normal client run against bench/_bare_abuse.py, the simplest
aiohttp app with the same paths (no auth, no limits, no timeouts, no trim; a notification is sent
to each socket in a task of its own, skipped while the previous one waits), as the ceiling: its
p99 ratio and RSS growth are printed next to gymhub's, and its RSS once more after a
`gc.collect()` and `malloc_trim(0)`. It gets no extra handshakes (it has no cap) and its idle
connections are never closed (no header timeout): gymhub closes them at 30 s.

`--probe FILE` runs gymhub under bench/_memory_probe.py, which writes what holds its memory
(pymalloc arenas, glibc heaps, gc-tracked objects, unreachable cycles) before and after the abuse.

Usage: python bench/abuse.py [--idle 10000] [--half 1000] [--sockets 1000] [--notifications 750]
       [--seconds 10] [--settle 5] [--ws-max-per-user N] [--server-env NAME=VALUE] [--no-bare]
       [--probe FILE [--tracemalloc N]]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing as mp
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from ws import handshake, pct, raise_nofile  # type: ignore[import-not-found]

ADMIN_PASSWORD = "bench-admin-password"
PASSWORD = "bench-password-1"
MESSAGE_CHARS = 2000  # the longest test notification the API takes
BATCH = 500
EXTRA_HANDSHAKES = 20


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# The attacker (its own process) ----------------------------------------------------------


class Silent(asyncio.Protocol):
    """A connection that sends `first` and then nothing; it never reads after an upgrade."""

    def __init__(self, first: bytes, websocket: bool = False) -> None:
        self.first = first
        self.websocket = websocket
        self.head = b""
        self.status = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.first:
            transport.write(self.first)

    def data_received(self, data: bytes) -> None:
        if self.status.done():
            return
        self.head += data
        if b"\r\n\r\n" in self.head:
            status = int(self.head.split(b" ", 2)[1])
            self.status.set_result(status)
            if self.websocket and status == 101 and self.transport is not None:
                # Stop reading: the server's frames pile up in its buffers, not ours.
                self.transport.pause_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.status.done():
            self.status.set_result(0)


def half_upload(token: str) -> bytes:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\n" + b"%" * 4000
    )
    return (
        "POST /api/files/upload?category=documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        "Content-Length: 1000000\r\n\r\n"
    ).encode() + body


async def open_many(port: int, payloads: list[bytes], websocket: bool = False) -> list[Silent]:
    loop = asyncio.get_running_loop()

    async def one(first: bytes) -> Silent:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if websocket:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        _, proto = await loop.create_connection(lambda: Silent(first, websocket), sock=sock)
        return proto

    out: list[Silent] = []
    for start in range(0, len(payloads), BATCH):
        out += await asyncio.gather(*(one(p) for p in payloads[start : start + BATCH]))
    return out


def attacker(port: int, plan: dict[str, Any], pipe: Any) -> None:
    raise_nofile()
    asyncio.run(_attack(port, plan, pipe))


async def _attack(port: int, plan: dict[str, Any], pipe: Any) -> None:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pipe.recv)  # go
    report: dict[str, Any] = {}
    t0 = time.perf_counter()
    marks = report["marks"] = [("start", time.time())]
    idle = await open_many(port, [b""] * plan["idle"])
    marks.append(("idle connections", time.time()))
    half_head = b"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
    halves = await open_many(port, [half_head] * (plan["half"] // 2))
    halves += await open_many(port, [half_upload(plan["token"])] * (plan["half"] - len(halves)))
    marks.append(("half-sent requests", time.time()))
    path = f"/api/ws/ws/{plan['user_id']}?token={plan['token']}"
    sockets = await open_many(port, [handshake(path, port)] * plan["sockets"], websocket=True)
    statuses = [await asyncio.wait_for(s.status, 60) for s in sockets]
    upgraded = [s for s, status in zip(sockets, statuses, strict=True) if status == 101]
    report["refused_429"] = statuses.count(429)
    extra = await open_many(port, [handshake(path, port)] * plan["extra"], websocket=True)
    refused = [await asyncio.wait_for(s.status, 60) for s in extra]
    marks.append(("WebSocket handshakes", time.time()))
    report["opened_s"] = time.perf_counter() - t0
    report["upgraded"] = len(upgraded)
    report["extra_429"] = refused.count(429)
    pipe.send(("opened", report))
    # The flood: every notification is written to every one of the account's sockets.
    t1 = time.perf_counter()
    headers = {"Authorization": f"Bearer {plan['admin']}"}
    statuses: dict[int, int] = {}
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
        for _ in range(plan["notifications"]):
            async with http.post(
                f"/api/ws/test-notification/{plan['user_id']}",
                headers=headers,
                json={"message": "x" * MESSAGE_CHARS},
            ) as resp:
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
                await resp.read()
    report["flood_s"] = time.perf_counter() - t1
    marks.append(("notification flood", time.time()))
    report["flood_statuses"] = statuses
    report["still_open"] = sum(
        1 for s in idle + halves + upgraded if s.transport and not s.transport.is_closing()
    )
    pipe.send(("flooded", report))
    await loop.run_in_executor(None, pipe.recv)  # release
    for proto in idle + halves + sockets + extra:
        if proto.transport is not None:
            proto.transport.abort()
    await asyncio.sleep(0.5)
    pipe.send(("released", report))


# The normal client and the run -------------------------------------------------------------


class Normal:
    """One keep-alive connection, an authenticated GET every 5 ms, latencies per phase."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.latencies: list[float] = []
        self.stamps: list[float] = []
        self.errors = 0
        self.running = True

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=10)
        connector = aiohttp.TCPConnector(limit=1)
        headers = {"Authorization": f"Bearer {self.token}"}
        async with aiohttp.ClientSession(self.base, connector=connector, timeout=timeout) as http:
            while self.running:
                start = time.perf_counter()
                try:
                    async with http.get("/api/me", headers=headers) as resp:
                        await resp.read()
                        ok = resp.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                self.latencies.append((time.perf_counter() - start) * 1000)
                self.stamps.append(time.time())
                self.errors += not ok
                await asyncio.sleep(0.005)

    def take(self) -> tuple[list[float], int]:
        out, errors = self.latencies, self.errors
        self.latencies, self.stamps, self.errors = [], [], 0
        return out, errors

    def between(self, start: float, end: float) -> list[float]:
        """Latencies of the requests that ended between two wall-clock times."""
        return [ms for ms, t in zip(self.latencies, self.stamps, strict=True) if start <= t < end]


def start_server(
    data: Path, env_extra: dict[str, str], probe: list[str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "GYMHUB_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "GYMHUB_LOG_LEVEL": "INFO",
        "GYMHUB_WORKERS": "1",
        **env_extra,
    }
    log = open(data.parent / "server.log", "w")  # noqa: SIM115 - lives as long as the server
    serve = ["serve", "--data-dir", str(data), "--port", "0"]
    entry = probe or ["-m", "gymhub"]
    command = [sys.executable, *entry, *serve]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
        preexec_fn=raise_nofile,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return proc, match.group(1)
    raise SystemExit("the server did not start")


async def setup_users(base: str) -> dict[str, Any]:
    async with aiohttp.ClientSession(base) as http:

        async def login(name: str, password: str) -> str:
            resp = await http.post("/api/auth/login", json={"username": name, "password": password})
            return str((await resp.json())["access_token"])

        admin = await login("admin", ADMIN_PASSWORD)
        ids = {}
        for name in ("normal", "abuser"):
            resp = await http.post(
                "/api/users",
                headers={"Authorization": f"Bearer {admin}"},
                json={"username": name, "password": PASSWORD, "role": "client"},
            )
            ids[name] = (await resp.json())["id"]
        return {
            "admin": admin,
            "normal": await login("normal", PASSWORD),
            "abuser": await login("abuser", PASSWORD),
            "abuser_id": ids["abuser"],
        }


async def hub_stats(base: str, admin: str) -> dict[str, int]:
    async with aiohttp.ClientSession(base) as http:
        resp = await http.get("/api/ws/ws/stats", headers={"Authorization": f"Bearer {admin}"})
        return dict(await resp.json())


async def measure(
    args: argparse.Namespace, base: str, port: int, pid: int, users: dict[str, Any], extra: int
) -> dict[str, Any]:
    """The three phases against one server; every figure the printouts use."""
    loop = asyncio.get_running_loop()
    normal = Normal(base, users["normal"])
    client = asyncio.create_task(normal.run())
    await asyncio.sleep(1)  # warm-up, not counted
    normal.take()
    await asyncio.sleep(args.seconds)
    idle, idle_errors = normal.take()
    rss_before = rss_mib(pid)
    if args.probe:
        os.kill(pid, signal.SIGUSR1)

    plan = {
        "idle": args.idle,
        "half": args.half,
        "sockets": args.sockets,
        "extra": extra,
        "notifications": args.notifications,
        "token": users["abuser"],
        "user_id": users["abuser_id"],
        "admin": users["admin"],
    }
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    proc = ctx.Process(target=attacker, args=(port, plan, theirs))
    proc.start()
    peak = rss_before
    done = False

    async def sample() -> None:
        nonlocal peak
        while not done:
            peak = max(peak, rss_mib(pid))
            await asyncio.sleep(0.2)

    sampler = asyncio.create_task(sample())
    ours.send("go")
    t0 = time.perf_counter()
    _, opened = await loop.run_in_executor(None, ours.recv)
    temp_files = -1
    if users.get("data") is not None:
        temp_files = len(list((users["data"] / "uploads" / "temp").glob("*.part")))
    _, flooded = await loop.run_in_executor(None, ours.recv)
    stats_flood = await hub_stats(base, users["admin"])
    await asyncio.sleep(args.seconds)
    abuse_s = time.perf_counter() - t0
    marks = [*flooded["marks"], ("held", time.time())]
    phases = []
    for (_, start), (name, end) in itertools.pairwise(marks):
        part = normal.between(start, end)
        phases.append(f"{name} {end - start:.1f} s: p99 {pct(part, 0.99):.1f} ms ({len(part)})")
    during, during_errors = normal.take()
    rss_during = rss_mib(pid)
    ours.send("release")
    await loop.run_in_executor(None, ours.recv)
    proc.join(30)
    await asyncio.sleep(args.settle)
    done = True
    await sampler
    rss_after = rss_mib(pid)
    if args.probe:
        os.kill(pid, signal.SIGUSR1)
        await asyncio.sleep(1)
        os.kill(pid, signal.SIGUSR2)
        await asyncio.sleep(1)
        os.kill(pid, signal.SIGWINCH)
    normal.take()
    await asyncio.sleep(args.seconds)
    after, after_errors = normal.take()
    normal.running = False
    await client
    return {
        "idle": idle,
        "idle_errors": idle_errors,
        "during": during,
        "during_errors": during_errors,
        "after": after,
        "after_errors": after_errors,
        "abuse_s": abuse_s,
        "phases": phases,
        "opened": opened,
        "flooded": flooded,
        "temp_files": temp_files,
        "stats_flood": stats_flood,
        "stats_end": await hub_stats(base, users["admin"]),
        "rss_before": rss_before,
        "rss_during": rss_during,
        "rss_after": rss_after,
        "rss_later": rss_mib(pid),
        "peak": peak,
        "ratio": pct(during, 0.99) / pct(idle, 0.99),
        "growth": rss_after - rss_before,
    }


def print_client(m: dict[str, Any]) -> None:
    idle, during, after = m["idle"], m["during"], m["after"]
    p99_idle, p99_during = pct(idle, 0.99), pct(during, 0.99)
    errors = m["during_errors"]
    rate = errors / max(1, len(during))
    print(
        f"normal client (GET /api/me, one keep-alive connection): idle {len(idle)} requests "
        f"p50 {pct(idle, 0.5):.1f} ms p99 {p99_idle:.1f} ms; during the abuse "
        f"({m['abuse_s']:.0f} s) {len(during)} requests p50 {pct(during, 0.5):.1f} ms p99 "
        f"{p99_during:.1f} ms max {max(during):.1f} ms; after {len(after)} requests p99 "
        f"{pct(after, 0.99):.1f} ms"
    )
    print("  p99 by phase of the abuse: " + "; ".join(m["phases"]))
    verdict = "PASS" if m["ratio"] <= 3 else "MISS"
    print(f"  ratio p99 during / idle: {m['ratio']:.2f}x (goal <= 3)  {verdict}")
    print(
        f"  errors during the abuse: {errors} of {len(during)} ({rate:.2%}) (goal 0)  "
        f"{'PASS' if errors == 0 else 'MISS'}; idle {m['idle_errors']}, after {m['after_errors']}"
    )


async def run_gymhub(
    args: argparse.Namespace, base: str, port: int, pid: int, data: Path
) -> dict[str, Any]:
    users = {**await setup_users(base), "data": data}
    m = await measure(args, base, port, pid, users, EXTRA_HANDSHAKES)
    opened, flooded, stats_flood, stats_end = (
        m["opened"],
        m["flooded"],
        m["stats_flood"],
        m["stats_end"],
    )
    temp_left = len(list((data / "uploads" / "temp").iterdir()))
    log_lines = (data.parent / "server.log").read_text().splitlines()
    print(
        f"gymhub abuse: {args.idle} idle connections, {args.half} half-sent requests "
        f"({args.half // 2} within the headers, {args.half - args.half // 2} within an upload's "
        f"body), {args.sockets} non-reading WebSockets of one client "
        f"(ws_max_per_user {args.ws_max_per_user}); opened in {opened['opened_s']:.1f} s"
    )
    print(
        f"  WebSockets upgraded {opened['upgraded']} of {args.sockets}; "
        f"{EXTRA_HANDSHAKES} more of the same user: {opened['extra_429']} refused with 429 "
        f"(the cap; of the {args.sockets}: {opened['refused_429']}); "
        f"upload temp files held while stalled: {m['temp_files']}"
    )
    print(
        f"  flood: {args.notifications} notifications of {MESSAGE_CHARS} characters to that "
        f"account in {flooded['flood_s']:.1f} s, statuses {flooded['flood_statuses']}; "
        f"hub after it: {stats_flood['connections']} sockets, buffered "
        f"{stats_flood['buffered_bytes'] / 2**20:.1f} MiB, dropped for the budget "
        f"{stats_flood['dropped_budget']}, dropped slow in all {stats_flood['dropped_slow']}"
    )
    print(
        f"  attacker's connections still open at the end of the flood: {flooded['still_open']} "
        f"of {args.idle + args.half + opened['upgraded']}"
    )
    print_client(m)
    growth = m["growth"]
    print(
        f"server RSS: before {m['rss_before']:.1f} MiB, during {m['rss_during']:.1f} MiB "
        f"(peak {m['peak']:.1f} MiB), after {m['rss_after']:.1f} MiB ({args.settle:.0f} s after "
        f"the abuse ended): growth {growth:+.1f} MiB (goal <= 64)  "
        f"{'PASS' if growth <= 64 else 'MISS'}; {args.seconds + args.settle:.0f} s later "
        f"{m['rss_later']:.1f} MiB"
    )
    print(
        f"after: hub {stats_end['connections']} sockets, buffered "
        f"{stats_end['buffered_bytes'] / 2**20:.1f} MiB; upload temp files left: {temp_left}; "
        f"server log lines (access log included): {len(log_lines)}"
    )
    for line in log_lines:
        if "gave memory back" in line or "repeated" in line or "ERROR" in line:
            print("  server log: " + line)
    return m


def start_bare(env_extra: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("_bare_abuse.py")), str(port)],
        stdout=subprocess.PIPE,
        # aiohttp logs a traceback for each of the 500 uploads cut short when the attacker leaves.
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **env_extra},
        preexec_fn=raise_nofile,
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    for _ in range(100):
        with socket.socket() as check:
            if check.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.1)
    raise SystemExit("the bare aiohttp app did not start")


async def run_bare(args: argparse.Namespace, port: int, pid: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    users = {"admin": "x", "normal": "x", "abuser": "x", "abuser_id": 3}
    # No cap to show: no extra handshakes, so that both servers hold the same sockets.
    m = await measure(args, base, port, pid, users, 0)
    opened, flooded, stats_flood = m["opened"], m["flooded"], m["stats_flood"]
    async with aiohttp.ClientSession(base) as http, http.post("/bench/collect") as resp:
        collected = await resp.json()
    rss_collected = rss_mib(pid)
    print(
        f"bare aiohttp (bench/_bare_abuse.py), the same abuse: opened in "
        f"{opened['opened_s']:.1f} s, WebSockets upgraded {opened['upgraded']} of "
        f"{args.sockets}; flood in {flooded['flood_s']:.1f} s, statuses "
        f"{flooded['flood_statuses']}, sends skipped for a socket still busy "
        f"{stats_flood['skipped_busy']}, buffered in transports "
        f"{stats_flood['buffered_bytes'] / 2**20:.1f} MiB; attacker's connections still open "
        f"at the end of the flood: "
        f"{flooded['still_open']} of {args.idle + args.half + opened['upgraded']}"
    )
    print_client(m)
    growth = m["growth"]
    m["growth_collected"] = rss_collected - m["rss_before"]
    print(
        f"server RSS: before {m['rss_before']:.1f} MiB, during {m['rss_during']:.1f} MiB "
        f"(peak {m['peak']:.1f} MiB), after {m['rss_after']:.1f} MiB ({args.settle:.0f} s after "
        f"the abuse ended): growth {growth:+.1f} MiB; {args.seconds + args.settle:.0f} s later "
        f"{m['rss_later']:.1f} MiB; then after gc.collect() ({collected['collected']} objects) "
        f"and malloc_trim(0): {rss_collected:.1f} MiB, growth {m['growth_collected']:+.1f} MiB"
    )
    return m


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle", type=int, default=10_000)
    parser.add_argument("--half", type=int, default=1_000)
    parser.add_argument("--sockets", type=int, default=1_000)
    parser.add_argument("--notifications", type=int, default=750)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument(
        "--ws-max-per-user",
        type=int,
        default=0,
        help="the server's cap (default: --sockets, so that all of them get in; 20 is gymhub's)",
    )
    parser.add_argument(
        "--probe",
        type=Path,
        help="run the server under bench/_memory_probe.py and write its memory reports (before "
        "the abuse and after the settle) to this file; its figures are not the bench's",
    )
    parser.add_argument(
        "--tracemalloc", type=int, default=0, help="with --probe: frames per tracemalloc trace"
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for both servers (PYTHONMALLOC=malloc: glibc's allocator)",
    )
    parser.add_argument(
        "--no-bare", action="store_true", help="skip the bare aiohttp reference (the ceiling)"
    )
    args = parser.parse_args()
    args.ws_max_per_user = args.ws_max_per_user or args.sockets
    server_env = dict(pair.split("=", 1) for pair in args.server_env)
    if server_env:
        print(f"server environment (both servers): {server_env}")
    raise_nofile()
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as tmp:
        data = Path(tmp) / "data"
        env = {"GYMHUB_WS_MAX_PER_USER": str(args.ws_max_per_user), **server_env}
        probe = None
        if args.probe:
            args.probe.unlink(missing_ok=True)
            trace = ["-X", f"tracemalloc={args.tracemalloc}"] if args.tracemalloc else []
            probe = [*trace, str(Path(__file__).with_name("_memory_probe.py")), str(args.probe)]
        proc, base = start_server(data, env, probe)
        port = int(base.rsplit(":", 1)[1])
        try:
            ours = asyncio.run(run_gymhub(args, base, port, proc.pid, data))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    if args.no_bare:
        return
    # The pause lets the kernel finish tearing down the first server's 12,000 sockets.
    time.sleep(5)
    proc, port = start_bare(server_env)
    try:
        bare = asyncio.run(run_bare(args, port, proc.pid))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    print(
        f"gymhub against bare aiohttp: p99 ratio {ours['ratio']:.2f}x against "
        f"{bare['ratio']:.2f}x ({ours['ratio'] / bare['ratio']:.2f} of the ceiling); RSS growth "
        f"{ours['growth']:+.1f} MiB against {bare['growth']:+.1f} MiB as it stands and "
        f"{bare['growth_collected']:+.1f} MiB collected and trimmed"
    )


if __name__ == "__main__":
    main()
