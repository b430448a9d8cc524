"""A real small filesystem for the data dir, a filler to use it up, and checks of the store."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import imaging_samples as samples

TMPFS_SIZE = "30m"


@contextlib.contextmanager
def tmpfs(where: Path, size: str = TMPFS_SIZE, inodes: int = 0) -> Iterator[Path]:
    """A fresh tmpfs of `size` (and at most `inodes` files, if given) mounted at where (skips the
    test when not root)."""
    if os.geteuid() != 0:
        pytest.skip("a real full filesystem needs root to mount a tmpfs (CI runs as root)")
    where.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (f",nr_inodes={inodes}" if inodes else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], check=False).returncode != 0:
            # A server process still dying holds it; detach now, the kernel frees it later.
            subprocess.run(["umount", "-l", str(where)], check=False)


def free_bytes(path: Path) -> int:
    """What an unprivileged writer may still use on path's filesystem (what gymhub reads)."""
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(filler: Path, leave: int) -> None:
    """Grow (or shrink) filler so that about `leave` bytes stay free on its filesystem."""
    current = filler.stat().st_size if filler.exists() else 0
    target = max(0, current + free_bytes(filler.parent) - leave)
    with open(filler, "ab") as f:
        f.truncate(target)  # shrinking gives blocks back; growing needs them allocated
        if target > current:
            os.posix_fallocate(f.fileno(), current, target - current)


def use_inodes(folder: Path, leave: int) -> None:
    """Create empty files in folder (or remove them) until `leave` inodes stay free."""
    folder.mkdir(exist_ok=True)
    made = sorted(folder.iterdir())
    free = os.statvfs(folder).f_favail
    while free > leave:
        (folder / f"i{len(made)}").touch()
        made.append(folder / f"i{len(made)}")
        free -= 1
    while free < leave and made:
        made.pop().unlink()
        free += 1
    assert os.statvfs(folder).f_favail == leave


def photo(
    tmp_path: Path, seed: int, size: tuple[int, int] = (640, 480), quality: int = 90
) -> bytes:
    """A distinct phone-like JPEG (each seed its own bytes, so dedup never joins two)."""
    image = samples.photo_like(size, seed=seed)
    path = samples.make_jpeg(
        tmp_path / f"p{seed}.jpg", size=size, orientation=1, image=image, quality=quality
    )
    return path.read_bytes()


def document(tmp_path: Path, seed: int, padding: int = 150_000) -> bytes:
    """A distinct valid PDF of some size (a comment after %%EOF makes it unique and bigger)."""
    body = samples.make_pdf(tmp_path / f"d{seed}.pdf").read_bytes()
    return body + b"%" + str(seed).encode() + b"x" * padding + b"\n"
