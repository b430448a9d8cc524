"""WebSocket hub benchmark: connections held, memory per idle connection, fan-out latency, slow
consumers. The real server runs as a subprocess on 127.0.0.1; every figure comes from this run.

How latency is measured: the envelope's shape is fixed by the API, so the reference point is its
own `created_at`, stamped by the server (wall clock, truncated to the millisecond) just before the
INSERT; the hub publishes right after that transaction commits. The data directory is on tmpfs
(/dev/shm) so the commit's fsync, which is not the hub's work, does not count. Each client
records `time.time()` when the chunk completing a frame arrives; latency = that minus
`created_at`. Both clocks are the same machine's, and the error only overstates (the stamp is
truncated and precedes the commit), by about 1 ms.

Keeping the clients out of the way: they are raw asyncio protocols that only append
(time, bytes) in data_received; frames are parsed and JSON decoded after each round (pings are
answered then too, well within the heartbeat's timeout). Their CPU use is printed.

Usage: python bench/ws.py [--connections 5000] [--fanout 1000] [--rounds 20] [--processes 2]
       [--server-env NAME=VALUE]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import functools
import json
import multiprocessing as mp
import os
import re
import resource
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ADMIN_PASSWORD = "bench-admin-password"
PASSWORD = "bench-password-1"
MESSAGE_BYTES = 1500
DROP_POSTS = 1500
VERBOSE = bool(
    os.environ.get("BENCH_VERBOSE")
)  # bound on the notifications sent to make the non-readers overflow


def raise_nofile() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def handshake(path: str, port: int) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


# Client processes ------------------------------------------------------------------------


class RawSocket(asyncio.Protocol):
    """A WebSocket client that only timestamps what arrives; parsing happens later."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.head = b""
        self.chunks: list[tuple[float, bytes]] = []
        self.buffer = b""
        self.upgraded = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if self.upgraded.done():
            self.chunks.append((time.time(), data))
            return
        self.head += data
        if b"\r\n\r\n" in self.head:
            head, rest = self.head.split(b"\r\n\r\n", 1)
            assert head.startswith(b"HTTP/1.1 101"), head
            if rest:
                self.chunks.append((time.time(), rest))
            self.upgraded.set_result(None)

    def frames(self) -> list[tuple[float, int, bytes]]:
        """Complete frames so far as (arrival, opcode, payload); answers pings."""
        out = []
        chunks, self.chunks = self.chunks, []
        for arrived, chunk in chunks:
            self.buffer += chunk
            while len(self.buffer) >= 2:
                length, start = self.buffer[1] & 0x7F, 2
                if length == 126:
                    length, start = struct.unpack_from("!H", self.buffer, 2)[0], 4
                elif length == 127:
                    length, start = struct.unpack_from("!Q", self.buffer, 2)[0], 10
                if len(self.buffer) < start + length:
                    break
                opcode, payload = self.buffer[0] & 0x0F, self.buffer[start : start + length]
                self.buffer = self.buffer[start + length :]
                if opcode == 9 and self.transport is not None:
                    # A pong, masked with a zero key (clients must mask).
                    self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0" * 4 + payload)
                out.append((arrived, opcode, payload))
        return out


def client_worker(port: int, conns: list[tuple[str, bool]], pipe: Any) -> None:
    """Hold the given (path, timed) connections; report latencies of tagged rounds."""
    raise_nofile()
    asyncio.run(_client_main(port, conns, pipe))


async def _client_main(port: int, conns: list[tuple[str, bool]], pipe: Any) -> None:
    loop = asyncio.get_running_loop()
    sockets: list[tuple[RawSocket, bool]] = []

    def factory(path: str) -> RawSocket:
        return RawSocket(handshake(path, port))

    for start in range(0, len(conns), 250):
        batch = conns[start : start + 250]
        opened = await asyncio.gather(
            *(
                loop.create_connection(functools.partial(factory, path), "127.0.0.1", port)
                for path, _ in batch
            )
        )
        for (_, proto), (_, timed) in zip(opened, batch, strict=True):
            await proto.upgraded
            sockets.append((proto, timed))
    timed_sockets = [proto for proto, timed in sockets if timed]
    pipe.send("ready")
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command[0] == "stop":
            break
        if command[0] == "cpu":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            pipe.send(usage.ru_utime + usage.ru_stime)
            continue
        tag = command[1]
        latencies: list[float] = []
        deadline = time.monotonic() + 5.0
        pending = list(timed_sockets)
        while pending and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            for proto, _ in sockets:
                if proto not in pending:
                    proto.frames()  # idle or done: answer pings, drop the rest
            still = []
            for proto in pending:
                got = False
                for arrived, opcode, payload in proto.frames():
                    if opcode != 1:
                        continue
                    envelope = json.loads(payload)
                    if envelope.get("data", {}).get("title") == tag:
                        stamp = dt.datetime.fromisoformat(envelope["created_at"])
                        latencies.append((arrived - stamp.timestamp()) * 1000)
                        got = True
                if not got:
                    still.append(proto)
            pending = still if command[0] == "collect" else []
        pipe.send(latencies)
    for proto, _ in sockets:
        if proto.transport is not None:
            proto.transport.close()


