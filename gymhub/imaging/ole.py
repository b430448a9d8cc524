"""Just enough of the OLE compound file format (MS-CFB) to list a DOC's directory names."""

from __future__ import annotations

import os
import struct

from .errors import InvalidFile

SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")
_ENDOFCHAIN = 0xFFFFFFFE
_MAX_REGULAR_SECTOR = 0xFFFFFFFA
_DIR_ENTRY = 128
_BROKEN = "the document's internal structure is damaged"


def directory_names(path: str) -> list[str]:
    """Names of every storage and stream in the file, read from its directory chain.

    Raises InvalidFile when the header, the FAT or the directory chain do not hold together.
    """
    file_size = os.path.getsize(path)
    with open(path, "rb") as f:
        header = f.read(512)
        if len(header) < 512 or header[:8] != SIGNATURE:
            raise InvalidFile(_BROKEN)
        byte_order, sector_shift = struct.unpack_from("<HH", header, 28)
        if byte_order != 0xFFFE or sector_shift not in (9, 12):
            raise InvalidFile(_BROKEN)
        sector_size = 1 << sector_shift
        # The last sector may be short: some writers do not pad it.
        n_sectors = max(0, -(-(file_size - sector_size) // sector_size))
        n_fat, first_dir = struct.unpack_from("<II", header, 44)
        first_difat, n_difat = struct.unpack_from("<II", header, 68)
        if n_fat > n_sectors or n_difat > n_sectors:
            raise InvalidFile(_BROKEN)

        def read_sector(index: int) -> bytes:
            if index > _MAX_REGULAR_SECTOR or index >= n_sectors:
                raise InvalidFile(_BROKEN)
            f.seek((index + 1) * sector_size)
            return f.read(sector_size).ljust(sector_size, b"\x00")

        # The DIFAT lists the FAT's sectors: 109 in the header, the rest in a chain of its own.
        fat_sectors = list(struct.unpack_from("<109I", header, 76))
        per_sector = sector_size // 4
        difat, seen = first_difat, 0
        while difat != _ENDOFCHAIN and seen < n_difat and len(fat_sectors) < n_fat + per_sector:
            entries = struct.unpack(f"<{per_sector}I", read_sector(difat))
            fat_sectors.extend(entries[:-1])
            difat, seen = entries[-1], seen + 1
        fat: list[int] = []
        for sector in fat_sectors[:n_fat]:
            fat.extend(struct.unpack(f"<{per_sector}I", read_sector(sector)))

        names: list[str] = []
        sector, visited = first_dir, set()
        while sector != _ENDOFCHAIN:
            if sector in visited or sector >= len(fat):
                raise InvalidFile(_BROKEN)  # a loop or a dangling link
            visited.add(sector)
            data = read_sector(sector)
            for offset in range(0, sector_size, _DIR_ENTRY):
                name_len, kind = struct.unpack_from("<HB", data, offset + 64)
                if kind in (1, 2, 5) and 2 <= name_len <= 64:
                    raw = data[offset : offset + name_len - 2]
                    names.append(raw.decode("utf-16-le", errors="replace"))
            sector = fat[sector]
    if not names:
        raise InvalidFile(_BROKEN)
    return names
