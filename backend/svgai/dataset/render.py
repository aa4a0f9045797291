"""Icons to the label's raster: 256×256 RGB on white, aspect kept, centred; blanks and duplicates dropped.

The image id is the hex SHA-256 of the raster's RGB bytes, so two icons that render to the same
pixels are one image. The split is a fixed function of that id (80/10/10 train/val/test).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import resvg_py
from PIL import Image

from svgai.dataset.sources import Icon
from svgai.images import encode_png, load_image
from svgai.log import get_logger

SIZE = 256
BLANK_LEVEL = 8
"""A pixel counts as drawn when some channel is more than this many levels below white."""
BLANK_FRACTION = 0.002
"""Rasters with fewer drawn pixels than this fraction (131 of 65,536) are blank (white-on-white icons)."""

log = get_logger("dataset.render")


@dataclass(frozen=True)
class RenderedIcon:
    """An icon rendered to the label's raster."""

    image_id: str
    source: str
    name: str
    license: str
    split: str
    png: bytes


def rasterize(svg: str, size: int = SIZE) -> np.ndarray | None:
    """Render ``svg`` to ``(size, size, 3)`` uint8 on white, fitted and centred; ``None`` if resvg fails."""
    try:
        data = resvg_py.svg_to_bytes(
            svg_string=svg, width=size, height=size, background="white", skip_system_fonts=True
        )
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # a broken icon must not stop the build; resvg raises ValueError
        log.info("icon_unrenderable", error=str(e)[:200])
        return None
    with Image.open(io.BytesIO(bytes(data))) as rendered:
        # resvg fits the drawing into size×size keeping its aspect; centre it on a white square.
        canvas = Image.new("RGB", (size, size), "white")
        fitted = Image.fromarray(load_image(rendered))
        canvas.paste(fitted, ((size - fitted.width) // 2, (size - fitted.height) // 2))
    return np.asarray(canvas, dtype=np.uint8)


def is_blank(rgb: np.ndarray) -> bool:
    """True when almost nothing is drawn: fewer than ``BLANK_FRACTION`` of pixels differ from white."""
    drawn = np.count_nonzero((255 - rgb.min(axis=2)) > BLANK_LEVEL)
    return bool(drawn < BLANK_FRACTION * rgb.shape[0] * rgb.shape[1])


def image_id(rgb: np.ndarray) -> str:
    """Hex SHA-256 of the raster's RGB pixel bytes (the image's identity)."""
    return hashlib.sha256(np.ascontiguousarray(rgb, dtype=np.uint8).tobytes()).hexdigest()


def split_of(image_hash: str) -> str:
    """The image's split, fixed by its id: 80 % train, 10 % val, 10 % test."""
    bucket = int(image_hash[:8], 16) % 10
    return "train" if bucket < 8 else "val" if bucket == 8 else "test"


@dataclass
class RenderCounts:
    """What happened to the icons offered to ``render_unique``."""

    rendered: int = 0
    blank: int = 0
    duplicate: int = 0
    failed: int = 0


def render_unique(icons: Iterable[Icon], counts: RenderCounts, seen: set[str] | None = None) -> Iterator[RenderedIcon]:
    """Render ``icons`` in order, skipping failures, blanks and images already in ``seen``."""
    seen = set() if seen is None else seen
    for icon in icons:
        rgb = rasterize(icon.svg)
        if rgb is None:
            counts.failed += 1
            continue
        if is_blank(rgb):
            counts.blank += 1
            continue
        key = image_id(rgb)
        if key in seen:
            counts.duplicate += 1
            continue
        seen.add(key)
        counts.rendered += 1
        yield RenderedIcon(key, icon.source, icon.name, icon.license, split_of(key), encode_png(rgb))
