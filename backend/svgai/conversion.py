"""One conversion as the CLI and services run it: load, choose parameters, vectorize, measure.

By default the ``IntelligentRouter`` chooses the parameters (``method`` forces one of its methods).
Explicit ``KEY=VALUE`` parameters bypass the router and are used exactly as given.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from svgai.errors import InvalidParams
from svgai.hookspecs import Constraints
from svgai.images import flatten, is_opaque, load_rgba, parse_colour
from svgai.params import parse_assignment, validate
from svgai.quality import convert
from svgai.vectorize import check_time_limit


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

    Report keys: ``quality, measures, ssim, svg_bytes, path_count, vectorize_ms, measure_ms,
    measure_error, method, fallbacks, params, target_met`` and, when the router chose,
    ``predicted_ssim, predicted_bytes, predictor, timings, conversions`` (every real conversion it
    tried); plus ``svg, input, width, height, input_has_alpha``. ``target_met`` is ``None`` without a
    target or when measuring failed (``quality`` and ``ssim`` are then ``None`` and ``measure_error``
    says why). Transparency is kept unless ``background`` (a CSS colour) asks to flatten the image
    onto it. Numbers are checked before the image is read.
    """
    assignments = dict(parse_assignment(p) for p in params)
    if assignments and method is not None:
        raise InvalidParams("give either explicit parameters (--param) or a method (--method), not both")
    defaults = Constraints()
    constraints = Constraints(
        target_ssim=target_ssim,
        budget_ms=defaults.budget_ms if budget_ms is None else budget_ms,
        ssim_per_kb=defaults.ssim_per_kb if ssim_per_kb is None else ssim_per_kb,
    )
    check_time_limit(timeout_s)
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
        from svgai.router import IntelligentRouter

        router = IntelligentRouter()
        router.warm_up()  # one conversion per process: let plugins load their models before the budget runs
        routed = router.route(source, constraints, method=method, timeout_s=timeout_s)
        result = routed.conversion
        report = routed.report() | result.summary()
    measured = result.measure_error is None
    report["target_met"] = None if target_ssim is None or not measured else bool(result.quality >= target_ssim)
    report.update(
        svg=result.svg, input=str(image), width=int(raster.shape[1]), height=int(raster.shape[0]),
        input_has_alpha=has_alpha, background=background,
    )
    return report
