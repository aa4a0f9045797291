"""One conversion as the CLI and services run it: load, choose parameters, vectorize, measure.

By default the ``IntelligentRouter`` chooses the parameters (``method`` forces one of its methods).
Explicit ``KEY=VALUE`` parameters bypass the router and are used exactly as given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from svgai.errors import InvalidParams
from svgai.images import flatten, is_opaque, load_rgba, parse_colour
from svgai.params import parse_assignment, validate
from svgai.quality import convert


def run_conversion(
    image: Path | str,
    *,
    params: Iterable[str] = (),
    method: str | None = None,
    target_ssim: float | None = None,
    budget_ms: float | None = None,
    ssim_per_kb: float | None = None,
    timeout_s: float | None = None,
    background: str | None = None,
) -> dict[str, Any]:
    """Convert ``image`` and return the SVG with a JSON-ready report of what was done.

    Report keys: ``ssim, svg_bytes, path_count, psnr, vectorize_ms, measure_ms, method, fallbacks,
    params`` and, when the router chose, ``predicted_ssim, predicted_bytes, predictor, timings,
    conversions`` (every real conversion it tried); plus ``svg, input, width, height, input_has_alpha``.
    Transparency is kept unless ``background`` (a CSS colour) asks to flatten the image onto it.
    """
    assignments = dict(parse_assignment(p) for p in params)
    if assignments and method is not None:
        raise InvalidParams("give either explicit parameters (--param) or a method (--method), not both")
    if target_ssim is not None and not 0.0 < target_ssim <= 1.0:
        raise InvalidParams(f"target SSIM {target_ssim!r} is out of range; accepted: a number in (0, 1]")
    if budget_ms is not None and not budget_ms > 0:
        raise InvalidParams(f"time budget {budget_ms!r} ms is not positive; accepted: a number of milliseconds > 0")
    if ssim_per_kb is not None and not 0.0 <= ssim_per_kb < 1.0:
        raise InvalidParams(f"size price {ssim_per_kb!r} SSIM per kB is out of range; accepted: a number in [0, 1)")
    chosen = validate(assignments)
    raster = load_rgba(image)
    has_alpha = not is_opaque(raster)
    source: Any = str(image)
    if background is not None:
        raster = flatten(raster, parse_colour(background))
        source = raster
    report: dict[str, Any]
    if assignments:
        result = convert(raster, chosen, timeout_s=timeout_s)
        report = result.summary() | {"method": "explicit", "fallbacks": []}
    else:
        from svgai.hookspecs import Constraints
        from svgai.router import DEFAULT_CONSTRAINTS, IntelligentRouter

        constraints: Constraints = replace(DEFAULT_CONSTRAINTS, target_ssim=target_ssim)
        if budget_ms is not None:
            constraints = replace(constraints, budget_ms=budget_ms)
        if ssim_per_kb is not None:
            constraints = replace(constraints, ssim_per_kb=ssim_per_kb)
        routed = IntelligentRouter().route(source, constraints, method=method, timeout_s=timeout_s)
        result = routed.conversion
        report = result.summary() | routed.report()
    report.update(
        svg=result.svg, input=str(image), width=int(raster.shape[1]), height=int(raster.shape[0]),
        input_has_alpha=has_alpha, background=background,
    )
    return report
