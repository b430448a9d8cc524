"""Authenticated GETs per second: gymhub's media route vs nginx serving the same bytes.

Starts gymhub (`python -m gymhub serve`, a temp data dir, port 0) and Debian's nginx
(/usr/sbin/nginx, a generated config in a temp dir, one worker, loopback port), uploads real images
(a phone photo's ~1.7 KB thumbnail, a ~30 KB variant) and a ~3 MB original, copies those exact bytes
under the same path into nginx's root, and hammers every server with the same client, keep-alive,
the same bearer header (for the variants the client's trainer's: gymhub checks the trainer may see
the file and counts each view for the client's access log; for the original its owner's), in
alternating rounds. A third server, the simplest aiohttp app serving the same bytes from RAM without
auth (bench/_bare_aiohttp.py), is the framework's own ceiling on this machine. Prints req/s (median
of the rounds) and the ratios against DESIGN.md's goals, each the median of the rounds' own ratios
(the ratio of the medians beside it): each small file >= 0.6x the bare aiohttp app, the original
>= 0.8x nginx. A fourth, the same app answering every file with a plain
`web.FileResponse`, is the point the goal was calibrated on ("plain FileResponse reaches only
~0.07x"): it shows how this machine compares. With `--server-env NAME=VALUE` (repeatable) a second
gymhub, started after the uploads on the same data dir with those variables added
(`PYTHONMALLOC=malloc`, say), takes its turn too, and its rate is printed as a ratio to the first's:
what the setting costs, measured in the same rounds.

The client is wrk when installed (`apt-get install wrk`), else an aiohttp client in a separate
process. Its CPU use is printed: on a 2-core machine it shares the cores with the server.
Everything stays on 127.0.0.1; counts and time are bounded by --seconds and --rounds.

    python bench/serve.py [--seconds 5] [--rounds 5] [--connections 32] [--server-env NAME=VALUE]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _server import free_port, wait_listening  # type: ignore[import-not-found]
from PIL import Image

ADMIN_PASSWORD = "bench-admin-password"
NGINX = "/usr/sbin/nginx"
# DESIGN.md: a small file against the bare aiohttp app in the same rounds (the framework's own
# ceiling, with auth, policy, access log and view recording on in gymhub); the original against
# nginx.
GOALS = {
    "thumbnail": ("aiohttp", 0.6),
    "small variant": ("aiohttp", 0.6),
    "original": ("nginx", 0.8),
}
PLAIN = "aiohttp FileResponse"
# DESIGN.md's figures for a 30 KB file on its reference machine: "FileResponse ... at only 0.07x",
# "the same 30 KB from RAM reaches 0.26x".
REFERENCE = {PLAIN: 0.07, "aiohttp": 0.26}
ENV_GYMHUB = "gymhub +env"


def http(
    base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, bytes]:
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def post_json(base: str, path: str, data: dict, token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    status, body = http(base, "POST", path, json.dumps(data).encode(), headers)
    assert status in (200, 201), (path, status, body[:200])
    return json.loads(body)


def accounts(base: str) -> tuple[str, str]:
    """A client and their trainer (made by the admin); returns (client token, trainer token).
    The trainer is who fetches in the rounds: a trainer's page of a client's photos is the
    common case, and the one where gymhub records each view in the client's access log."""
    admin = post_json(base, "/api/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
    auth = {"Authorization": f"Bearer {admin['access_token']}"}
    ids, tokens = {}, {}
    for name, role in (("bench", "client"), ("coach", "trainer")):
        account = {"username": name, "password": "bench-password-1", "role": role}
        ids[role] = post_json(base, "/api/users", account, admin["access_token"])["id"]
        tokens[role] = post_json(base, "/api/auth/login", account)["access_token"]
    status, _ = http(
        base, "PUT", f"/api/trainers/{ids['trainer']}/clients/{ids['client']}", None, auth
    )
    assert status == 204, status
    return tokens["client"], tokens["trainer"]


def upload(base: str, token: str, data: bytes, category: str = "meal_photos") -> dict[str, Any]:
    boundary = "benchboundary" + os.urandom(8).hex()
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    status, reply = http(base, "POST", f"/api/files/upload?category={category}", body, headers)
    assert status == 201, (status, reply[:300])
    return json.loads(reply)


def noise_jpeg(width: int, height: int, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


class Gymhub:
    """gymhub as a subprocess; its log goes to a file so a full pipe never stalls it."""

    def __init__(self, tmp: Path, extra_env: dict[str, str] | None = None, log: str = "gymhub"):
        self.log = (tmp / f"{log}.log").open("w+")
        env = {**os.environ, "GYMHUB_ADMIN_PASSWORD": ADMIN_PASSWORD, **(extra_env or {})}
        cmd = [sys.executable, "-m", "gymhub", "serve", "--data-dir", str(tmp / "data")]
        cmd += ["--port", "0", "--workers", "1"]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            match = re.search(r"listening on (http://\S+)", Path(self.log.name).read_text())
            if match:
                self.url = match.group(1)
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("gymhub did not start:\n" + Path(self.log.name).read_text())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


NGINX_CONF = """
{user}
worker_processes 1;
events {{ worker_connections 1024; }}
http {{
    access_log {tmp}/nginx-access.log;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    types {{ image/jpeg jpg; image/png png; }}
    client_body_temp_path {tmp}/nginx-tmp;
    proxy_temp_path {tmp}/nginx-tmp;
    fastcgi_temp_path {tmp}/nginx-tmp;
    uwsgi_temp_path {tmp}/nginx-tmp;
    scgi_temp_path {tmp}/nginx-tmp;
    server {{
        listen 127.0.0.1:{port};
        root {tmp}/root;
        add_header Cache-Control "private, max-age=31536000, immutable";
        add_header X-Content-Type-Options nosniff;
    }}
}}
"""


class Nginx:
    """Debian's nginx on a loopback port, configured and stopped by this bench."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        port = free_port()
        (tmp / "nginx-tmp").mkdir()
        user = "user root;" if os.geteuid() == 0 else ""  # workers must read the 0700 temp dir
        conf = NGINX_CONF.format(user=user, tmp=tmp, port=port)
        (tmp / "nginx.conf").write_text(conf)
        cmd = [NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")]
        cmd += ["-g", f"daemon off; pid {tmp}/nginx.pid; error_log stderr;"]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
        self.url = wait_listening(self.proc, port, "nginx", 10)

    def publish(self, path: str, data: bytes) -> None:
        target = self.tmp / "root" / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class BareAiohttp:
    """bench/_bare_aiohttp.py on a loopback port, serving nginx's root: the framework's ceiling
    (or, always_file, the plain FileResponse the goal's own figure describes)."""

    def __init__(self, root: Path, always_file: bool = False):
        port = free_port()
        script = Path(__file__).resolve().parent / "_bare_aiohttp.py"
        cmd = [sys.executable, str(script), str(root), str(port)]
        cmd += ["--always-file"] if always_file else []
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
        self.url = wait_listening(self.proc, port, "bare aiohttp", 30)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def run_wrk(url: str, token: str, seconds: float, connections: int) -> float:
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "-H",
        f"Authorization: Bearer {token}",
    ]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert errors is None, out
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def _aiohttp_client(url: str, token: str, seconds: float, connections: int, out: Any) -> None:
    import asyncio

    import aiohttp

    async def main() -> int:
        done = 0
        headers = {"Authorization": f"Bearer {token}"}
        conn = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=conn) as session:
            end = time.monotonic() + seconds

            async def worker() -> None:
                nonlocal done
                while time.monotonic() < end:
                    async with session.get(url, headers=headers) as resp:
                        await resp.read()
                        assert resp.status == 200, resp.status
                    done += 1

            await asyncio.gather(*(worker() for _ in range(connections)))
        return done

    started = time.monotonic()
    n = asyncio.run(main())
    out.put(n / (time.monotonic() - started))


def run_aiohttp(url: str, token: str, seconds: float, connections: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_aiohttp_client, args=(url, token, seconds, connections, queue))
    proc.start()
    rate = float(queue.get(timeout=seconds + 60))
    proc.join(30)
    return rate


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one measurement")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per server")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="also measure a second gymhub with this environment variable (repeatable)",
    )
    args = parser.parse_args()
    args.server_env = dict(pair.split("=", 1) for pair in args.server_env)
    use_wrk = shutil.which("wrk") is not None
    measure = run_wrk if use_wrk else run_aiohttp
    with tempfile.TemporaryDirectory(prefix="gymhub-bench-serve-") as tmp_name:
        tmp = Path(tmp_name)
        gymhub, nginx = Gymhub(tmp), Nginx(tmp)
        bare = BareAiohttp(tmp / "root")
        plain = BareAiohttp(tmp / "root", always_file=True)
        servers = {"gymhub": gymhub, "nginx": nginx, "aiohttp": bare, PLAIN: plain}
        try:
            return bench(args, gymhub, nginx, servers, measure, "wrk" if use_wrk else "aiohttp")
        finally:
            if ENV_GYMHUB in servers:
                servers[ENV_GYMHUB].stop()
            plain.stop()
            bare.stop()
            nginx.stop()
            gymhub.stop()


