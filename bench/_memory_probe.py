"""`gymhub serve` with a memory probe: on SIGUSR1 it appends a report to a file.

bench/abuse.py --probe runs the server through this instead of `python -m gymhub`, to tell apart
what holds the RSS left after the abuse: live Python objects (tracemalloc, when started with
`python -X tracemalloc=N`, and a count of gc-tracked objects by type), pymalloc's arenas
(`sys._debugmallocstats()`) and glibc's heaps (`mallinfo2()`, `malloc_info()`). Nothing of this
is in gymhub: the server it runs is the product's own `gymhub.cli.main(["serve", ...])`.

The first report is the baseline; each later one also prints the tracemalloc lines that grew
the most since it.

    python [-X tracemalloc=25] bench/_memory_probe.py REPORT_FILE serve --data-dir ... --port 0
"""

from __future__ import annotations

import collections
import ctypes
import ctypes.util
import gc
import io
import os
import signal
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gymhub.cli import main  # noqa: E402


class Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


_libc = ctypes.CDLL(ctypes.util.find_library("c"))
_libc.mallinfo2.restype = Mallinfo2
_libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
_libc.fdopen.restype = ctypes.c_void_p
_libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
_libc.fclose.argtypes = [ctypes.c_void_p]

_baseline: tracemalloc.Snapshot | None = None
_windows_baseline: set[int] | None = None


def _small_objects() -> list[object]:
    """gc-tracked objects and what they refer to (strings, ints, bytes are not tracked)."""
    tracked = gc.get_objects()
    seen: dict[int, object] = {id(o): o for o in tracked}
    for o in tracked:
        for r in gc.get_referents(o):
            seen.setdefault(id(r), r)
    # Only what pymalloc holds (up to 512 bytes); bigger blocks are glibc's.
    return [o for o in seen.values() if sys.getsizeof(o) <= 512]


def pinning(out: io.StringIO) -> None:
    """Which objects sit in the 1 MiB address windows that were not in use at the baseline."""
    global _windows_baseline
    objects = _small_objects()
    windows = {id(o) >> 20 for o in objects}
    if _windows_baseline is None:
        _windows_baseline = windows
        return
    new = collections.Counter()
    pools: dict[int, set[int]] = collections.defaultdict(set)
    for o in objects:
        window = id(o) >> 20
        if window not in _windows_baseline:
            name = type(o).__qualname__
            new[name] += 1
            pools[window].add(id(o) >> 14)
    print(
        f"small objects {len(objects)}; in {len(windows - _windows_baseline)} 1 MiB windows new "
        f"since the baseline: {sum(new.values())} objects in "
        f"{sum(len(p) for p in pools.values())} pools",
        file=out,
    )
    print("  by type: " + ", ".join(f"{n} {c}" for n, c in new.most_common(20)), file=out)


_types_baseline: collections.Counter[str] | None = None


def _status(key: str) -> str:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return line.split(":", 1)[1].strip()
    return "?"


def _capture_fd2(fn: object) -> str:
    """What a C function writes to file descriptor 2 (stderr) while it runs."""
    with tempfile.TemporaryFile() as out:
        saved = os.dup(2)
        sys.stderr.flush()
        os.dup2(out.fileno(), 2)
        try:
            fn()  # type: ignore[operator]
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        return out.read().decode(errors="replace")


def _malloc_info() -> str:
    with tempfile.TemporaryFile() as out:
        stream = _libc.fdopen(os.dup(out.fileno()), b"w")
        _libc.malloc_info(0, stream)
        _libc.fclose(stream)
        out.seek(0)
        return out.read().decode()


