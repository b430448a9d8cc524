"""Initializer of the process pool that runs the imaging functions."""

from __future__ import annotations

import ctypes
import logging
import os
import tempfile
import warnings

from PIL import Image, ImageFile

from .images import ensure_heif, process_image
from .sniff import IMAGE_MIMES

# The API's default limit; process_image applies the configured one per call.
DEFAULT_MAX_PIXELS = 50_000_000
# glibc's mallopt parameters: the size from which it maps a block of its own (above Pillow's
# 16 MiB image blocks, so that they come from the heap), and the free space at the heap's top
# it keeps rather than giving back (a 12 MP photo's peak fits; a 50 MP one is trimmed to it).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 << 20
TRIM_THRESHOLD_BYTES = 128 << 20


def init_worker(nice: int = 0, idle: bool = False) -> None:
    """Prepare a pool process: HEIF opener, lower priority, Pillow's bomb and truncation guards."""
    ensure_heif()
    keep_image_memory()
    if nice > 0:
        # A busy worker must not starve the event loop's process of the shared cores.
        os.nice(nice)
    if idle and not lower_to_idle():
        # Not fatal (the niceness still applies), but the operator asked for the idle class.
        logging.getLogger("gymhub.imaging").warning(
            "image worker: the idle scheduling class was refused; it runs at its niceness only"
        )
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS
    ImageFile.LOAD_TRUNCATED_IMAGES = False


def keep_image_memory() -> bool:
    """Have glibc keep Pillow's image blocks in the heap between jobs; False elsewhere."""
    # By default glibc maps each 16 MiB block afresh (the kernel zero-fills every page on first
    # touch) until frees raise its threshold, and which frees do depends on the first jobs: a
    # worker warmed up on a flat photo ran each later 12 MP job ~15% slower (decode 33 -> 38 ms,
    # libmagic's sniff 0.6 -> 1.8 ms, 3 ms of unmapping after the job). A fixed threshold keeps
    # the worker at the peak it reaches on every photo anyway (~70 MB for 12 MP).
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return all(
        mallopt(ctypes.c_int(param), ctypes.c_int(value))
        for param, value in (
            (M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES),
            (M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
        )
    )


def lower_to_idle() -> bool:
    """Move this process to Linux's idle scheduling class; False where that is not possible."""
    # A niced task still keeps the core until its slice ends when a request's task wakes; an idle
    # one is preempted at once, so the event loop answers without waiting behind a resize.
    if not hasattr(os, "SCHED_IDLE"):
        return False
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except OSError:
        return False
    return True


def warm_up() -> None:
    """Run a made-up 4 MP photo through `process_image` in a temp dir, so the first real upload
    finds the worker started, libmagic's database loaded and the codecs set up (~100-200 ms)."""
    with tempfile.TemporaryDirectory(prefix="gymhub-warm-up-") as tmp:
        path = os.path.join(tmp, "warm-up.jpg")
        # Large enough that every variant is a real resize, as for a phone photo.
        Image.new("RGB", (2400, 1800), (96, 128, 64)).save(path, "JPEG", quality=80)
        process_image(path, tmp, "warm-up", DEFAULT_MAX_PIXELS, IMAGE_MIMES)
