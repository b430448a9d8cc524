"""Media bytes in RAM: a bounded LRU of small files (uuid names never change: nothing goes
stale), and a budget for larger files read whole for one response."""

from __future__ import annotations

import contextlib
import errno
import math
import os
import stat
from collections import OrderedDict
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

# Only small files are worth RAM: FileResponse's two thread hops dominate below this size.
MAX_ENTRY_BYTES = 256 * 1024
# Larger files up to this size are read whole for one response: over loopback (the reverse
# proxy's hop) a copied write costs the receiver about half what sendfile's pages do.
MAX_WHOLE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Validators:
    """What a file's responses are validated by, as FileResponse gives them: ETag, mtime, size."""

    etag: str
    mtime: float
    size: int
    # The HTTP date of mtime, formatted once rather than on every response.
    last_modified: str


def validators_from(st: os.stat_result) -> Validators:
    """The validators of a file with this stat."""
    # Last-Modified rounded up, as aiohttp's is: the same file has one date on every path.
    modified = formatdate(math.ceil(st.st_mtime), usegmt=True)
    return Validators(etag_of(st.st_mtime_ns, st.st_size), st.st_mtime, st.st_size, modified)


class UnsafeMedia(Exception):
    """A media path that is a symbolic link, or not a regular file in the media tree: someone
    put it there by hand; it is never served (404)."""


def open_media(path: Path) -> int:
    """An fd of the regular file at path, never through a symbolic link (the file's own, or
    its category directory's); FileNotFoundError when missing, UnsafeMedia when unsafe."""
    if os.path.islink(path.parent):
        raise UnsafeMedia(f"{path.parent} is a symbolic link")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeMedia(f"{path} is a symbolic link") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafeMedia(f"{path} is not a regular file")
    return fd


def validators_of(path: Path) -> Validators | None:
    """The validators of the file at path, from one stat; None when it is missing."""
    try:
        fd = open_media(path)
    except FileNotFoundError:
        return None
    try:
        return validators_from(os.fstat(fd))
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Cached:
    """The bytes of one media file and the validators its responses carry."""

    body: bytes
    validators: Validators


class MediaCache:
    """Least-recently-used bytes of small files, bounded by total size."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.used = 0
        self._entries: OrderedDict[str, Cached] = OrderedDict()

    def get(self, key: str) -> Cached | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: Cached) -> None:
        """Keep entry unless it is too big for the cache; evict the oldest to make room."""
        size = len(entry.body)
        if size > MAX_ENTRY_BYTES or size > self.capacity:
            return
        self.discard(key)
        self._entries[key] = entry
        self.used += size
        while self.used > self.capacity:
            _, old = self._entries.popitem(last=False)
            self.used -= len(old.body)

    def discard(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.used -= len(old.body)

    def discard_file(self, file_id: str) -> None:
        """Forget every entry of a file (its variants), on delete."""
        for key in [k for k in self._entries if k.startswith(file_id)]:
            self.discard(key)

    def __len__(self) -> int:
        return len(self._entries)


class ReadBudget:
    """Bytes of files read whole for responses not yet written, bounded; past it, sendfile."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.used = 0

    def take(self, size: int, beyond: bool = False) -> bool:
        """Count size against the budget, or refuse (False) when it does not fit (always, at 0,
        unless `beyond`: counted past the capacity)."""
        if not beyond and (self.capacity == 0 or self.used + size > self.capacity):
            return False
        self.used += size
        return True

    def release(self, size: int) -> None:
        """Give back what take counted."""
        self.used -= size


def load_file(path: Path, limit: int) -> Cached | None:
    """A file's bytes and validators, read in one go; None when missing or larger than limit."""
    with contextlib.suppress(FileNotFoundError):
        with open(open_media(path), "rb") as f:
            st = os.fstat(f.fileno())
            if st.st_size > limit:
                return None
            # Exactly the size (and one byte to see growth): read(limit) would allocate the
            # limit and fault in fresh pages, ~10x the cost of the read itself at 8 MiB.
            body = f.read(st.st_size + 1)
        if len(body) != st.st_size:
            return None  # changed since the stat: not a file of ours to serve from RAM
        return Cached(body, validators_from(st))
    return None


def etag_of(mtime_ns: int, size: int) -> str:
    """The ETag FileResponse gives the same file, so both paths agree."""
    return f'"{mtime_ns:x}-{size:x}"'
