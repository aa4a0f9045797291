"""The router's objective, shared by every method that ranks candidates and by the fitting commands.

Candidates whose SVG is more than ``max_bytes_ratio`` times the size of VTracer's defaults for the
image are not allowed (all are, if none is within it). Among the allowed ones:

* with a target quality: the smallest SVG that reaches it; if none does, the best value below;
* otherwise the highest *value* ``quality - ssim_per_kb * (bytes - reference_bytes) / 1000
  - quality_per_trace * (trace_work - 1)`` — the quality (docs/quality.md) with a price on size, so an
  extra kilobyte over the defaults' SVG must buy ``ssim_per_kb`` of quality (and a smaller SVG earns as
  much), and a price on time: tracing an enlargement (``upscale``) makes VTracer trace ``trace_work``
  times the raster's pixels (f² for an enlargement by f, ``trace_work``), and its time grows with them,
  so each extra raster's worth of traced pixels must buy ``quality_per_trace``. A single price for every
  image spends bytes and time where they buy the most quality, which a per-image cap cannot do.

Works on predicted and on measured values alike; a candidate without a size (NaN bytes) pays no size
price, and without ``trace_work`` no time price.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from svgai.hookspecs import Constraints
from svgai.vectorize import enlargement


def trace_work(params: Sequence[Mapping[str, Any]], width: int, height: int) -> np.ndarray:
    """Pixels VTracer traces for each parameter set, in units of the ``width``×``height`` raster's own: the
    square of its real enlargement (``svgai.vectorize.enlargement``; 1 for VTracer's defaults)."""
    return enlargement([p.get("upscale", 1) for p in params], width, height) ** 2


def value(quality: np.ndarray, svg_bytes: np.ndarray, constraints: Constraints, reference_bytes: float | None,
          work: np.ndarray | None = None) -> np.ndarray:
    """Quality minus the price of the bytes over (plus the credit for bytes under) the reference, minus the
    price of the tracing ``work`` (``trace_work``) beyond the raster's own pixels."""
    quality = np.asarray(quality, dtype=np.float64)
    if constraints.quality_per_trace and work is not None:
        quality = quality - constraints.quality_per_trace * (np.asarray(work, dtype=np.float64) - 1.0)
    if not constraints.ssim_per_kb or reference_bytes is None or not np.isfinite(reference_bytes):
        return quality
    extra_kb = (np.asarray(svg_bytes, dtype=np.float64) - reference_bytes) / 1000.0
    return quality - constraints.ssim_per_kb * np.nan_to_num(extra_kb, nan=0.0)


def rank(
    quality: np.ndarray, svg_bytes: np.ndarray, constraints: Constraints, reference_bytes: float | None,
    work: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of the candidates, best first, by the objective above (NaN quality goes last)."""
    quality = np.asarray(quality, dtype=np.float64)
    svg_bytes = np.asarray(svg_bytes, dtype=np.float64)
    finite = np.isfinite(quality)
    allowed = finite.copy()
    if constraints.max_bytes_ratio is not None and reference_bytes is not None and np.isfinite(reference_bytes):
        # a candidate without a size prediction cannot break the size cap
        allowed &= ~(svg_bytes > constraints.max_bytes_ratio * reference_bytes)
        if not allowed.any():
            allowed = finite.copy()
    reached = allowed & (quality >= constraints.target_ssim) if constraints.target_ssim is not None else allowed & False
    tiers = np.where(reached, 0, np.where(allowed, 1, np.where(finite, 2, 3)))
    # within tier 0 smaller files first; elsewhere higher value first
    scores = value(quality, svg_bytes, constraints, reference_bytes, work)
    within = np.where(reached, svg_bytes, -np.nan_to_num(scores, nan=-np.inf))
    return np.lexsort((within, tiers))
