"""Writers of sample uploads (good and hostile) for imaging, storage and HTTP tests; the made-up
photos have the same pixels every run.

Every function writes one file at ``path`` and returns it as a ``Path``; nothing is cached.
"""

from __future__ import annotations

import random
import statistics
import struct
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageFilter

PathLike = str | Path

# Paris, roughly: any real-looking position will do, the point is that it must vanish.
GPS_TAGS: dict[int, object] = {
    0: b"\x02\x03\x00\x00",
    1: "N",
    2: (48.0, 51.0, 29.88),
    3: "E",
    4: (2.0, 17.0, 40.2),
}
XMP_WITH_GPS = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.498N"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def srgb_icc() -> bytes:
    """A real sRGB ICC profile, as phones embed one."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def photo_like(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """An RGB picture with gradients, shapes, texture and sensor noise: realistic JPEG sizes."""
    w, h = size
    rng = random.Random(seed)
    red = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    green = Image.radial_gradient("L").resize(size, Image.Resampling.BILINEAR)
    blue = Image.linear_gradient("L").rotate(90).resize(size, Image.Resampling.BILINEAR)
    img = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = (
            x0 + rng.randrange(w // 20 + 1, w // 3 + 2),
            y0 + rng.randrange(h // 20 + 1, h // 3 + 2),
        )
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    img = img.filter(ImageFilter.BoxBlur(max(1, min(size) // 400)))
    # Blotchy mid-frequency texture (foliage, fabric) plus fine per-channel sensor noise.
    small = (max(1, w // 6), max(1, h // 6))
    texture = noise(small, rng, 24, "L").resize(size, Image.Resampling.BICUBIC)
    img = ImageChops.add(img, Image.merge("RGB", (texture,) * 3), scale=1.0, offset=-128)
    return ImageChops.add(img, noise(size, rng, 5, "RGB"), scale=1.0, offset=-128)


def noise(size: tuple[int, int], rng: random.Random, sigma: int, mode: str) -> Image.Image:
    """Noise normal around 128 (per channel), as Image.effect_noise gives, but from the seeded
    rng and at a fifth of its cost (effect_noise took 1 s of a 12 MP sample)."""
    bands = len(mode)
    gauss = statistics.NormalDist(128, sigma)
    table = [max(0, min(255, round(gauss.inv_cdf((v + 0.5) / 256)))) for v in range(256)]
    raw = rng.randbytes(size[0] * size[1] * bands)
    return Image.frombytes(mode, size, raw).point(table * bands)


def make_jpeg(
    path: PathLike,
    size: tuple[int, int] = (4032, 3024),
    orientation: int = 6,
    gps: bool = True,
    icc: bool = True,
    quality: int = 90,
    image: Image.Image | None = None,
) -> Path:
    """A phone-like JPEG: stored sideways with an EXIF orientation, GPS, XMP and an sRGB ICC."""
    img = image if image is not None else photo_like(size)
    exif = Image.Exif()
    exif[0x010F] = "Gymhub Phones"
    exif[0x0110] = "Test Model 12"
    if orientation != 1:
        exif[0x0112] = orientation
    params: dict[str, object] = {"quality": quality}
    if gps:
        exif.get_ifd(0x8825).update(GPS_TAGS)
        params["xmp"] = XMP_WITH_GPS
    if icc:
        params["icc_profile"] = srgb_icc()
    img.save(path, "JPEG", exif=exif, **params)
    return Path(path)


def make_split_jpeg(
    path: PathLike, size: tuple[int, int] = (400, 300), orientation: int = 6
) -> Path:
    """A JPEG whose stored left half is red and right half blue, to check orientation."""
    img = Image.new("RGB", size, (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return make_jpeg(path, orientation=orientation, gps=False, icc=False, image=img)


def make_png_alpha(path: PathLike, size: tuple[int, int] = (640, 480)) -> Path:
    """An RGBA PNG with a half-transparent shape on a clear background."""
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((10, 10, size[0] - 10, size[1] - 10), fill=(200, 30, 90, 160))
    img.save(path, "PNG")
    return Path(path)


def make_png(path: PathLike, size: tuple[int, int] = (640, 480)) -> Path:
    """An opaque RGB PNG."""
    photo_like(size).save(path, "PNG")
    return Path(path)


def make_webp(path: PathLike, size: tuple[int, int] = (640, 480)) -> Path:
    """An opaque lossy WebP."""
    photo_like(size).save(path, "WEBP", quality=80)
    return Path(path)


def make_gif_animated(path: PathLike, size: tuple[int, int] = (320, 240), frames: int = 3) -> Path:
    """An animated GIF whose first frame is pure red, later frames green then blue."""
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    images = [Image.new("RGB", size, colours[i % 3]) for i in range(frames)]
    images[0].save(path, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return Path(path)


def make_truncated_jpeg(path: PathLike, size: tuple[int, int] = (1200, 900)) -> Path:
    """A JPEG cut at 60%: the header is fine, the scan data is not whole."""
    full = Path(path).with_suffix(".full.jpg")
    make_jpeg(full, size=size, orientation=1, gps=False, icc=False)
    data = full.read_bytes()
    full.unlink()
    Path(path).write_bytes(data[: len(data) * 6 // 10])
    return Path(path)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png_bomb(path: PathLike, width: int = 30000, height: int = 30000) -> Path:
    """A tiny PNG whose (valid, CRC-checked) IHDR claims ``width`` x ``height`` RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + body + _png_chunk(b"IEND", b""))
    return Path(path)


