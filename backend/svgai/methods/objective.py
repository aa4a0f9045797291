"""The router's objective, shared by every method that ranks candidates.

Among candidates whose SVG is at most ``max_bytes_ratio`` times the size of VTracer's defaults for
the image (all candidates if none is): the smallest SVG that reaches the target SSIM; if none
reaches it (or there is no target), the highest SSIM. Works on predicted and on measured values.
"""

from __future__ import annotations

import numpy as np

from svgai.hookspecs import Constraints


def rank(
    ssim: np.ndarray, svg_bytes: np.ndarray, constraints: Constraints, reference_bytes: float | None
) -> np.ndarray:
    """Indices of the candidates, best first, by the objective above (NaN SSIM goes last)."""
    ssim = np.asarray(ssim, dtype=np.float64)
    svg_bytes = np.asarray(svg_bytes, dtype=np.float64)
    finite = np.isfinite(ssim)
    allowed = finite.copy()
    if constraints.max_bytes_ratio is not None and reference_bytes is not None and np.isfinite(reference_bytes):
        # a candidate without a size prediction cannot break the size preference
        allowed &= ~(svg_bytes > constraints.max_bytes_ratio * reference_bytes)
        if not allowed.any():
            allowed = finite.copy()
    reached = allowed & (ssim >= constraints.target_ssim) if constraints.target_ssim is not None else allowed & False
    tiers = np.where(reached, 0, np.where(allowed, 1, np.where(finite, 2, 3)))
    # within tier 0 smaller files first; elsewhere higher SSIM first
    within = np.where(reached, svg_bytes, -np.nan_to_num(ssim, nan=-np.inf))
    return np.lexsort((within, tiers))