def stuck_socket(port: int, path: str) -> socket.socket:
    """A connection that completes the handshake and then never reads (tiny receive buffer)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(handshake(path, port))
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


# The run ---------------------------------------------------------------------------------


def start_server(data: Path, extra: dict[str, str]) -> tuple[subprocess.Popen[str], str, int]:
    env = {**os.environ, "GYMHUB_ADMIN_PASSWORD": ADMIN_PASSWORD, "GYMHUB_LOG_LEVEL": "WARNING"}
    env.update(extra)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gymhub", "serve", "--data-dir", str(data), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        preexec_fn=raise_nofile,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        match = re.search(r"listening on (http://\S+):(\d+)", line)
        if match:
            return proc, f"{match.group(1)}:{match.group(2)}", int(match.group(2))
    raise SystemExit("the server did not start")


async def setup_users(base: str) -> tuple[str, dict[str, tuple[int, str]]]:
    async with aiohttp.ClientSession(base) as http:
        admin = await login(http, "admin", ADMIN_PASSWORD)
        users = {}
        for name in ("fan", "idle"):
            resp = await http.post(
                "/api/users",
                headers={"Authorization": f"Bearer {admin}"},
                json={"username": name, "password": PASSWORD, "role": "client"},
            )
            user_id = (await resp.json())["id"]
            users[name] = (user_id, await login(http, name, PASSWORD))
        return admin, users


async def login(http: aiohttp.ClientSession, username: str, password: str) -> str:
    resp = await http.post("/api/auth/login", json={"username": username, "password": password})
    return str((await resp.json())["access_token"])


async def post(base: str, admin: str, user_id: int, tags: list[str]) -> tuple[list[float], int]:
    """Fan out one notification per tag; the POST round trips (ms) and the last delivered_to."""
    took, delivered = [], 0
    async with aiohttp.ClientSession(base) as http:
        for tag in tags:
            start = time.perf_counter()
            resp = await http.post(
                f"/api/ws/test-notification/{user_id}",
                headers={"Authorization": f"Bearer {admin}"},
                json={"message": "x" * MESSAGE_BYTES, "title": tag},
            )
            delivered = (await resp.json())["delivered_to"]
            took.append((time.perf_counter() - start) * 1000)
    return took, delivered


async def stats(base: str, admin: str) -> dict[str, int]:
    async with aiohttp.ClientSession(base) as http:
        resp = await http.get("/api/ws/ws/stats", headers={"Authorization": f"Bearer {admin}"})
        return dict(await resp.json())


def rounds(
    base: str, admin: str, fan_id: int, pipes: list[Any], n: int, label: str
) -> tuple[list[float], list[float]]:
    latencies: list[float] = []
    posts: list[float] = []
    for i in range(n):
        tag = f"{label}-{i}"
        took, _ = asyncio.run(post(base, admin, fan_id, [tag]))
        posts.extend(took)
        for pipe in pipes:
            pipe.send(("collect", tag))
        got = [x for pipe in pipes for x in pipe.recv()]
        if VERBOSE:
            print(
                f"  {tag}: {len(got)} deliveries, p50 {statistics.median(got):.1f} ms, "
                f"max {max(got):.1f} ms, POST {took[0]:.1f} ms"
            )
        latencies.extend(got)
    return latencies, posts


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--fanout", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the server (PYTHONMALLOC=malloc: glibc's allocator)",
    )
    args = parser.parse_args()
    # Every connection is one of two users': the per-user cap (20) must let them all in.
    server_env = {"GYMHUB_WS_MAX_PER_USER": str(args.connections)}
    server_env.update(pair.split("=", 1) for pair in args.server_env)
    if server_env:
        print(f"server environment: {server_env}")
    raise_nofile()
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as tmp:
        proc, base, port = start_server(Path(tmp) / "data", server_env)
        try:
            run(args, base, port, proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def run(args: argparse.Namespace, base: str, port: int, pid: int) -> None:
    admin, users = asyncio.run(setup_users(base))
    fan_id, fan_token = users["fan"]
    idle_id, idle_token = users["idle"]
    fan_path = f"/api/ws/ws/{fan_id}?token={fan_token}"
    time.sleep(0.5)
    rss_before = rss_kib(pid)
    plan = [(fan_path, True)] * args.fanout
    plan += [(f"/api/ws/ws/{idle_id}?token={idle_token}", False)] * (args.connections - args.fanout)
    ctx = mp.get_context("spawn")
    pipes, workers = [], []
    t0 = time.perf_counter()
    for k in range(args.processes):
        ours, theirs = ctx.Pipe()
        worker = ctx.Process(target=client_worker, args=(port, plan[k :: args.processes], theirs))
        worker.start()
        pipes.append(ours)
        workers.append(worker)
    for pipe in pipes:
        assert pipe.recv() == "ready"
    connect_s = time.perf_counter() - t0
    time.sleep(2.0)
    held = asyncio.run(stats(base, admin))["connections"]
    rss_after = rss_kib(pid)
    per_conn = (rss_after - rss_before) / max(1, held)

    def cpu() -> list[float]:
        for pipe in pipes:
            pipe.send(("cpu",))
        return [pipe.recv() for pipe in pipes]

    cpu0, server0, wall0 = cpu(), cpu_s(pid), time.perf_counter()
    baseline, base_posts = rounds(base, admin, fan_id, pipes, args.rounds, "base")
    cpu1, server1, wall1 = cpu(), cpu_s(pid), time.perf_counter()
    stuck_count = max(1, args.fanout // 100)
    stuck = [stuck_socket(port, fan_path) for _ in range(stuck_count)]
    slowed, _ = rounds(base, admin, fan_id, pipes, args.rounds, "slow")
    # Now make the non-readers overflow: keep publishing until every one of them is dropped.
    posted = 0
    while asyncio.run(stats(base, admin))["dropped_slow"] < stuck_count and posted < DROP_POSTS:
        asyncio.run(post(base, admin, fan_id, [f"drop-{posted + i}" for i in range(50)]))
        for pipe in pipes:
            pipe.send(("discard", ""))
        for pipe in pipes:
            pipe.recv()
        posted += 50
    final = asyncio.run(stats(base, admin))
    for sock in stuck:
        sock.close()
    for pipe in pipes:
        pipe.send(("stop",))
    for worker in workers:
        worker.join(timeout=30)

    wall = wall1 - wall0
    client_cpu = ", ".join(f"{(b - a) / wall:.0%}" for a, b in zip(cpu0, cpu1, strict=True))
    print(f"connections held: {held} of {args.connections} (opened in {connect_s:.1f} s)")
    print(
        f"memory per idle connection: {per_conn:.1f} KiB "
        f"(server RSS {rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MiB)"
    )
    print(
        f"fan-out of one {MESSAGE_BYTES}-byte notification to {args.fanout} connections, "
        f"{args.rounds} rounds, {len(baseline)} deliveries: "
        f"p50 {statistics.median(baseline):.1f} ms, p99 {pct(baseline, 0.99):.1f} ms, "
        f"max {max(baseline):.1f} ms (POST round trip p50 {statistics.median(base_posts):.1f} ms)"
    )
    print(
        f"CPU during those rounds: server {(server1 - server0) / wall:.0%}, "
        f"client processes {client_cpu}"
    )
    print(
        f"with {stuck_count} of them ({stuck_count / args.fanout:.0%}) not reading: "
        f"{len(slowed)} deliveries to the others: p50 {statistics.median(slowed):.1f} ms, "
        f"p99 {pct(slowed, 0.99):.1f} ms"
    )
    print(
        f"non-readers dropped with 1013: {final['dropped_slow']} of {stuck_count}, "
        f"after {posted} more notifications ({posted * MESSAGE_BYTES // 1024} KiB to each)"
    )
    ratio = pct(slowed, 0.99) / pct(baseline, 0.99)
    print(f"ratio p99 with non-readers / without: {ratio:.2f} (goal <= 1.20)")
    print(
        "goals: 5,000 held; p99 < 50 ms; <= 20 KiB per idle connection; "
        "non-readers move the others' p99 by <= 20%"
    )


if __name__ == "__main__":
    main()
