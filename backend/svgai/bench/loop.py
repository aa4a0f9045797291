"""The real loop a user would otherwise run per candidate: vectorize, render back, measure SSIM."""

from __future__ import annotations

from typing import Any

import numpy as np

from svgai.bench.corpus import BenchImage
from svgai.bench.timing import Figure, figure
from svgai.params import sample
from svgai.quality import convert


def real_loop(images: list[BenchImage], candidates: int, repeats: int, seed: int = 0) -> dict[str, Any]:
    """Time ``convert`` (VTracer + resvg + SSIM) for ``candidates`` parameter sets per image.

    The same space-filling parameter sets are used for every image and every repeat, so repeats
    differ only by the machine's noise.
    """
    parameter_sets = sample(candidates, method="sobol", seed=seed)
    rounds: list[list[float]] = []
    vectorize_ms: list[float] = []
    measure_ms: list[float] = []
    ssims: list[float] = []
    for _ in range(repeats):
        times = []
        for image in images:
            for params in parameter_sets:
                result = convert(image.rgb, params)
                times.append(result.vectorize_ms + result.measure_ms)
                vectorize_ms.append(result.vectorize_ms)
                measure_ms.append(result.measure_ms)
                ssims.append(result.ssim)
        rounds.append(times)
    per_candidate: Figure = figure(rounds)
    return {
        "per_candidate": per_candidate,
        "vectorize_p50_ms": float(np.median(vectorize_ms)),
        "render_and_ssim_p50_ms": float(np.median(measure_ms)),
        "candidates_per_image": candidates,
        "conversions": len(ssims),
        "mean_ssim": float(np.mean(ssims)),
    }
