"""How one icon becomes a raster: its seeded ``Plan`` (size, aspect, margin, background, degradation)
and the wrapper SVG that places the drawing on its canvas.

Sizes are long sides of about 32–1024 px, log-uniform with most mass on 64–512; aspects are the usual
ones of logos and banners; half the canvases are transparent, the rest white or a light or dark
colour. The plan is a fixed function of the build's seed and the drawing's content, so the same
drawing under two names gets the same raster (and is deduplicated).
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import math
import re
from dataclasses import dataclass

import numpy as np
from PIL import Image

from svgai.dataset.sources import Icon
from svgai.errors import SvgaiError

ASPECTS = ((1, 1), (4, 3), (3, 2), (2, 1), (1, 2), (3, 4))
"""Canvas aspect ratios (width:height); the drawing is fitted inside and centred."""
COMMON_SIDES, ALL_SIDES, COMMON_SHARE = (64, 512), (32, 1024), 0.8
"""Long sides: ``COMMON_SHARE`` log-uniform in ``COMMON_SIDES``, the rest log-uniform in ``ALL_SIDES``."""
MARGIN = (0.04, 0.12)
"""Margin around the drawing, as a fraction of the canvas's shorter side."""
TRANSPARENT_SHARE, WHITE_SHARE = 0.5, 0.25
"""Shares of transparent and white canvases; the rest get a seeded light or dark colour."""
DEGRADED_SHARE = 0.3
"""Share of rasters given one degradation (``svgai.dataset.degrade``)."""
DEGRADATIONS = ("jpeg", "blur", "noise", "palette")
PIXEL_SCALES, PIXEL_MARGINS = (1, 8), (0, 3)
"""Pixel art: integer upscale factor and margin in grid cells (inclusive ranges)."""

_ROOT = re.compile(r"<svg\b[^>]*>", re.S)
_SIZE_ATTRIBUTE = re.compile(r"""\s(width|height|x|y)\s*=\s*("[^"]*"|'[^']*')""")


@dataclass(frozen=True)
class Plan:
    """The layout of one raster; ``key`` (hex) seeds anything else chosen for it."""

    key: str
    width: int
    height: int
    margin: float
    background: tuple[int, int, int] | None
    """``None``: transparent."""
    ink: tuple[int, int, int]
    """The colour words are set in (contrasting with the background)."""
    degradation: str | None
    grid: int = 0
    """Pixel art: the canvas side in grid cells, rendered at 1 px per cell then upscaled (0 otherwise)."""

    @property
    def canvas(self) -> tuple[int, int]:
        """The wrapper SVG's width and height (the grid for pixel art)."""
        return (self.grid, self.grid) if self.grid else (self.width, self.height)


def _hsv(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hsv_to_rgb(hue, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def _grid_side(svg: str) -> int:
    found = re.search(r'viewBox="[\d.\s-]*?([\d.]+)\s+[\d.]+"', svg)
    return max(1, round(float(found.group(1)))) if found else 24


def plan_for(icon: Icon, seed: int, max_side: int = ALL_SIDES[1]) -> Plan:
    """The seeded plan of ``icon``'s raster, its long side at most ``max_side`` (raster-origin images keep theirs).

    Every random draw happens in the same order for every kind.
    """
    digest = hashlib.sha256(f"{seed}:{icon.kind}:".encode() + icon.content).hexdigest()
    rng = np.random.default_rng(int(digest[:16], 16))
    low, high = COMMON_SIDES if rng.random() < COMMON_SHARE else ALL_SIDES
    long_side = min(max_side, round(math.exp(rng.uniform(math.log(low), math.log(high)))))
    aspect_w, aspect_h = ASPECTS[rng.integers(len(ASPECTS))]
    margin = float(rng.uniform(*MARGIN))
    ground, hue, light = rng.random(), rng.random(), rng.random() < 0.5
    background: tuple[int, int, int] | None = None
    if ground >= TRANSPARENT_SHARE + WHITE_SHARE:
        background = _hsv(hue, rng.uniform(0.05, 0.3), rng.uniform(0.85, 1.0)) if light else _hsv(
            hue, rng.uniform(0.2, 0.7), rng.uniform(0.08, 0.3))
    elif ground >= TRANSPARENT_SHARE:
        background = (255, 255, 255)
    dark_ground = background is not None and not light and ground >= TRANSPARENT_SHARE + WHITE_SHARE
    ink = _hsv(rng.random(), rng.uniform(0.0, 0.4), rng.uniform(0.85, 1.0)) if dark_ground else _hsv(
        rng.random(), rng.uniform(0.4, 0.95), rng.uniform(0.1, 0.7))
    degraded, pick = rng.random() < DEGRADED_SHARE, rng.random()
    allowed = DEGRADATIONS if background is not None else tuple(d for d in DEGRADATIONS if d != "jpeg")
    degradation = allowed[int(pick * len(allowed))] if degraded else None
    scale, cells = int(rng.integers(PIXEL_SCALES[0], PIXEL_SCALES[1] + 1)), int(rng.integers(PIXEL_MARGINS[0], PIXEL_MARGINS[1] + 1))
    if icon.kind == "pixel":
        assert icon.svg is not None
        grid = _grid_side(icon.svg) + 2 * cells
        scale = max(1, min(scale, max_side // grid))
        return Plan(digest, grid * scale, grid * scale, cells / grid, background, ink, degradation, grid)
    if icon.kind == "raster":
        assert icon.png is not None
        with Image.open(io.BytesIO(icon.png)) as image:
            width, height = image.size
        return Plan(digest, width, height, 0.0, background, ink, degradation)
    scale_w, scale_h = aspect_w / max(aspect_w, aspect_h), aspect_h / max(aspect_w, aspect_h)
    width, height = max(8, round(long_side * scale_w)), max(8, round(long_side * scale_h))
    return Plan(digest, width, height, margin, background, ink, degradation)


def wrap(svg: str, plan: Plan) -> str:
    """An SVG of ``plan.canvas`` size: the background, then ``svg`` fitted inside the margin and centred.

    The original's root element becomes a nested ``<svg>`` (its ``viewBox`` kept; one is made from
    its width and height when missing), so the wrapper rendered at any size is the same drawing.
    """
    root = _ROOT.search(svg)
    if root is None:
        raise SvgaiError("not an SVG: no <svg> element")
    attributes = root.group(0)[4:].rstrip(">").rstrip("/")
    if "viewBox" not in attributes:
        sizes = {m.group(1): m.group(2) for m in _SIZE_ATTRIBUTE.finditer(attributes)}
        try:
            box = [float(re.sub(r"[^\d.]", "", sizes[k].strip("\"'"))) for k in ("width", "height")]
        except (KeyError, ValueError):
            raise SvgaiError("the SVG has neither a viewBox nor a numeric width and height") from None
        attributes += f' viewBox="0 0 {box[0]:g} {box[1]:g}"'
    attributes = _SIZE_ATTRIBUTE.sub("", attributes)
    width, height = plan.canvas
    margin = round(plan.margin * min(width, height))
    nested = (f'<svg x="{margin}" y="{margin}" width="{width - 2 * margin}" height="{height - 2 * margin}"'
              f"{attributes}>")
    end = svg.rfind("</svg>")
    body = svg[root.end():end] if end > root.end() else ""
    ground = "" if plan.background is None else (
        f'<rect width="{width}" height="{height}" fill="#{"".join(f"{c:02x}" for c in plan.background)}"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">{ground}{nested}{body}</svg></svg>')