def report(path: Path) -> None:
    global _baseline, _types_baseline
    mi = _libc.mallinfo2()
    out = io.StringIO()
    mib = 2**20
    print(f"=== report (pid {os.getpid()}, threads {threading.active_count()})", file=out)
    print(f"VmRSS {_status('VmRSS')}  RssAnon {_status('RssAnon')}", file=out)
    print(
        f"glibc mallinfo2: arena (sbrk+arenas) {mi.arena / mib:.1f} MiB, mmapped "
        f"{mi.hblkhd / mib:.1f} MiB in {mi.hblks}, in use {mi.uordblks / mib:.1f} MiB, "
        f"free in heaps {mi.fordblks / mib:.1f} MiB in {mi.ordblks} chunks, top releasable "
        f"{mi.keepcost / mib:.1f} MiB",
        file=out,
    )
    stats = _capture_fd2(sys._debugmallocstats)
    for line in stats.splitlines():
        if any(
            key in line
            for key in (
                "arenas allocated current",
                "arenas highwater",
                "bytes in allocated blocks",
                "bytes in available blocks",
                "unused pools",
                "bytes lost to",
                "Total",
                "# arenas allocated total",
                "# arenas reclaimed",
            )
        ):
            print("pymalloc " + line.strip(), file=out)
    pinning(out)
    types = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
    print(f"gc-tracked objects: {sum(types.values())}", file=out)
    if _types_baseline is not None:
        grown = (types - _types_baseline).most_common(15)
        print("  grown since baseline: " + ", ".join(f"{n} +{c}" for n, c in grown), file=out)
    else:
        _types_baseline = types
    if tracemalloc.is_tracing():
        snap = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        traced, peak = tracemalloc.get_traced_memory()
        print(f"tracemalloc: traced now {traced / mib:.1f} MiB, peak {peak / mib:.1f}", file=out)
        if _baseline is None:
            _baseline = snap
        else:
            diff = snap.compare_to(_baseline, "traceback")
            total = sum(s.size_diff for s in diff)
            print(f"  traced growth since baseline {total / mib:+.2f} MiB; top:", file=out)
            for stat in diff[:12]:
                print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks", file=out)
                for frame in stat.traceback.format()[-6:]:
                    print("      " + frame.strip(), file=out)
    with open(path, "a") as f:
        f.write(out.getvalue())
        f.write("--- malloc_info arenas (size of free chunks kept by each) ---\n")
        for line in _malloc_info().splitlines():
            if "<heap nr=" in line or '<system type="current"' in line or "<total type=" in line:
                f.write(line.strip() + "\n")
        f.write("--- sys._debugmallocstats() ---\n" + stats)


def collect(path: Path) -> None:
    """A full collection, keeping what it finds to say what it was, then a report."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    found = gc.collect()
    gc.set_debug(0)
    garbage = gc.garbage[:]
    gc.garbage.clear()
    kinds = collections.Counter(type(o).__qualname__ for o in garbage)
    code = collections.Counter(
        f"{o.f_code.co_filename.rsplit('/', 2)[-1]}:{o.f_code.co_name}"
        for o in garbage
        if isinstance(o, FrameType)
    )
    errors = collections.Counter(
        f"{type(o).__name__}: {o}"[:90] for o in garbage if isinstance(o, BaseException)
    )
    del garbage
    # They were kept by DEBUG_SAVEALL; unreachable again, this collection frees them.
    started = time.perf_counter()
    freed = gc.collect()
    took = (time.perf_counter() - started) * 1000
    with open(path, "a") as f:
        f.write(f"=== gc.collect(): {found} unreachable objects\n")
        f.write(f"  freed by a second full collection: {freed} ({took:.0f} ms); then:\n")
        f.write("  by type: " + ", ".join(f"{n} {c}" for n, c in kinds.most_common(25)) + "\n")
        f.write("  frames: " + ", ".join(f"{n} {c}" for n, c in code.most_common(15)) + "\n")
        f.write("  exceptions: " + ", ".join(f"{n} x{c}" for n, c in errors.most_common(8)))
        f.write("\n")
    report(path)


def forget_runs(path: Path) -> None:
    """An experiment: drop what gymhub's log-folding filter tracks, then a report."""
    from gymhub.logflood import RepeatFilter

    runs = 0
    for o in gc.get_objects():
        if isinstance(o, RepeatFilter):
            runs += len(o._runs)
            o._runs.clear()
    with open(path, "a") as f:
        f.write(f"=== forgot {runs} runs of the log-folding filter; then:\n")
    report(path)


def on_signal(_sig: int, _frame: FrameType | None) -> None:
    report(REPORT)


def on_signal2(_sig: int, _frame: FrameType | None) -> None:
    collect(REPORT)


if __name__ == "__main__":
    REPORT = Path(sys.argv[1])
    signal.signal(signal.SIGUSR1, on_signal)
    signal.signal(signal.SIGUSR2, on_signal2)
    signal.signal(signal.SIGWINCH, lambda _s, _f: forget_runs(REPORT))
    raise SystemExit(main(sys.argv[2:]))
