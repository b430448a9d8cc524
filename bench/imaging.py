"""Benchmark: a 12 MP phone JPEG into three variants, ours against naive and a full decode.

Usage: python bench/imaging.py [--runs N]

The naive pipeline resizes each variant from the full image with Lanczos, as the goal says;
``Image.thumbnail()`` would box-reduce first (its ``reducing_gap``), so it is timed beside it for
reference only. Prints the median ms per image of each pipeline, the two ratios with their goals
(>= 4x faster than naive, <= 2.2x a plain full decode), and the PSNR of each of our variants
against exact resizing (full decode, EXIF transpose, Lanczos straight to the variant's size),
goal >= 40 dB. The PSNR goal is on the variants' pixels as our pipeline makes them; the PSNR of
the written JPEG files, which also counts the encoder's quality-85 loss, is printed for
information.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from PIL import Image, ImageChops, ImageOps, ImageStat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gymhub.imaging import IMAGE_MIMES, process_image  # noqa: E402
from gymhub.imaging.images import JPEG_QUALITY, VARIANTS, cascade, decode, fit  # noqa: E402

MAX_PIXELS = 50_000_000
GOAL_VS_NAIVE = 4.0
GOAL_VS_DECODE = 2.2
GOAL_PSNR = 40.0


def load_samples() -> ModuleType:
    """tests/imaging_samples.py, loaded by path so the bench needs no test package on sys.path."""
    spec = importlib.util.spec_from_file_location(
        "imaging_samples", ROOT / "tests" / "imaging_samples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def naive_upright(path: str) -> Image.Image:
    """What one writes first: verify, reopen, decode every pixel, rotate."""
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        img.load()
        return ImageOps.exif_transpose(img)


def naive(path: str, out_dir: str) -> None:
    """The naive pipeline: each variant resized from the full upright image with Lanczos."""
    upright = naive_upright(path)
    for name, box in VARIANTS:
        variant = upright.resize(fit(upright.size, box), Image.Resampling.LANCZOS)
        variant.save(os.path.join(out_dir, f"naive_{name}.jpg"), "JPEG", quality=JPEG_QUALITY)


def naive_thumbnail(path: str, out_dir: str) -> None:
    """The naive pipeline with ``thumbnail()``, which box-reduces before its Lanczos."""
    upright = naive_upright(path)
    for name, box in VARIANTS:
        variant = upright.copy()
        variant.thumbnail(box, Image.Resampling.LANCZOS)
        variant.save(os.path.join(out_dir, f"naivet_{name}.jpg"), "JPEG", quality=JPEG_QUALITY)


def ours(path: str, out_dir: str) -> None:
    """The production pipeline."""
    process_image(path, out_dir, "ours", MAX_PIXELS, IMAGE_MIMES)


def full_decode(path: str, out_dir: str) -> None:
    """The floor: decoding every pixel once and nothing else."""
    with Image.open(path) as img:
        img.load()


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio over all RGB samples, in dB (no numpy needed)."""
    stat = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB")))
    mse = sum(stat.sum2) / (3 * a.width * a.height)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per pipeline (default 7)")
    args = parser.parse_args()
    samples = load_samples()
    tmp = tempfile.mkdtemp(prefix="gymhub-bench-")
    try:
        path = os.path.join(tmp, "phone.jpg")
        samples.make_jpeg(path, size=(4032, 3024), orientation=6, gps=True, quality=90)
        print(f"input: 4032x3024 JPEG, EXIF orientation 6, {os.path.getsize(path) / 1e6:.2f} MB")
        pipelines: dict[str, Callable[[str, str], None]] = {
            "ours": ours,
            "naive": naive,
            "thumbnail()": naive_thumbnail,
            "full decode": full_decode,
        }
        times: dict[str, list[float]] = {name: [] for name in pipelines}
        for fn in pipelines.values():
            fn(path, tmp)  # warm-up: imports, libmagic's database, page cache
        # Interleaved, so a noisy neighbour slows every pipeline alike.
        for _ in range(args.runs):
            for name, fn in pipelines.items():
                start = time.perf_counter()
                fn(path, tmp)
                times[name].append((time.perf_counter() - start) * 1000)
        median = {name: statistics.median(ts) for name, ts in times.items()}
        for name, ms in median.items():
            fastest = min(times[name])
            print(f"{name:>12}: {ms:7.1f} ms/image (median of {args.runs}, min {fastest:.1f})")
        vs_naive = median["naive"] / median["ours"]
        vs_decode = median["ours"] / median["full decode"]
        ok_naive, ok_decode = vs_naive >= GOAL_VS_NAIVE, vs_decode <= GOAL_VS_DECODE
        print(f"naive / ours = {vs_naive:5.2f}x  goal >= {GOAL_VS_NAIVE:g}x   {verdict(ok_naive)}")
        print(
            f"  (naive with thumbnail(), which box-reduces first: "
            f"{median['thumbnail()'] / median['ours']:.2f}x, for reference)"
        )
        print(
            f"ours / decode = {vs_decode:5.2f}x  goal <= {GOAL_VS_DECODE:g}x  {verdict(ok_decode)}"
        )

        with Image.open(path) as img:
            img.load()
            exact_source = ImageOps.exif_transpose(img)
        result = process_image(path, tmp, "psnr", MAX_PIXELS, IMAGE_MIMES)
        for name, pixels in cascade(decode(path, "JPEG", MAX_PIXELS)):
            exact = exact_source.resize(pixels.size, Image.Resampling.LANCZOS)
            db = psnr(pixels, exact)
            with Image.open(result["variants"][name]["path"]) as written:
                file_db = psnr(written, exact)
            size = f"{pixels.width}x{pixels.height}"
            print(
                f"PSNR {name:>9} {size:>9}: {db:5.1f} dB  goal >= {GOAL_PSNR:g} dB  "
                f"{verdict(db >= GOAL_PSNR)}  (as written, JPEG q{JPEG_QUALITY}: {file_db:4.1f} dB)"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
