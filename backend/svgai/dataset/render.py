"""Icons to rasters as users' files look: many sizes and aspects, transparent or opaque, some degraded.

Each icon gets a ``Plan`` fixed by the build's seed and the drawing's content (``svgai.dataset.canvas``):
its size, aspect, margin, background and degradation. A vector icon's canvas is itself an SVG that
wraps the original (``wrap``), so the same wrapper rendered at the comparison size is the ground-truth
reference; pixel art is rendered on its grid and upscaled nearest-neighbour; words are set with PIL at
both sizes; raster-origin PNGs have no reference (they are judged against the proxy). The reference is
always the clean drawing, also when the raster was degraded.

The image id is the hex SHA-256 of the raster's RGBA pixels and shape, so two icons that render to
the same pixels are one image. The split is a fixed function of that id (80/10/10 train/val/test),
or "heldout" for every image of a held-out source.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from svgai.dataset.canvas import ALL_SIDES, Plan, plan_for, wrap
from svgai.dataset.degrade import degrade
from svgai.dataset.sources import Icon
from svgai.errors import SvgaiError
from svgai.images import is_opaque, load_rgba
from svgai.log import get_logger
from svgai.quality import comparison_size, render

BLANK_LEVEL = 8
"""A pixel counts as drawn when some RGBA channel differs from the background by more than this."""
BLANK_FRACTION = 0.002
"""Rasters with fewer drawn pixels than this fraction are blank (e.g. white-on-white icons)."""
PNG_LEVEL = 6
"""zlib level of the stored PNGs (rasters and references)."""

log = get_logger("dataset.render")


@dataclass(frozen=True)
class RenderedIcon:
    """An icon rendered to one raster, with its ground-truth reference at the comparison size."""

    image_id: str
    source: str
    name: str
    license: str
    kind: str
    split: str
    png: bytes
    """The raster as a user's file: PNG (RGB, RGBA or palette), degraded when ``degradation`` says so."""
    width: int
    height: int
    has_alpha: bool
    degradation: str | None
    original_svg: str | None
    """The wrapper SVG drawn into the raster (``None`` for words and raster-origin images)."""
    reference_png: bytes | None
    """The clean drawing at ``svgai.quality.comparison_size`` (``None``: judged against the proxy)."""


@dataclass(frozen=True)
class Drawn:
    """A clean raster, its reference at the comparison size (or ``None``) and the wrapper SVG."""

    raster: np.ndarray
    reference: np.ndarray | None
    original_svg: str | None


def encode(pixels: np.ndarray | Image.Image) -> bytes:
    """PNG bytes of an ``(H, W, 3|4)`` uint8 array or a PIL image (RGBA kept only where it has alpha)."""
    image = pixels if isinstance(pixels, Image.Image) else Image.fromarray(
        pixels if pixels.shape[2] == 3 or not is_opaque(pixels) else pixels[..., :3]
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_LEVEL)
    return buffer.getvalue()


def _nearest(image: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.NEAREST))


def _background(plan: Plan, width: int, height: int) -> np.ndarray:
    canvas = np.zeros((height, width, 4), dtype=np.uint8)
    if plan.background is not None:
        canvas[...] = (*plan.background, 255)
    return canvas


def _words(icon: Icon, plan: Plan, width: int, height: int) -> np.ndarray:
    """``icon.text`` in ``icon.font``, fitted inside the margin and centred, anti-aliased by FreeType."""
    assert icon.text is not None and icon.font is not None
    margin = plan.margin * min(width, height)
    probe = ImageFont.truetype(io.BytesIO(icon.font), 100, layout_engine=ImageFont.Layout.BASIC)
    left, top, right, bottom = probe.getbbox(icon.text)
    room_w, room_h = width - 2 * margin, height - 2 * margin
    size = 100 * min(room_w / max(right - left, 1), room_h / max(bottom - top, 1))
    font = ImageFont.truetype(io.BytesIO(icon.font), size, layout_engine=ImageFont.Layout.BASIC)
    left, top, right, bottom = font.getbbox(icon.text)
    mask = Image.new("L", (width, height), 0)
    origin = ((width - (right - left)) / 2 - left, (height - (bottom - top)) / 2 - top)
    ImageDraw.Draw(mask).text(origin, icon.text, fill=255, font=font)
    ink = Image.new("RGBA", (width, height), (*plan.ink, 255))
    ink.putalpha(mask)
    canvas = Image.fromarray(_background(plan, width, height))
    return np.asarray(Image.alpha_composite(canvas, ink))


