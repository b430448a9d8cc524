"""People-like silhouettes in the three progress-photo poses, drawn with Pillow (demo data).

Pure: no gymhub imports, no I/O; a pose and a build in, JPEG bytes out.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

POSES = ("front", "side", "back")
SIZE = (600, 900)
SKIN = (200, 150, 120)
SHADE = (150, 105, 85)
HAIR = (60, 40, 30)
CLOTHES = (40, 70, 120)


def _front_or_back(draw: ImageDraw.ImageDraw, girth: float, back: bool) -> None:
    cx = SIZE[0] / 2
    half = 70 * girth
    draw.ellipse((cx - 48, 70, cx + 48, 180), fill=HAIR if back else SKIN)
    if not back:
        draw.arc((cx - 48, 60, cx + 48, 150), 180, 360, fill=HAIR, width=18)
    draw.rectangle((cx - 18, 170, cx + 18, 205), fill=SKIN)
    torso = [(cx - half - 25, 210), (cx + half + 25, 210), (cx + half, 470), (cx - half, 470)]
    draw.polygon(torso, fill=SHADE if back else SKIN)
    for side in (-1, 1):
        shoulder = cx + side * (half + 25)
        draw.line((shoulder, 220, shoulder + side * 40, 460), fill=SKIN, width=int(34 * girth))
        draw.line((cx + side * 35, 480, cx + side * 45, 840), fill=SKIN, width=int(50 * girth))
    draw.rectangle((cx - half, 440, cx + half, 540), fill=CLOTHES)


def _side(draw: ImageDraw.ImageDraw, girth: float) -> None:
    cx = SIZE[0] / 2
    depth = 45 * girth
    draw.ellipse((cx - 42, 70, cx + 42, 180), fill=SKIN)
    draw.pieslice((cx - 48, 60, cx + 40, 170), 180, 300, fill=HAIR)
    draw.polygon([(cx + 40, 120), (cx + 56, 138), (cx + 40, 145)], fill=SKIN)  # the nose
    draw.rectangle((cx - 15, 170, cx + 15, 205), fill=SKIN)
    belly = [(cx - depth, 210), (cx + depth, 210), (cx + depth * 1.2, 380), (cx + depth, 470)]
    draw.polygon([*belly, (cx - depth, 470)], fill=SKIN)
    draw.line((cx, 225, cx + 10, 460), fill=SHADE, width=int(32 * girth))
    draw.line((cx, 480, cx + 5, 840), fill=SKIN, width=int(60 * girth))
    draw.rectangle((cx - depth, 440, cx + depth, 540), fill=CLOTHES)


def silhouette(pose: str, girth: float = 1.0, tint: int = 0) -> bytes:
    """A JPEG of a standing figure seen from the front, the side or the back; `girth` widens
    the figure (1.0 is average), `tint` shifts the background so photos differ."""
    if pose not in POSES:
        raise ValueError(f"not a pose: {pose}")
    img = Image.new("RGB", SIZE, (232 - tint % 30, 228, 220 + tint % 20))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 850, SIZE[0], SIZE[1]), fill=(180, 170, 160))  # the floor
    if pose == "side":
        _side(draw, girth)
    else:
        _front_or_back(draw, girth, back=pose == "back")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()
