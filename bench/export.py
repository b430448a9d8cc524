"""Peak RSS of the server while it streams one user's export holding 2 GB of files.

Starts gymhub (bench/serve.py's Gymhub: a subprocess on a temp data dir), creates a client,
and gives them N documents of 25 MB (sparse files: written in no time, read as zeros; their rows
inserted through gymhub's data layer, as an upload would). Then downloads GET /api/me/export,
reading it as it comes, while sampling the server's RSS every 10 ms, and checks the archive
(size, members). Goal: RSS growth under 64 MB.

    python bench/export.py [--gigabytes 2] [--file-mb 25]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

from serve import ADMIN_PASSWORD, Gymhub, post_json

from gymhub.data import files
from gymhub.data.db import connect_sync, run_write, utcnow

GOAL_MB = 64


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def add_documents(data: Path, owner_id: int, count: int, size: int) -> None:
    """count sparse documents of size bytes, placed and recorded for the owner."""
    media = data / "uploads" / "documents"
    rows = []
    for n in range(count):
        file_id = uuid.uuid4().hex
        with open(media / f"{file_id}.pdf", "wb") as f:
            f.truncate(size)
        rows.append(
            {
                "id": file_id,
                "owner_id": owner_id,
                "uploaded_by": owner_id,
                "category": "documents",
                "mime": "application/pdf",
                "ext": "pdf",
                "size": size,
                "sha256": uuid.uuid4().hex * 2,  # a stand-in: the bench never checks it
                "original_name": f"plan-{n}.pdf",
                "width": None,
                "height": None,
                "created_at": utcnow(),
                "meal_completion_id": None,
                "progress_entry_id": None,
                "visibility": None,
            }
        )
    conn = connect_sync(data / "gymhub.sqlite3")

    def insert(c: sqlite3.Connection) -> None:
        for row in rows:
            files.insert_file(c, row, [])

    try:
        run_write(conn, insert)
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--file-mb", type=int, default=25)
    args = parser.parse_args()
    size = args.file_mb * 1024 * 1024
    count = int(args.gigabytes * 1024**3 // size) + 1
    with tempfile.TemporaryDirectory(prefix="gymhub-bench-export-") as tmp:
        gymhub = Gymhub(Path(tmp))
        try:
            base = gymhub.url
            admin = post_json(
                base, "/api/auth/login", {"username": "admin", "password": ADMIN_PASSWORD}
            )["access_token"]
            user = post_json(
                base,
                "/api/users",
                {"username": "member", "password": "member-password", "role": "client"},
                admin,
            )
            token = post_json(
                base, "/api/auth/login", {"username": "member", "password": "member-password"}
            )["access_token"]
            add_documents(Path(tmp) / "data", user["id"], count, size)
            pid = gymhub.proc.pid
            before = rss(pid)
            peak = before
            done = threading.Event()

            def sample() -> None:
                nonlocal peak
                while not done.is_set():
                    peak = max(peak, rss(pid))
                    time.sleep(0.01)

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.monotonic()
            got = 0
            req = urllib.request.Request(
                base + "/api/me/export", headers={"Authorization": f"Bearer {token}"}
            )
            with urllib.request.urlopen(req, timeout=600) as resp:
                assert resp.status == 200
                while block := resp.read(1024 * 1024):
                    got += len(block)
            elapsed = time.monotonic() - started
            done.set()
            sampler.join()
        finally:
            gymhub.stop()
    total = count * size
    growth = (peak - before) / 1024**2
    verdict = "PASS" if growth < GOAL_MB else "MISS"
    print(
        f"export bench: {count} documents x {args.file_mb} MB = {total / 1024**3:.2f} GiB; "
        f"archive {got / 1024**3:.2f} GiB in {elapsed:.1f} s ({got / elapsed / 1024**2:.0f} MiB/s)"
    )
    print(
        f"  server RSS before {before / 1024**2:.1f} MiB, peak {peak / 1024**2:.1f} MiB: "
        f"growth {growth:.1f} MiB (goal < {GOAL_MB} MiB): {verdict}"
    )
    ok = got > total and verdict == "PASS"
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
