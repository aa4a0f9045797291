"""The real loop a user would otherwise run per candidate: vectorize, render back, measure quality."""

from __future__ import annotations

from typing import Any

import numpy as np

from svgai.bench.corpus import BenchImage
from svgai.bench.timing import Figure, figure
from svgai.params import sample
from svgai.quality import convert


def real_loop(images: list[BenchImage], candidates: int, repeats: int, seed: int = 0) -> dict[str, Any]:
    """Time ``convert`` (VTracer + resvg + the quality measure, docs/quality.md) for ``candidates`` parameter sets per image.

    The same space-filling parameter sets are used for every image and every repeat, so repeats
    differ only by the machine's noise.
    """
    parameter_sets = sample(candidates, method="sobol", seed=seed)
    rounds: list[list[float]] = []
    vectorize_ms: list[float] = []
    measure_ms: list[float] = []
    qualities: list[float] = []
    for _ in range(repeats):
        times = []
        for image in images:
            for params in parameter_sets:
                result = convert(image.rgb, params)
                times.append(result.vectorize_ms + result.measure_ms)
                vectorize_ms.append(result.vectorize_ms)
                measure_ms.append(result.measure_ms)
                qualities.append(result.quality)
        rounds.append(times)
    per_candidate: Figure = figure(rounds)
    return {
        "per_candidate": per_candidate,
        "vectorize_p50_ms": float(np.median(vectorize_ms)),
        "render_and_measure_p50_ms": float(np.median(measure_ms)),
        "candidates_per_image": candidates,
        "conversions": len(qualities),
        "mean_quality": float(np.nanmean(qualities)),
    }
