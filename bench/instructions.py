"""Instructions per cached-thumbnail GET, gymhub against the bare aiohttp app, under callgrind.

bench/serve.py's req/s ratios move by up to 2x from round to round on a shared machine (other guests
take the CPU: `st` in top). Instructions do not: valgrind's callgrind counts what each server
executes in user space for the same requests. Both servers run under callgrind; after 300 warm-up
requests the counters are zeroed, one keep-alive client sends --requests GETs of a phone photo's
~1.7 KB thumbnail one at a time (with the bearer token of the client's trainer; the bare app ignores
it), and the count is dumped. Printed: thousands of instructions per request and their ratio. The
kernel's share (the socket calls) is not counted, so this ratio runs above serve.py's.

    python bench/instructions.py [--requests 1500]      (needs valgrind: apt-get install valgrind)
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import serve  # type: ignore[import-not-found]


def drive(port: int, path: str, token: str, n: int) -> None:
    """n GETs of path over one keep-alive connection, each read whole before the next."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        buf = b""
        for _ in range(n):
            sock.sendall(request)
            while True:
                end = buf.find(b"\r\n\r\n")
                if end >= 0:
                    length = re.search(rb"content-length: (\d+)", buf[:end].lower())
                    assert length is not None and buf.startswith(b"HTTP/1.1 200"), buf[:200]
                    need = end + 4 + int(length.group(1))
                    if len(buf) >= need:
                        buf = buf[need:]
                        break
                buf += sock.recv(65536)


def prepare(tmp: Path) -> tuple[str, str]:
    """A data dir with a client's photo (its thumbnail's URL and the token of the client's
    trainer, who fetches it), and the thumbnail's bytes under the same path in tmp/root for the
    bare app."""
    gymhub = serve.Gymhub(tmp)
    try:
        base = gymhub.url
        client_token, token = serve.accounts(base)
        photo = serve.upload(base, client_token, serve.noise_jpeg(1200, 1600, 80))
        path = photo["variants"]["thumbnail"]["url"]
        status, body = serve.http(base, "GET", path, headers={"Authorization": f"Bearer {token}"})
        assert status == 200
    finally:
        gymhub.stop()
    target = tmp / "root" / path.lstrip("/")
    target.parent.mkdir(parents=True)
    target.write_bytes(body)
    return path, token


def count(name: str, cmd: list[str], port: int, path: str, token: str, n: int, tmp: Path) -> float:
    """Instructions per request of the server cmd (listening on port) under callgrind."""
    out = tmp / f"callgrind-{name}.out"
    env = {**os.environ, "GYMHUB_ADMIN_PASSWORD": serve.ADMIN_PASSWORD}
    with (tmp / f"{name}.log").open("w") as log:
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            deadline = time.monotonic() + 300
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline and proc.poll() is None, name
                    time.sleep(0.5)
            drive(port, path, token, 300)
            subprocess.run(
                ["callgrind_control", "-z", str(proc.pid)], check=True, capture_output=True
            )
            drive(port, path, token, n)
            subprocess.run(
                ["callgrind_control", "-d", "measured", str(proc.pid)],
                check=True,
                capture_output=True,
            )
        finally:
            proc.terminate()
            proc.wait(300)
    dump = next(f for f in sorted(glob.glob(f"{out}.*")))
    totals = re.search(r"^(?:summary|totals):\s+(\d+)", Path(dump).read_text(), re.M)
    assert totals is not None, dump
    return int(totals.group(1)) / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gymhub-bench-instructions-") as name:
        tmp = Path(name)
        path, token = prepare(tmp)
        ports = serve.free_port(), serve.free_port()
        servers = {
            "gymhub": [
                *(sys.executable, "-m", "gymhub", "serve", "--data-dir", str(tmp / "data")),
                *("--port", str(ports[0]), "--workers", "1"),
            ],
            "bare aiohttp": [
                sys.executable,
                str(Path(__file__).parent / "_bare_aiohttp.py"),
                str(tmp / "root"),
                str(ports[1]),
            ],
        }
        per_request = {}
        for (label, cmd), port in zip(servers.items(), ports, strict=True):
            key = label.replace(" ", "-")
            per_request[label] = count(key, cmd, port, path, token, args.requests, tmp)
            print(f"{label:<13} {per_request[label] / 1000:7.0f}k instructions per request")
    ratio = per_request["bare aiohttp"] / per_request["gymhub"]
    print(f"bare aiohttp / gymhub: {ratio:.3f} ({args.requests} GETs of {path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
