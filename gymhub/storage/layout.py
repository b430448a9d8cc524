"""The media tree under the data dir, as existing deployments know it, and its file names."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from gymhub.data.catalogue import CATEGORIES

THUMBNAILS = "thumbnails"
TEMP = "temp"
# Hidden names under uploads/: the tree's copy of the data-dir identity, and where the sweep
# moves files that have no row (kept for quarantine_days, by day of the move).
ID_FILE = ".gymhub-id"
QUARANTINE = ".quarantine"
VARIANT_NAMES = ("large", "medium", "thumbnail")

# The stored extension of each accepted mime (never the client's name or Content-Type).
EXT_OF = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/heic": "heic",
    "image/heif": "heif",
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
ORIGINAL_NAME = re.compile(r"([0-9a-f]{32})\.(jpg|png|webp|gif|heic|heif|pdf|doc|docx)")
VARIANT_NAME = re.compile(r"([0-9a-f]{32})_(large|medium|thumbnail)\.(jpg|png)")
FILE_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class MediaName:
    """A parsed media path: a file id, and the variant it names (None for the original)."""

    file_id: str
    ext: str
    category: str | None
    variant: str | None


def parse_media_name(file_type: str, filename: str) -> MediaName | None:
    """`{category}/{id}.{ext}` or `thumbnails/{id}_{variant}.{ext}`; anything else is None."""
    if file_type == THUMBNAILS:
        match = VARIANT_NAME.fullmatch(filename)
        if match is None:
            return None
        return MediaName(match[1], match[3], None, match[2])
    if file_type in CATEGORIES:
        match = ORIGINAL_NAME.fullmatch(filename)
        if match is None:
            return None
        return MediaName(match[1], match[2], file_type, None)
    return None


class Layout:
    """Paths of the media tree: uploads/<category>, uploads/thumbnails, uploads/temp."""

    def __init__(self, root: Path):
        self.root = root
        self.temp = root / TEMP
        self.thumbnails = root / THUMBNAILS
        self.quarantine = root / QUARANTINE
        self.id_file = root / ID_FILE

    def create(self) -> None:
        """Make every directory of the tree (mode 0700: media is private)."""
        for name in (*CATEGORIES, THUMBNAILS, TEMP):
            (self.root / name).mkdir(parents=True, exist_ok=True, mode=0o700)

    def original(self, category: str, file_id: str, ext: str) -> Path:
        return self.root / category / f"{file_id}.{ext}"

    def variant(self, file_id: str, variant: str, ext: str) -> Path:
        return self.thumbnails / f"{file_id}_{variant}.{ext}"

    def temp_part(self, file_id: str) -> Path:
        return self.temp / f"{file_id}.part"

    def directories(self) -> list[Path]:
        """The directories that hold placed files (the sweep walks these)."""
        return [self.root / c for c in CATEGORIES] + [self.thumbnails]


def fsync_dir(path: Path) -> None:
    """Make a rename in this directory durable (os.replace alone is atomic, not durable)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_quietly(paths: list[Path]) -> int:
    """Unlink each path that exists; returns the bytes freed."""
    freed = 0
    for path in paths:
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            continue
        freed += size
    return freed
