"""What the quality predictor sees of an image: one numpy function used at training and at run time.

``prepare(image)`` turns any RGB or RGBA raster into the encoder's input: the image composited over
white, padded to a centred square, resized to ``IMAGE_SIZE`` with Pillow's bilinear filter, as
``(3, IMAGE_SIZE, IMAGE_SIZE)`` float32 in [0, 1]; plus ``FEATURE_NAMES`` — cheap hand-made
statistics of the same resized raster that tell VTracer's difficulty at a glance (how many colours,
how much anti-aliasing, how many edges), and what the resize hides: the raster's native size, its
aspect ratio and how much of it is transparent. Training (``svgai.training.data``) and the runtime
predictor both call ``describe``, so they cannot drift apart.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from PIL import Image

from svgai.images import over_white

IMAGE_SIZE = 128
"""Side of the square raster the encoder sees."""

FEATURE_NAMES: tuple[str, ...] = (
    "ink_fraction",
    "log_colours",
    "log_colours_99",
    "top_colour_share",
    "off_palette_fraction",
    "edge_density",
    "mean_gradient",
    "gray_entropy",
    "gray_mean",
    "gray_std",
    "mean_saturation",
    "log_long_side",
    "log_aspect",
    "alpha_fraction",
)
"""Hand-made image features, in the order ``describe`` returns them (each roughly in [-1, 1])."""

FEATURE_DIM = len(FEATURE_NAMES)
_GRAY = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_EDGE_STEP = 32.0
_PALETTE = 8


class Prepared(NamedTuple):
    """The encoder's two inputs for one image."""

    pixels: np.ndarray
    """``(3, IMAGE_SIZE, IMAGE_SIZE)`` float32 in [0, 1]."""
    features: np.ndarray
    """``(FEATURE_DIM,)`` float32, ``FEATURE_NAMES`` order."""


def square_on_white(rgb: np.ndarray) -> np.ndarray:
    """Pad an ``(H, W, 3)`` uint8 raster to a centred square on white, resized to ``IMAGE_SIZE``."""
    height, width = rgb.shape[:2]
    side = max(height, width)
    if height != width:
        canvas = np.full((side, side, 3), 255, dtype=np.uint8)
        top, left = (side - height) // 2, (side - width) // 2
        canvas[top : top + height, left : left + width] = rgb
        rgb = canvas
    if side != IMAGE_SIZE:
        rgb = np.asarray(Image.fromarray(rgb).resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR))
    return np.ascontiguousarray(rgb, dtype=np.uint8)


def image_features(small: np.ndarray) -> np.ndarray:
    """The ``FEATURE_NAMES`` statistics of an ``(IMAGE_SIZE, IMAGE_SIZE, 3)`` uint8 raster."""
    pixels = small.reshape(-1, 3)
    n = float(pixels.shape[0])
    packed = (pixels[:, 0].astype(np.int32) << 16) | (pixels[:, 1].astype(np.int32) << 8) | pixels[:, 2]
    _, counts = np.unique(packed, return_counts=True)
    counts = np.sort(counts)[::-1]
    covered = np.cumsum(counts) / n
    red, green, blue = (small[:, :, i].astype(np.float32) for i in range(3))
    gray = red * _GRAY[0] + green * _GRAY[1] + blue * _GRAY[2]
    colours_99 = int(np.searchsorted(covered, 0.99)) + 1
    gx = np.abs(np.diff(gray, axis=1))[:-1, :]
    gy = np.abs(np.diff(gray, axis=0))[:, :-1]
    gradient = np.hypot(gx, gy)
    histogram = np.bincount(gray.astype(np.uint8).ravel(), minlength=256) / n
    nonzero = histogram[histogram > 0]
    high = np.maximum(np.maximum(red, green), blue)
    low = np.minimum(np.minimum(red, green), blue)
    saturation = (high - low) / np.maximum(high, 1.0)
    values = (
        float(np.mean(low < 250)),
        float(np.log1p(counts.size) / np.log1p(n)),
        float(np.log1p(colours_99) / np.log1p(n)),
        float(counts[0] / n),
        float(1.0 - counts[:_PALETTE].sum() / n),
        float(np.mean(gradient > _EDGE_STEP)),
        float(gradient.mean() / 255.0),
        float(-(nonzero * np.log2(nonzero)).sum() / 8.0),
        float(gray.mean() / 255.0),
        float(gray.std() / 128.0),
        float(saturation.mean()),
    )
    return np.asarray(values, dtype=np.float32)


def raster_features(image: np.ndarray) -> np.ndarray:
    """What resizing hides: log2 of the long side / 10, log2 of width / height / 2, transparent share."""
    height, width = image.shape[:2]
    transparent = float(np.mean(image[..., 3] < 255)) if image.shape[2] == 4 else 0.0
    aspect = float(np.clip(np.log2(width / height), -2.0, 2.0)) / 2.0
    return np.asarray((np.log2(max(height, width)) / 10.0, aspect, transparent), dtype=np.float32)


def describe(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(small, features)``: the square ``(IMAGE_SIZE, IMAGE_SIZE, 3)`` uint8 raster and ``FEATURE_NAMES``.

    ``image`` is ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA uint8 (``svgai.images.load_rgba``).
    """
    rgb = over_white(image) if image.shape[2] == 4 else image
    small = square_on_white(rgb)
    return small, np.concatenate([image_features(small), raster_features(image)])


def prepare(image: np.ndarray) -> Prepared:
    """The encoder inputs for an RGB or RGBA uint8 raster (see ``describe``)."""
    small, features = describe(image)
    pixels = np.ascontiguousarray(small.transpose(2, 0, 1), dtype=np.float32) / np.float32(255.0)
    return Prepared(pixels=pixels, features=features)
