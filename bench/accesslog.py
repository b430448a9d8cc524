"""What recording views costs the media fast path: one gymhub, one cached thumbnail, fetched by
its owner (never recorded) and by the owner's trainer (every GET counted in the access log), in
alternating rounds of the same run. Goal: the trainer's rate within 10% of the owner's.

Reuses bench/serve.py's server, upload and clients (wrk when installed). It also checks that the
trainer's views did reach the owner's access log.

    python bench/accesslog.py [--seconds 5] [--rounds 5] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from serve import (
    ADMIN_PASSWORD,
    Gymhub,
    cpu_seconds,
    http,
    noise_jpeg,
    post_json,
    run_aiohttp,
    run_wrk,
    upload,
)

GOAL = 0.9


def account(base: str, admin: str, name: str, role: str) -> tuple[int, str]:
    """Create a user; its id and a bearer token."""
    password = f"{name}-password-1"
    user = post_json(
        base, "/api/users", {"username": name, "password": password, "role": role}, admin
    )
    token = post_json(base, "/api/auth/login", {"username": name, "password": password})
    return int(user["id"]), str(token["access_token"])


def hook_cost(calls: int = 200_000) -> float:
    """Microseconds per ViewRecorder.fetched call that counts a view (the serving path's share)."""
    import timeit
    from types import SimpleNamespace

    from gymhub.services.viewlog import ViewRecorder

    recorder = ViewRecorder(None)  # type: ignore[arg-type]  # never flushed here
    found = SimpleNamespace(owner_id=1, file_id="f" * 32, category="meal_photos")
    seconds = timeit.timeit(lambda: recorder.fetched("GET", 200, 2, found), number=calls)
    return seconds / calls * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    use_wrk = shutil.which("wrk") is not None
    measure = run_wrk if use_wrk else run_aiohttp
    with tempfile.TemporaryDirectory(prefix="gymhub-bench-accesslog-") as tmp:
        gymhub = Gymhub(Path(tmp))
        try:
            base = gymhub.url
            admin = post_json(
                base, "/api/auth/login", {"username": "admin", "password": ADMIN_PASSWORD}
            )["access_token"]
            client_id, owner = account(base, admin, "client", "client")
            trainer_id, trainer = account(base, admin, "trainer", "trainer")
            status, _ = http(
                base,
                "PUT",
                f"/api/trainers/{trainer_id}/clients/{client_id}",
                headers={"Authorization": f"Bearer {admin}"},
            )
            assert status == 204, status
            thumb = upload(base, owner, noise_jpeg(400, 300))["variants"]["thumbnail"]
            url = base + thumb["url"]
            rates: dict[str, list[float]] = {"owner (not recorded)": [], "trainer (recorded)": []}
            # Server CPU seconds per request: on a shared machine, steadier than the rate.
            cpu: dict[str, list[float]] = {name: [] for name in rates}
            tokens = dict(zip(rates, (owner, trainer), strict=True))
            for token in tokens.values():  # warm: the LRU and the memo
                measure(url, token, 1, args.connections)
            for n in range(args.rounds):
                # ABBA order: a drift in the machine's load favours neither side.
                order = list(tokens.items())
                for name, token in order if n % 2 == 0 else order[::-1]:
                    c0 = cpu_seconds(gymhub.proc.pid)
                    rate = measure(url, token, args.seconds, args.connections)
                    rates[name].append(rate)
                    cpu[name].append((cpu_seconds(gymhub.proc.pid) - c0) / (rate * args.seconds))
            status, body = http(
                base, "GET", "/api/me/access-log", headers={"Authorization": f"Bearer {owner}"}
            )
            entries = json.loads(body)["entries"]
            counted = sum(e["count"] for e in entries)
        finally:
            gymhub.stop()
    print(
        f"access-log bench: {thumb['size']:,}-byte cached thumbnail, client "
        f"{'wrk' if use_wrk else 'aiohttp'}, {args.connections} connections, "
        f"{args.rounds} alternating rounds x {args.seconds:g} s"
    )
    med = {k: statistics.median(v) for k, v in rates.items()}
    for name, values in rates.items():
        shown = ", ".join(f"{r:,.0f}" for r in values)
        print(f"  {name:<22} {med[name]:>9,.0f} req/s (rounds: {shown})")
    # The median of each round's pair: on a shared machine a round's load hits both sides.
    pairs = [t / o for o, t in zip(*rates.values(), strict=True)]
    ratio = statistics.median(pairs)
    print(f"  per-round ratios: {', '.join(f'{r:.3f}' for r in pairs)}")
    verdict = "PASS" if ratio >= GOAL else "MISS"
    per_request = {k: statistics.median(v) * 1e6 for k, v in cpu.items()}
    owner_us, trainer_us = per_request.values()
    print(
        f"  server CPU per request: owner {owner_us:.0f} us, trainer {trainer_us:.0f} us "
        f"(ratio {trainer_us / owner_us:.3f}x)"
    )
    hook = hook_cost()
    print(f"  the hook alone (ViewRecorder.fetched, in-process): {hook:.2f} us a call")
    print(f"  views recorded in the owner's access log: {counted:,} in {len(entries)} entries")
    print(f"  ratio recorded/unrecorded {ratio:.3f}x (goal >= {GOAL}x): {verdict}")
    return 0 if verdict == "PASS" and counted > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
