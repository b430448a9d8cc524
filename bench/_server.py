"""A gymhub server subprocess for the benches (127.0.0.1 only), and 12 MP sample photos."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import queue
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-admin-pw-1"


class Server:
    """`python -m gymhub serve` on a free port in a temp data dir."""

    def __init__(
        self,
        workers: int,
        nice: int = 10,
        extra_env: dict[str, str] | None = None,
        data_dir: Path | None = None,
        root: Path = ROOT,
        idle: bool = True,
    ):
        """`data_dir` serves an existing data dir (left in place by stop()) instead of a new one;
        `root` is the checkout whose gymhub runs (another one measures a baseline); `idle` puts
        its image workers in the idle scheduling class (the default)."""
        self.tmp = tempfile.TemporaryDirectory(prefix="gymhub-bench-")
        self.data_dir = data_dir or Path(self.tmp.name) / "data"
        env = {
            **os.environ,
            "GYMHUB_ADMIN_PASSWORD": PASSWORD,
            "GYMHUB_WORKER_NICE": str(nice),
            "GYMHUB_WORKER_IDLE": "true" if idle else "false",
        }
        env.update(extra_env or {})
        cmd = [
            sys.executable,
            "-m",
            "gymhub",
            "serve",
            "--data-dir",
            str(self.data_dir),
            "--port",
            "0",
            "--workers",
            str(workers),
            "--host",
            "127.0.0.1",
        ]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=root
        )
        deadline = time.monotonic() + 30
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                self.url = match.group(1)
                # Keep reading the access log, or a full pipe would stall the server.
                threading.Thread(target=self.proc.stdout.read, daemon=True).start()
                return
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.tmp.cleanup()


def free_port() -> int:
    """A loopback port free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(proc: subprocess.Popen[bytes], port: int, name: str, timeout: float) -> str:
    """The base URL once proc accepts connections on port; its stderr if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"{name} exited: {err}") from None
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not start")


async def login(
    http: aiohttp.ClientSession, url: str, username: str = "admin", password: str = PASSWORD
) -> str:
    """A bearer token for the account (the admin by default)."""
    body = {"username": username, "password": password}
    async with http.post(f"{url}/api/auth/login", json=body) as r:
        assert r.status == 200, await r.text()
        return str((await r.json())["access_token"])


def idle_option(parser: argparse.ArgumentParser, help: str) -> None:
    """--idle/--no-idle: pool workers in Linux's idle scheduling class (default: the Config's)."""
    from gymhub.config import Config

    parser.add_argument(
        "--idle", action=argparse.BooleanOptionalAction, default=Config().worker_idle, help=help
    )


class BareUploadServer:
    """bench/_bare_upload.py on a free port: the ceiling of bench/upload.py's cheap-GET figure."""

    def __init__(self, workers: int, nice: int, idle: bool):
        self.tmp = tempfile.TemporaryDirectory(prefix="gymhub-bare-upload-")
        port = free_port()
        script = Path(__file__).resolve().parent / "_bare_upload.py"
        args = [str(port), self.tmp.name, str(workers), str(nice), "1" if idle else "0"]
        self.proc = subprocess.Popen([sys.executable, str(script), *args])
        try:
            self.url = wait_listening(self.proc, port, "bare upload app", 30)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.tmp.cleanup()


def phone_jpeg(seed: int = 1) -> bytes:
    """A 12 MP phone-like JPEG (4032x3024, EXIF orientation 6, GPS)."""
    from tests import imaging_samples

    path = Path(tempfile.mkdtemp()) / "p.jpg"
    imaging_samples.make_jpeg(path, size=(4032, 3024), orientation=6, image=None)
    data = path.read_bytes()
    path.unlink()
    return data


def variant_of(jpeg: bytes, n: int) -> bytes:
    """The same picture with a different COM segment: new sha256, same decoding cost."""
    payload = f"bench copy {n}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]


def _result_of(proc: Any, results: Any) -> Any:
    """What a bench's child process put on `results`; raises if it failed or died first."""
    while True:
        try:
            got = results.get(timeout=0.5)
        except queue.Empty:
            if not proc.is_alive():
                raise RuntimeError(f"{proc.name} died (exit code {proc.exitcode})") from None
            continue
        if isinstance(got, BaseException):
            raise RuntimeError(f"{proc.name} failed: {got!r}")
        return got


def _wait_ready(proc: Any, ready: Any) -> None:
    """Wait for a child's ready event; raises if the child ended without setting it."""
    while not ready.wait(0.5):
        if not proc.is_alive():
            raise RuntimeError(f"{proc.name} ended before it was ready (exit {proc.exitcode})")


def _report_failure(results: Any, work: Any) -> None:
    """In a bench's child process: put work()'s result on `results`, or what it raised."""
    try:
        results.put(work())
    except BaseException as exc:  # the parent raises it, with the child's reason
        results.put(RuntimeError(f"{type(exc).__name__}: {exc}"))


# Closed-loop clients of the cheap-GET load (bench/upload.py, bench/contention.py).
GET_CLIENTS = 4


def own_cpu() -> float:
    """CPU seconds this process has used."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


async def _cheap_gets(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], stop: asyncio.Event
) -> list[float]:
    out: list[float] = []
    while not stop.is_set():
        started = time.perf_counter()
        async with http.get(url, headers=headers) as r:
            await r.read()
        out.append(time.perf_counter() - started)
    return out


async def _get_load(
    url: str, headers: dict[str, str], ready: Any, stop: Any
) -> tuple[float, float, float]:
    halt = asyncio.Event()
    async with aiohttp.ClientSession() as http:
        tasks = [
            asyncio.create_task(_cheap_gets(http, url, headers, halt)) for _ in range(GET_CLIENTS)
        ]
        started, cpu0 = time.perf_counter(), own_cpu()
        ready.set()
        while not stop.is_set() and not any(t.done() for t in tasks):  # done early: failed
            await asyncio.sleep(0.01)
        halt.set()
        answers = await asyncio.gather(*tasks, return_exceptions=True)
        elapsed = time.perf_counter() - started
    lat: list[float] = []
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
        lat += answer
    lat.sort()
    # CPU in cores over the load's own window (from ready to the last answer).
    return len(lat) / elapsed, lat[int(len(lat) * 0.99) - 1], (own_cpu() - cpu0) / elapsed


def _get_process(url: str, headers: dict[str, str], ready: Any, stop: Any, results: Any) -> None:
    _report_failure(results, lambda: asyncio.run(_get_load(url, headers, ready, stop)))


async def measure_gets(
    url: str, headers: dict[str, str], during: Awaitable[object]
) -> tuple[float, float, float]:
    """GETs/s of url, their p99 and the GET clients' CPU (cores) while `during` runs.

    The GET clients have a process of their own: in an uploading client's event loop, a GET's
    time would include the client's own wait behind the upload bodies it is sending."""
    ctx = multiprocessing.get_context("spawn")
    ready, stop, results = ctx.Event(), ctx.Event(), ctx.Queue()
    proc = ctx.Process(
        target=_get_process, args=(url, headers, ready, stop, results), name="GET clients"
    )
    proc.start()
    try:
        await asyncio.to_thread(_wait_ready, proc, ready)
        await during
        stop.set()
        rate, p99, cores = await asyncio.to_thread(_result_of, proc, results)
    finally:
        stop.set()
        await asyncio.to_thread(proc.join)
    return rate, p99, cores