def make_gif_bomb(path: PathLike, screen: tuple[int, int] = (60000, 60000)) -> Path:
    """A GIF with a huge logical screen and a single 1x1 frame."""
    header = b"GIF89a" + struct.pack("<HHBBB", screen[0], screen[1], 0x80, 0, 0)
    palette = b"\x00\x00\x00\xff\xff\xff"
    frame = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    Path(path).write_bytes(header + palette + frame + b";")
    return Path(path)


def make_heic(path: PathLike, size: tuple[int, int] = (640, 480)) -> Path:
    """A HEIC written by pillow-heif (raises if this build cannot encode HEVC)."""
    import pillow_heif

    pillow_heif.from_pillow(photo_like(size)).save(str(path), quality=80)
    return Path(path)


PDF_BODY = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj
"""


def make_pdf(path: PathLike) -> Path:
    """A minimal one-page PDF with a correct cross-reference table."""
    body = bytearray(PDF_BODY)
    offsets = [body.index(f"{n} 0 obj".encode()) for n in (1, 2, 3)]
    xref = len(body)
    body += b"xref\n0 4\n0000000000 65535 f \n"
    body += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    body += b"trailer << /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    Path(path).write_bytes(bytes(body))
    return Path(path)


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Training plan</w:t></w:r></w:p></w:body></w:document>"
)


def _write_zip(path: PathLike, entries: Iterable[tuple[str, str | bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return Path(path)


def make_docx(path: PathLike) -> Path:
    """A minimal valid DOCX, entries in the order Word writes them."""
    return _write_zip(
        path,
        [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", RELS),
            ("word/document.xml", DOCUMENT),
        ],
    )


def make_docx_macro(path: PathLike) -> Path:
    """A DOCX-shaped zip carrying ``word/vbaProject.bin`` (macro-enabled)."""
    return _write_zip(
        path,
        [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", RELS),
            ("word/document.xml", DOCUMENT),
            ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504),
        ],
    )


def make_docx_without_document(path: PathLike) -> Path:
    """A zip that names itself a Word document but has no ``word/document.xml``."""
    return _write_zip(path, [("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", RELS)])


def make_zip_bomb(path: PathLike, megabytes: int = 201) -> Path:
    """A DOCX-shaped zip with one entry of ``megabytes`` MB of zeros (about 200 KB on disk)."""
    chunk = b"\x00" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("word/document.xml", DOCUMENT)
        with zf.open("word/media/padding.bin", "w", force_zip64=True) as entry:
            for _ in range(megabytes):
                entry.write(chunk)
    return Path(path)


def make_zip(path: PathLike) -> Path:
    """A plain ZIP archive holding a text file."""
    return _write_zip(path, [("notes.txt", "just a zip\n" * 20)])


def make_elf(path: PathLike) -> Path:
    """The start of a 64-bit x86 ELF executable."""
    header = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + struct.pack("<HHI", 2, 0x3E, 1)
    Path(path).write_bytes(header + b"\x00" * 4000)
    return Path(path)


def make_html(path: PathLike) -> Path:
    """An HTML page with a script."""
    page = (
        "<!DOCTYPE html>\n<html><head><title>x</title></head>\n"
        "<body><script>alert(1)</script></body></html>\n"
    )
    Path(path).write_text(page)
    return Path(path)


def make_svg(path: PathLike) -> Path:
    """An SVG image carrying a script."""
    svg = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        '<script>alert(document.cookie)</script><rect width="100" height="100" fill="red"/></svg>\n'
    )
    Path(path).write_text(svg)
    return Path(path)


def make_empty(path: PathLike) -> Path:
    """A zero-byte file."""
    Path(path).write_bytes(b"")
    return Path(path)


# OLE compound file (MS-CFB) version 3: 512-byte sectors.
_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
WORD_CLSID = bytes.fromhex("0609020000000000c000000000000046")


def _dir_entry(
    name: str,
    kind: int,
    child: int = _NOSTREAM,
    right: int = _NOSTREAM,
    start: int = _END,
    size: int = 0,
) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le") if name else b""
    clsid = WORD_CLSID if kind == 5 else b"\x00" * 16
    return (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", _NOSTREAM, right, child)
        + clsid
        + struct.pack("<IQQIQ", 0, 0, 0, start, size)
    )


def make_doc(path: PathLike, macros: bool = False) -> Path:
    """A minimal OLE compound file: a 4 KiB ``WordDocument`` stream (and a ``Macros`` storage)."""
    stream_sectors = 8  # 4096 bytes: at the mini-stream cutoff, so it lives in regular sectors
    header = bytearray(512)
    header[0:8] = bytes.fromhex("d0cf11e0a1b11ae1")
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, _END, 0, _END, 0)
    struct.pack_into("<109I", header, 76, 0, *([_FREE] * 108))
    fat = [_FATSECT, _END] + [3 + i for i in range(stream_sectors - 1)] + [_END]
    fat += [_FREE] * (128 - len(fat))
    entries = [
        _dir_entry("Root Entry", 5, child=1),
        _dir_entry("WordDocument", 2, right=2 if macros else _NOSTREAM, start=2, size=4096),
        _dir_entry("Macros", 1) if macros else _dir_entry("", 0),
        _dir_entry("", 0),
    ]
    word = bytearray(4096)
    struct.pack_into("<H", word, 0, 0xA5EC)  # the FIB's wIdent of a Word 97+ document
    data = bytes(header) + struct.pack("<128I", *fat) + b"".join(entries) + bytes(word)
    Path(path).write_bytes(data)
    return Path(path)
