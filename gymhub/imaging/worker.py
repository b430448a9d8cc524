"""Initializer of the process pool that runs the imaging functions."""

from __future__ import annotations

import os
import warnings

from PIL import Image, ImageFile

from .images import ensure_heif

# The API's default limit; process_image applies the configured one per call.
DEFAULT_MAX_PIXELS = 50_000_000


def init_worker(nice: int = 0) -> None:
    """Prepare a pool process: HEIF opener, lower priority, Pillow's bomb and truncation guards."""
    ensure_heif()
    if nice > 0:
        # A busy worker must not starve the event loop's process of the shared cores.
        os.nice(nice)
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS
    ImageFile.LOAD_TRUNCATED_IMAGES = False
