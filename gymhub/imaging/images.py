"""Validate an uploaded image and write its upright, metadata-free variants."""

from __future__ import annotations

import contextlib
import io
import os
import struct
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from PIL import Image, ImageCms, ImageFile

from .errors import ImagingError, InvalidFile, UnsupportedType
from .sniff import EMPTY, GIF, HEIC, HEIF, IMAGE_MIMES, JPEG, PNG, WEBP, describe, sniff_path

# Boxes of the variants, largest first.
VARIANTS: tuple[tuple[str, tuple[int, int]], ...] = (
    ("large", (1920, 1920)),
    ("medium", (800, 800)),
    ("thumbnail", (150, 150)),
)
JPEG_QUALITY = 85
# Phone and camera profiles are a few KiB. A larger one would be copied into every variant (a
# 150 px thumbnail of 1 MB): past this size the variants' pixels are converted to sRGB instead,
# which needs no profile.
MAX_ICC_BYTES = 64 * 1024
# Near 1x (a 12 MP JPEG drafted to 2016 px for the 1920 box) a bilinear shrink is 1.7x cheaper
# than bicubic and still ~42 dB from exact Lanczos on a noisy photo; further from 1x it falls to
# 40 dB (factor 1.3), so bicubic takes over up to 2x.
BILINEAR_BELOW = 1.15
BICUBIC_BELOW = 2.0
# Past a factor of 2, box-reduce by 2 first and Lanczos the rest: twice as fast as a fair Lanczos
# and still ~42 dB from it on a noisy 12 MP photo; reducing by more costs quality (37 dB).
BOX_REDUCE = 2
MAX_DRAFT = 2
# Pillow format names, so that no decoder other than the sniffed type's is ever reached.
PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP", GIF: "GIF", HEIC: "HEIF", HEIF: "HEIF"}
CORRUPT = "the image is truncated or corrupt"
# What Pillow's plugins raise on malformed input; anything else is a bug and should surface.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    RuntimeError,
)
# EXIF orientation → the transpose that makes the picture upright (as ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_heif_registered = False


def ensure_heif() -> None:
    """Register pillow-heif's opener once per process."""
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True


@contextlib.contextmanager
def strict_pillow(max_pixels: int) -> Iterator[None]:
    """Make Pillow refuse bombs and truncated data for the duration, then restore its globals."""
    saved = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    Image.MAX_IMAGE_PIXELS = max_pixels
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = saved


def fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled to fit in ``box`` with its aspect kept, never enlarged."""
    w, h = size
    scale = min(1.0, box[0] / w, box[1] / h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def shrink(
    img: Image.Image,
    size: tuple[int, int],
    box: tuple[float, float, float, float] | None = None,
) -> Image.Image:
    """``img`` (or its ``box``) resized down to ``size``, with the filter that suits the factor."""
    factor = (img.width if box is None else box[2] - box[0]) / size[0]
    if factor < BILINEAR_BELOW:
        return img.resize(size, Image.Resampling.BILINEAR, box=box)
    if factor < BICUBIC_BELOW:
        return img.resize(size, Image.Resampling.BICUBIC, box=box)
    # Pillow reduces by int(factor / reducing_gap): this gap makes that exactly BOX_REDUCE.
    gap = max(1.0, factor / (BOX_REDUCE + 0.5))
    return img.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=gap)


def _too_big(max_pixels: int) -> InvalidFile:
    return InvalidFile(f"the image has more than {max_pixels / 1e6:g} megapixels, the limit")


def _orientation(img: Image.Image) -> int:
    # A broken EXIF block is no reason to refuse a photo: it is dropped from the variants anyway.
    try:
        value = img.getexif().get(0x0112, 1)
    except _DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) and value in _TRANSPOSE else 1


def _may_have_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info


def _icc_for_rgb(img: Image.Image) -> bytes | None:
    # Only an RGB profile still describes the RGB variants; a CMYK or grey one would lie.
    icc = img.info.get("icc_profile")
    if isinstance(icc, bytes) and len(icc) >= 20 and icc[16:20] == b"RGB ":
        return icc
    return None


def _variant_colours(
    icc: bytes | None, mode: str
) -> tuple[bytes | None, Callable[[Image.Image], Image.Image]]:
    """The profile each variant carries, and what to do to its pixels first."""
    if icc is None or len(icc) <= MAX_ICC_BYTES:
        return icc, lambda image: image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        transform = ImageCms.buildTransform(source, ImageCms.createProfile("sRGB"), mode, mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A profile lcms cannot read would not have been honoured by viewers either.
        return None, lambda image: image
    return None, lambda image: ImageCms.applyTransform(image, transform) or image


def _to_rgb(img: Image.Image) -> Image.Image:
    """RGB pixels, or RGBA where at least one pixel is not fully opaque.

    An alpha channel or a transparent palette entry alone does not make an image transparent:
    phones and editors write RGBA PNGs that are opaque everywhere, and their variants should be
    JPEG like any photo. So the alpha band of the decoded frame decides (one pass over one
    band, ~20 ms at 12 MP against a PNG decode several times that). A palette image is checked
    the same way after its conversion to RGBA, which it needs anyway, so only palette entries
    that pixels use count.
    """
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit and float samples: scale to 8 bits rather than clip everything to white.
        img = img.convert("I").point(lambda v: v / 257).convert("L")
    if _may_have_alpha(img):
        rgba = img if img.mode == "RGBA" else img.convert("RGBA")
        # One band: getextrema gives a single (min, max) pair.
        lowest, _ = cast(tuple[int, int], rgba.getchannel("A").getextrema())
        if lowest < 255:
            return rgba
        img = rgba
    return img if img.mode == "RGB" else img.convert("RGB")


@dataclass(frozen=True)
class Decoded:
    """A decoded image as stored (maybe scaled down by the JPEG decoder), before any variant."""

    frame: Image.Image
    box: tuple[float, float, float, float] | None  # the original's area within ``frame``
    size: tuple[int, int]  # the original's size as stored
    orientation: int
    icc: bytes | None

    @property
    def upright_size(self) -> tuple[int, int]:
        """The original's size once turned upright."""
        w, h = self.size
        return (h, w) if self.orientation in (5, 6, 7, 8) else (w, h)