def draw(icon: Icon, plan: Plan) -> Drawn:
    """The clean raster of ``icon`` laid out by ``plan`` and its ground-truth reference."""
    w, h, _ = comparison_size(plan.width, plan.height)
    if icon.kind == "text":
        return Drawn(_words(icon, plan, plan.width, plan.height), _words(icon, plan, w, h), None)
    if icon.kind == "raster":
        assert icon.png is not None
        emoji = Image.fromarray(load_rgba(icon.png))
        canvas = Image.fromarray(_background(plan, emoji.width, emoji.height))
        return Drawn(np.asarray(Image.alpha_composite(canvas, emoji)), None, None)
    assert icon.svg is not None
    wrapper = wrap(icon.svg, plan)
    if icon.kind == "pixel":
        grid = render(wrapper, plan.grid, plan.grid)
        return Drawn(_nearest(grid, plan.width, plan.height), _nearest(grid, w, h), wrapper)
    return Drawn(render(wrapper, plan.width, plan.height), render(wrapper, w, h), wrapper)


def is_blank(raster: np.ndarray, plan: Plan) -> bool:
    """True when almost nothing differs from the bare background (fewer than ``BLANK_FRACTION`` pixels)."""
    height, width = raster.shape[:2]
    differs = np.abs(raster.astype(np.int16) - _background(plan, width, height)).max(axis=2) > BLANK_LEVEL
    return bool(np.count_nonzero(differs) < BLANK_FRACTION * width * height)


def image_id(rgba: np.ndarray) -> str:
    """Hex SHA-256 of the raster's shape and RGBA pixel bytes (the image's identity)."""
    digest = hashlib.sha256(f"{rgba.shape[1]}x{rgba.shape[0]}:".encode())
    digest.update(np.ascontiguousarray(rgba, dtype=np.uint8).tobytes())
    return digest.hexdigest()


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


def render_icon(icon: Icon, seed: int, holdout: Collection[str] = (), max_side: int = ALL_SIDES[1]) -> RenderedIcon | str:
    """``icon`` as a dataset image, or why not (``"failed"`` or ``"blank"``)."""
    plan = plan_for(icon, seed, max_side)
    try:
        drawn = draw(icon, plan)
    except (SvgaiError, OSError, ValueError) as e:  # a broken icon must not stop the build
        log.info("icon_unrenderable", source=icon.source, name=icon.name, error=str(e)[:200])
        return "failed"
    if is_blank(drawn.raster, plan):
        return "blank"
    png = degrade(drawn.raster, plan.degradation, plan.key) if plan.degradation else encode(drawn.raster)
    raster = load_rgba(png)
    key = image_id(raster)
    return RenderedIcon(
        image_id=key,
        source=icon.source,
        name=icon.name,
        license=icon.license,
        kind=icon.kind,
        split="heldout" if icon.source in holdout else split_of(key),
        png=png,
        width=raster.shape[1],
        height=raster.shape[0],
        has_alpha=not is_opaque(raster),
        degradation=plan.degradation,
        original_svg=drawn.original_svg,
        reference_png=None if drawn.reference is None else encode(drawn.reference),
    )


def render_unique(
    icons: Iterable[Icon], counts: RenderCounts, *, seed: int = 0, holdout: Collection[str] = (),
    max_side: int = ALL_SIDES[1], seen: set[str] | None = None,
) -> Iterator[RenderedIcon]:
    """Render ``icons`` in order, skipping failures, blanks and images already in ``seen``."""
    seen = set() if seen is None else seen
    for icon in icons:
        done = render_icon(icon, seed, holdout, max_side)
        if isinstance(done, str):
            setattr(counts, done, getattr(counts, done) + 1)
            continue
        if done.image_id in seen:
            counts.duplicate += 1
            continue
        seen.add(done.image_id)
        counts.rendered += 1
        yield done
