"""Type sniffing with libmagic: an early guess on the first chunk, the verdict on a whole file."""

from __future__ import annotations

import os
import re

import magic

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
GIF = "image/gif"
HEIC = "image/heic"
HEIF = "image/heif"
PDF = "application/pdf"
DOC = "application/msword"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCM = "application/vnd.ms-word.document.macroenabled.12"
ZIP = "application/zip"
OLE = "application/x-ole-storage"
OCTET = "application/octet-stream"
EMPTY = "application/x-empty"

IMAGE_MIMES: frozenset[str] = frozenset({JPEG, PNG, WEBP, GIF, HEIC, HEIF})
DOCUMENT_MIMES: frozenset[str] = frozenset({PDF, DOC, DOCX})

# libmagic spells some types several ways depending on its version and on how much it saw.
_ALIASES = {
    "image/jpg": JPEG,
    "image/pjpeg": JPEG,
    "image/x-png": PNG,
    "image/heic-sequence": HEIC,
    "image/heif-sequence": HEIF,
    "application/cdfv2": OLE,
    "application/cdfv2-unknown": OLE,
    "application/cdfv2-corrupt": OLE,
    "application/vnd.ms-office": OLE,
    "application/x-zip-compressed": ZIP,
    "inode/x-empty": EMPTY,
}

# What an early, ambiguous sniff may still turn out to be once the whole file is there:
# a DOC's first chunk can read as a bare OLE container, a DOCX's as a zip (or as nothing yet).
_MAYBE = {
    OLE: frozenset({DOC}),
    ZIP: frozenset({DOCX}),
    DOCM: frozenset({DOCX}),
    OCTET: frozenset({DOCX}),
    EMPTY: IMAGE_MIMES | DOCUMENT_MIMES,
}

# ISO-BMFF brands (the ftyp box) of HEVC-coded HEIF, which old libmagic builds do not name.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})


def _ftyp_mime(head: bytes) -> str | None:
    """HEIC/HEIF from the ftyp box's brands, or None; AVIF stays None (it is not accepted)."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(head[0:4], "big")
    end = min(max(box_size, 16), len(head), 4096)
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, end - 3, 4)}
    if b"avif" in brands or b"avis" in brands:
        return None
    if brands & _HEIC_BRANDS:
        return HEIC
    if brands & _HEIF_BRANDS:
        return HEIF
    return None


def normalise(mime: str, head: bytes = b"") -> str:
    """One spelling per type: lower case, no parameters, aliases folded, HEIF found by ftyp."""
    # Some libmagic builds append details ("application/x-executable, no program header").
    mime = re.split(r"[;,\s]", mime.strip(), maxsplit=1)[0].lower()
    mime = _ALIASES.get(mime, mime)
    if mime not in IMAGE_MIMES:
        mime = _ftyp_mime(head) or mime
    return mime


def sniff_bytes(head: bytes) -> str:
    """The normalised libmagic mime of a file's first chunk."""
    if not head:
        return EMPTY
    return normalise(str(magic.from_buffer(head, mime=True)), head)


def sniff_path(path: str) -> str:
    """The normalised libmagic mime of a whole file."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if not head:
        return EMPTY
    return normalise(str(magic.from_file(os.fspath(path), mime=True)), head)


def plausible(head: bytes, allowed: frozenset[str]) -> bool:
    """False only when the first chunk is clearly none of ``allowed`` (the read stops: 415)."""
    mime = sniff_bytes(head)
    return mime in allowed or bool(_MAYBE.get(mime, frozenset()) & allowed)


def describe(allowed: frozenset[str]) -> str:
    """Human names of the accepted types, for error messages."""
    names = {
        JPEG: "JPEG",
        PNG: "PNG",
        WEBP: "WebP",
        GIF: "GIF",
        HEIC: "HEIC",
        HEIF: "HEIF",
        PDF: "PDF",
        DOC: "DOC",
        DOCX: "DOCX",
    }
    return ", ".join(sorted(names.get(m, m) for m in allowed))
