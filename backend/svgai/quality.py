"""Render an SVG back to pixels with resvg and measure how close it is to the raster.

SSIM is the label defined in docs/quality.md: scikit-image's ``structural_similarity`` on float32 RGB,
``channel_axis=2``, ``data_range=255`` and the default 7×7 window, the SVG rendered at exactly the
raster's size on white.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import resvg_py
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from svgai.errors import RenderError
from svgai.images import ImageSource, load_image
from svgai.params import VTracerParams, validate
from svgai.vectorize import vectorize


def render(svg: str, width: int, height: int) -> np.ndarray:
    """Render ``svg`` at exactly ``width``×``height`` on white; return ``(H, W, 3)`` uint8."""
    try:
        png = resvg_py.svg_to_bytes(
            svg_string=svg, width=width, height=height, background="white", skip_system_fonts=True
        )
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # resvg raises ValueError; a Rust panic would be a BaseException
        raise RenderError(f"resvg could not render the SVG at {width}x{height}: {e}") from None
    rendered: Image.Image = Image.open(io.BytesIO(bytes(png)))
    if rendered.size != (width, height):
        rendered = rendered.resize((width, height))
    return np.asarray(rendered.convert("RGB"), dtype=np.uint8)


def ssim(reference: np.ndarray, candidate: np.ndarray) -> float:
    """The label's SSIM between two ``(H, W, 3)`` uint8 rasters of the same size."""
    if min(reference.shape[:2]) < 7:
        # skimage needs a 7×7 window; tiny images are compared on their exact pixels instead.
        return float(np.mean(reference == candidate))
    return float(
        structural_similarity(
            reference.astype(np.float32), candidate.astype(np.float32), channel_axis=2, data_range=255
        )
    )


def psnr(reference: np.ndarray, candidate: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB (``inf`` for identical rasters)."""
    if np.array_equal(reference, candidate):
        return math.inf
    return float(peak_signal_noise_ratio(reference, candidate, data_range=255))


def path_count(svg: str) -> int:
    """Number of ``<path`` elements VTracer wrote."""
    return svg.count("<path")


@dataclass(frozen=True)
class Conversion:
    """One real conversion: the SVG and its measured quality against the raster."""

    svg: str
    params: VTracerParams
    ssim: float
    psnr: float
    svg_bytes: int
    path_count: int
    vectorize_ms: float
    measure_ms: float

    def summary(self) -> dict[str, Any]:
        """Everything but the SVG text, JSON-ready (``psnr`` is ``None`` for a lossless result)."""
        out = asdict(self)
        del out["svg"]
        out["params"] = dict(self.params)
        if math.isinf(self.psnr):
            out["psnr"] = None
        return out


def convert(
    image: ImageSource, params: Mapping[str, Any] | None = None, *, timeout_s: float | None = None
) -> Conversion:
    """Vectorize ``image`` with ``params``, render it back and measure it (one real label)."""
    rgb = load_image(image)
    checked = validate(params)
    started = time.perf_counter()
    svg = vectorize(rgb, checked, timeout_s=timeout_s)
    traced = time.perf_counter()
    rendered = render(svg, rgb.shape[1], rgb.shape[0])
    quality = ssim(rgb, rendered)
    return Conversion(
        svg=svg,
        params=checked,
        ssim=quality,
        psnr=psnr(rgb, rendered),
        svg_bytes=len(svg.encode("utf-8")),
        path_count=path_count(svg),
        vectorize_ms=(traced - started) * 1e3,
        measure_ms=(time.perf_counter() - traced) * 1e3,
    )
