"""Benchmark: peak RSS growth of the server while 8 clients upload 25 MB documents at once.

Usage: python bench/memory.py [--clients 8] [--mb 25]

The server runs as a subprocess; its RSS (VmRSS, the pool's workers excluded: they only see
paths) is sampled every 10 ms from /proc before and during the uploads. Goal: growth < 64 MB.
Each document is a real PDF padded to the size, streamed from the client in 64 KiB chunks.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time

import aiohttp
from _server import PASSWORD, Server  # type: ignore[import-not-found]


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def pdf_stream(size: int, n: int):  # type: ignore[no-untyped-def]
    async def gen():  # type: ignore[no-untyped-def]
        head = f"%PDF-1.4\n% copy {n}\n".encode()
        body = b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        tail = b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
        yield head + body
        sent = len(head) + len(body)
        chunk = b"% padding padding padding padding padding padding padding padding\n" * 1000
        while sent + len(chunk) < size - len(tail):
            yield chunk
            sent += len(chunk)
        yield tail

    return gen()


async def run(clients: int, size: int) -> None:
    server = Server(workers=1)
    samples: list[int] = []
    stop = threading.Event()

    def sampler() -> None:
        while not stop.is_set():
            samples.append(rss(server.proc.pid))
            time.sleep(0.01)

    try:
        async with aiohttp.ClientSession() as http:
            url = server.url
            async with http.post(
                f"{url}/api/auth/login", json={"username": "admin", "password": PASSWORD}
            ) as r:
                token = (await r.json())["access_token"]
            base = rss(server.proc.pid)
            thread = threading.Thread(target=sampler)
            thread.start()

            async def one(n: int) -> int:
                with aiohttp.MultipartWriter("form-data") as mp:
                    part = mp.append(pdf_stream(size, n), {"Content-Type": "application/pdf"})
                    part.set_content_disposition("form-data", name="file", filename=f"{n}.pdf")
                    async with http.post(
                        f"{url}/api/files/upload?category=documents",
                        data=mp,
                        headers={"Authorization": f"Bearer {token}"},
                    ) as r:
                        await r.read()
                        return r.status

            started = time.perf_counter()
            statuses = await asyncio.gather(*(one(n) for n in range(clients)))
            elapsed = time.perf_counter() - started
            stop.set()
            thread.join()
    finally:
        stop.set()
        server.stop()
    peak = max(samples)
    print(
        f"{clients} clients x {size / 1e6:.0f} MB documents: statuses {sorted(set(statuses))}, "
        f"{elapsed:.1f} s, {clients * size / elapsed / 1e6:.0f} MB/s"
    )
    print(
        f"server RSS before {base / 2**20:.1f} MiB, peak {peak / 2**20:.1f} MiB, "
        f"growth {(peak - base) / 2**20:.1f} MiB (goal < 64 MiB); "
        f"growth per upload {(peak - base) / clients / 2**20:.2f} MiB "
        f"= {(peak - base) / (clients * size):.3f}x the bytes received"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--mb", type=float, default=24.5)
    args = parser.parse_args()
    asyncio.run(run(min(args.clients, 32), int(args.mb * 1e6)))


if __name__ == "__main__":
    main()
