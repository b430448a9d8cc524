"""WebSocket hub benchmark: connections held, fan-out latency, memory, and slow consumers.

Runs the real server as a subprocess on 127.0.0.1 and the clients in other processes; every
figure comes from this one run. Usage: python bench/ws.py [--connections 5000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import resource
import signal
import socket
import statistics
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


def raise_nofile() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# Client processes ------------------------------------------------------------------------


def client_worker(base: str, conns: list[tuple[int, str, bool]], pipe: Any) -> None:
    """Hold the given (user_id, token, timed) connections; report arrival times per round."""
    raise_nofile()
    asyncio.run(_client_main(base, conns, pipe))


async def _client_main(base: str, conns: list[tuple[int, str, bool]], pipe: Any) -> None:
    arrivals: dict[str, list[float]] = {}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(base, connector=connector) as http:
        sockets = []
        for start in range(0, len(conns), 200):
            batch = conns[start : start + 200]
            opened = await asyncio.gather(
                *(
                    http.ws_connect(f"/api/ws/ws/{uid}?token={tok}", compress=0, autoping=True)
                    for uid, tok, _ in batch
                )
            )
            for ws, (_, _, timed) in zip(opened, batch, strict=True):
                await ws.receive()  # welcome
                sockets.append((ws, timed))

        async def read(ws: aiohttp.ClientWebSocketResponse, timed: bool) -> None:
            async for msg in ws:
                if timed and msg.type is aiohttp.WSMsgType.TEXT:
                    now = time.perf_counter()
                    tag = json.loads(msg.data)["data"].get("title", "")
                    arrivals.setdefault(tag, []).append(now)

        readers = [asyncio.create_task(read(ws, timed)) for ws, timed in sockets]
        pipe.send("ready")
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, pipe.recv)
            if command == "stop":
                break
            tag = command
            await asyncio.sleep(0.5)
            pipe.send(arrivals.pop(tag, []))
        for task in readers:
            task.cancel()
        for ws, _ in sockets:
            await ws.close()


def stuck_socket(port: int, user_id: int, token: str) -> socket.socket:
    """A connection that completes the handshake and then never reads (tiny receive buffer)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(
        (
            f"GET /api/ws/ws/{user_id}?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


# The run ---------------------------------------------------------------------------------


def start_server(data: Path) -> tuple[subprocess.Popen[str], str, int]:
    env = {**os.environ, "GYMHUB_ADMIN_PASSWORD": ADMIN_PASSWORD, "GYMHUB_LOG_LEVEL": "WARNING"}
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


async def fan_out(base: str, admin: str, user_id: int, tag: str) -> tuple[float, int]:
    async with aiohttp.ClientSession(base) as http:
        body = {"message": "x" * MESSAGE_BYTES, "title": tag}
        start = time.perf_counter()
        resp = await http.post(
            f"/api/ws/test-notification/{user_id}",
            headers={"Authorization": f"Bearer {admin}"},
            json=body,
        )
        return start, (await resp.json())["delivered_to"]


async def stats(base: str, admin: str) -> dict[str, int]:
    async with aiohttp.ClientSession(base) as http:
        resp = await http.get("/api/ws/ws/stats", headers={"Authorization": f"Bearer {admin}"})
        return dict(await resp.json())


def rounds(base: str, admin: str, fan_id: int, pipes: list[Any], n: int, label: str) -> list[float]:
    latencies: list[float] = []
    for i in range(n):
        tag = f"{label}-{i}"
        start, _ = asyncio.run(fan_out(base, admin, fan_id, tag))
        for pipe in pipes:
            pipe.send(tag)
        for pipe in pipes:
            latencies.extend((t - start) * 1000 for t in pipe.recv())
    return latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--fanout", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    raise_nofile()
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, port = start_server(Path(tmp) / "data")
        try:
            run(args, base, port, proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def run(args: argparse.Namespace, base: str, port: int, pid: int) -> None:
    admin, users = asyncio.run(setup_users(base))
    fan_id, fan_token = users["fan"]
    idle_id, idle_token = users["idle"]
    time.sleep(0.5)
    rss_before = rss_kib(pid)
    plan = [(fan_id, fan_token, True)] * args.fanout
    plan += [(idle_id, idle_token, False)] * (args.connections - args.fanout)
    ctx = mp.get_context("spawn")
    pipes, workers = [], []
    t0 = time.perf_counter()
    for k in range(args.processes):
        ours, theirs = ctx.Pipe()
        worker = ctx.Process(target=client_worker, args=(base, plan[k :: args.processes], theirs))
        worker.start()
        pipes.append(ours)
        workers.append(worker)
    for pipe in pipes:
        assert pipe.recv() == "ready"
    connect_s = time.perf_counter() - t0
    time.sleep(1.0)
    held = asyncio.run(stats(base, admin))["connections"]
    rss_after = rss_kib(pid)
    per_conn = (rss_after - rss_before) / max(1, held)

    baseline = rounds(base, admin, fan_id, pipes, args.rounds, "base")
    stuck_count = max(1, args.fanout // 100)
    stuck = [stuck_socket(port, fan_id, fan_token) for _ in range(stuck_count)]
    slowed = rounds(base, admin, fan_id, pipes, args.rounds, "slow")
    final = asyncio.run(stats(base, admin))
    for sock in stuck:
        sock.close()
    for pipe in pipes:
        pipe.send("stop")
    for worker in workers:
        worker.join(timeout=30)

    print(f"connections held: {held} of {args.connections} (opened in {connect_s:.1f} s)")
    print(
        f"memory per idle connection: {per_conn:.1f} KiB "
        f"(server RSS {rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MiB)"
    )
    print(
        f"fan-out of one {MESSAGE_BYTES}-byte notification to {args.fanout} connections, "
        f"{args.rounds} rounds, {len(baseline)} deliveries: "
        f"p50 {statistics.median(baseline):.1f} ms, p99 {pct(baseline, 0.99):.1f} ms"
    )
    print(
        f"with {stuck_count} of them ({stuck_count / args.fanout:.0%}) not reading: "
        f"{len(slowed)} deliveries to the others: p50 {statistics.median(slowed):.1f} ms, "
        f"p99 {pct(slowed, 0.99):.1f} ms; dropped_slow {final['dropped_slow']}"
    )
    ratio = pct(slowed, 0.99) / pct(baseline, 0.99)
    print(f"ratio p99 with non-readers / without: {ratio:.2f} (goal <= 1.20)")
    print(
        "goals: 5,000 held; p99 < 50 ms; <= 20 KiB per idle connection; "
        "non-readers move the others' p99 by <= 20%"
    )


if __name__ == "__main__":
    main()