def bench(
    args: argparse.Namespace,
    gymhub: Gymhub,
    nginx: Nginx,
    servers: dict[str, Any],
    measure: Any,
    client: str,
) -> int:
    base = gymhub.url
    client_token, trainer_token = accounts(base)
    # A small variant near 30 KB: variants of a small noise picture keep its size (never
    # upscaled), so the picture's size sets the variant's bytes; the closest one is served.
    variants = [
        v
        for side in (200, 230, 260)
        for v in upload(base, client_token, noise_jpeg(side, side * 3 // 4))["variants"].values()
    ]
    thumb = min(variants, key=lambda v: abs(v["size"] - 30_000))
    # And the file a page of photos asks for most: a phone photo's real thumbnail (~1.7 KB).
    phone = upload(base, client_token, noise_jpeg(1200, 1600, 80))["variants"]["thumbnail"]
    width = 1000
    while len(big := noise_jpeg(width, width * 3 // 4)) < 2_900_000:
        width = int(width * (3_000_000 / len(big)) ** 0.5) + 8
    original = upload(base, client_token, big)["original_url"]
    targets = {"thumbnail": phone["url"], "small variant": thumb["url"], "original": original}
    # Variants as the trainer's page asks for them; the original as its owner downloads it (a
    # meal photo's original is the client's own: API.md gives trainers its variants).
    fetcher = {"thumbnail": trainer_token, "small variant": trainer_token, "original": client_token}
    for kind, path in targets.items():
        token = fetcher[kind]
        status, body = http(base, "GET", path, headers={"Authorization": f"Bearer {token}"})
        assert status == 200
        nginx.publish(path, body)
        status, same = http(nginx.url, "GET", path)
        assert status == 200 and hashlib.sha256(same).digest() == hashlib.sha256(body).digest()
    sizes = {k: len(http(nginx.url, "GET", p)[1]) for k, p in targets.items()}
    if args.server_env:
        # Started now, so that it finds the account and the files; the order puts it next to
        # the first gymhub in every round.
        tmp = Path(gymhub.log.name).parent
        others = {k: v for k, v in servers.items() if k != "gymhub"}
        servers.clear()  # in place: main() stops what it holds
        servers["gymhub"] = gymhub
        servers[ENV_GYMHUB] = Gymhub(tmp, args.server_env, log="gymhub-env")
        servers.update(others)
        for kind, path in targets.items():
            auth = {"Authorization": f"Bearer {fetcher[kind]}"}
            status, _ = http(servers[ENV_GYMHUB].url, "GET", path, headers=auth)
            assert status == 200, status

    print(
        f"serve bench: {os.cpu_count()} cores, client {client} with {args.connections} "
        f"keep-alive connections, {args.rounds} rounds x {args.seconds:g} s per server and file"
    )
    if args.server_env:
        print(f"{ENV_GYMHUB}: a second gymhub on the same data with {args.server_env}")
    ok = True
    for kind, path in targets.items():
        rates: dict[str, list[float]] = {name: [] for name in servers}
        client_cpu = dict.fromkeys(servers, 0.0)
        server_cpu = dict.fromkeys(servers, 0.0)
        pids = {name: server.proc.pid for name, server in servers.items()}
        pids["nginx"] = nginx_worker(nginx)
        for _ in range(args.rounds):
            for name, server in ((name, server.url) for name, server in servers.items()):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                s0 = cpu_seconds(pids[name])
                rates[name].append(
                    measure(server + path, fetcher[kind], args.seconds, args.connections)
                )
                server_cpu[name] += cpu_seconds(pids[name]) - s0
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                client_cpu[name] += (after.ru_utime + after.ru_stime) - (
                    before.ru_utime + before.ru_stime
                )
        med = {k: statistics.median(v) for k, v in rates.items()}
        against, goal = GOALS[kind]
        # Each round's own ratio first: a shared machine's load drifts between rounds, and
        # within a round it hits both servers alike (bench/writes.py and latency.py do the same).
        paired = [g / a for g, a in zip(rates["gymhub"], rates[against], strict=True)]
        ratio = statistics.median(paired)
        verdict = "PASS" if ratio >= goal else "MISS"
        ok = ok and verdict == "PASS"
        total = args.rounds * args.seconds
        print(f"\n{kind} ({sizes[kind]:,} bytes): {path}")
        for name in servers:
            print(
                f"  {name:<20} {med[name]:>9,.0f} req/s (rounds: "
                f"{', '.join(f'{r:,.0f}' for r in rates[name])}); server CPU "
                f"{server_cpu[name] / total:.2f} cores, client CPU "
                f"{client_cpu[name] / total:.2f} cores"
            )
        shown = "bare aiohttp" if against == "aiohttp" else against
        print(
            f"  ratio gymhub/{shown} {ratio:.2f}x, the median of the rounds' ratios "
            f"({', '.join(f'{r:.2f}' for r in paired)}; of the medians "
            f"{med['gymhub'] / med[against]:.2f}x) (goal >= {goal}x): {verdict}"
        )
        print(
            f"  for reference: gymhub/nginx {med['gymhub'] / med['nginx']:.2f}x, "
            f"bare aiohttp/nginx {med['aiohttp'] / med['nginx']:.2f}x"
        )
        if ENV_GYMHUB in med:
            print(
                f"  ratio gymhub with {args.server_env} / gymhub: "
                f"{med[ENV_GYMHUB] / med['gymhub']:.2f}x (rounds: "
                + ", ".join(
                    f"{a / b:.2f}" for a, b in zip(rates[ENV_GYMHUB], rates["gymhub"], strict=True)
                )
                + ")"
            )
        if kind == "small variant":
            print(
                f"  calibration against DESIGN.md's reference figures: plain FileResponse/nginx "
                f"{med[PLAIN] / med['nginx']:.3f}x here ({REFERENCE[PLAIN]}x there), "
                f"aiohttp from RAM/nginx {med['aiohttp'] / med['nginx']:.2f}x here "
                f"({REFERENCE['aiohttp']}x there)"
            )
    return 0 if ok else 1


def nginx_worker(nginx: Nginx) -> int:
    """The pid of nginx's one worker (the master only supervises)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == nginx.proc.pid:
                return int(entry.name)
    raise RuntimeError("nginx has no worker process")


if __name__ == "__main__":
    sys.exit(main())