def decode(path: str, fmt: str, max_pixels: int) -> Decoded:
    """Open, check and decode every byte, scaled down inside the decoder for JPEG."""
    with Image.open(path, formats=[fmt]) as img:
        w, h = img.size
        if w * h > max_pixels:
            raise _too_big(max_pixels)
        box: tuple[float, float, float, float] | None = None
        if img.format == "JPEG":
            # The largest DCT scale whose result still covers the large variant, but at most
            # 1/2: at 1/4 the decoder's scaling strays to 34-38 dB from exact resizing.
            tw, th = fit((w, h), VARIANTS[0][1])
            drafted = img.draft("RGB", (max(tw, w // MAX_DRAFT), max(th, h // MAX_DRAFT)))
            if drafted is not None:
                box = drafted[1]
        img.load()  # decodes every byte: only this proves the data is whole
        orientation = _orientation(img)  # after load(): a PNG's eXIf chunk may follow its pixels
        icc = _icc_for_rgb(img)
        frame = _to_rgb(img)
    if box is not None and box == (0, 0, frame.width, frame.height):
        box = None
    return Decoded(frame, box, (w, h), orientation, icc)


def cascade(decoded: Decoded) -> Iterator[tuple[str, Image.Image]]:
    """Each variant's name and upright pixels.

    Large and medium are made from the decoded picture: made from the large one, the medium
    stacks a second resampling's error on the first (39 dB from a 48 MP photo). The thumbnail,
    where errors average out, is made from the medium.
    """
    made: dict[str, Image.Image] = {}
    for name, limits in VARIANTS:
        size = fit(decoded.size, limits)  # the boxes are square: orientation does not change it
        source, box = (
            (made["medium"], None) if name == "thumbnail" else (decoded.frame, decoded.box)
        )
        image = source if box is None and size == source.size else shrink(source, size, box)
        made[name] = image
        if decoded.orientation in _TRANSPOSE:
            # Per variant, after its downscale: rotating 3 MP costs a fourth of rotating 12 MP.
            image = image.transpose(_TRANSPOSE[decoded.orientation])
        yield name, image


def _save(img: Image.Image, path: str, icc: bytes | None) -> int:
    """Write ``img`` without metadata (except ICC) and return its size in bytes (not fsynced:
    process_image syncs the variants together once all are written)."""
    params: dict[str, Any] = {}
    if img.mode == "RGBA":
        fmt = "PNG"
    else:
        fmt = "JPEG"
        params = {"quality": JPEG_QUALITY, "optimize": False, "progressive": False}
    if icc is not None:
        params["icc_profile"] = icc
    img.info = {}  # nothing inherited (exif, xmp, text chunks) may reach the encoder
    with open(path, "wb") as f:
        img.save(f, format=fmt, **params)
        return f.tell()


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_variants(
    decoded: Decoded, out_dir: str, stem: str, written: list[str], timings: dict[str, float]
) -> dict[str, dict[str, Any]]:
    """Resize, encode and fsync each variant into out_dir; every path is added to `written`
    before its file is created, so the caller can remove them all on failure."""
    variants: dict[str, dict[str, Any]] = {}
    icc, colours = _variant_colours(decoded.icc, decoded.frame.mode)
    began = time.perf_counter()
    for name, cascaded in cascade(decoded):
        image = colours(cascaded)
        timings["resize"] += time.perf_counter() - began
        ext, vmime = ("png", PNG) if image.mode == "RGBA" else ("jpg", JPEG)
        out = os.path.join(out_dir, f"{stem}_{name}.{ext}")
        written.append(out)
        began = time.perf_counter()
        nbytes = _save(image, out, icc)
        synced = time.perf_counter()
        timings["encode"] += synced - began
        _fsync(out)
        timings["fsync"] += time.perf_counter() - synced
        variants[name] = {
            "path": out,
            "width": image.width,
            "height": image.height,
            "size": nbytes,
            "mime": vmime,
        }
        began = time.perf_counter()
    return variants


def process_image(
    path: str, out_dir: str, stem: str, max_pixels: int, allowed: frozenset[str]
) -> dict[str, Any]:
    """Check the image at ``path`` and write its three variants into ``out_dir``.

    Returns the sniffed mime, the upright size and each variant's path, size, mime and bytes.
    Raises UnsupportedType for a non-image or a type not in ``allowed``, InvalidFile for a
    corrupt, truncated or oversized one; variants already written are removed on any error.
    """
    # perf_counter is CLOCK_MONOTONIC on Linux, one clock for all processes: the caller can
    # tell the queue and the way back from these.
    timings = {"start": time.perf_counter(), "resize": 0.0, "encode": 0.0, "fsync": 0.0}
    mime = sniff_path(path)
    timings["sniff"] = time.perf_counter() - timings["start"]
    if mime == EMPTY:
        raise InvalidFile("the file is empty")
    accepted = allowed & IMAGE_MIMES
    if mime not in accepted:
        raise UnsupportedType(
            f"files of type {mime} are not accepted here (accepted: {describe(accepted)})"
        )
    fmt = PILLOW_FORMATS[mime]
    if fmt == "HEIF":
        ensure_heif()
    written: list[str] = []
    try:
        with strict_pillow(max_pixels):
            try:
                began = time.perf_counter()
                decoded = decode(path, fmt, max_pixels)
                timings["decode"] = time.perf_counter() - began
            except ImagingError:
                raise
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise _too_big(max_pixels) from None
            except _DECODE_ERRORS:
                raise InvalidFile(CORRUPT) from None
        width, height = decoded.upright_size
        variants = _write_variants(decoded, out_dir, stem, written, timings)
    except BaseException:
        for out in written:
            with contextlib.suppress(FileNotFoundError):
                os.remove(out)
        raise
    timings["end"] = time.perf_counter()
    return {
        "mime": mime,
        "width": width,
        "height": height,
        "variants": variants,
        "timings": timings,
    }
