"""One conversion as the CLI and services run it: load, choose parameters, vectorize, measure.

By default the ``IntelligentRouter`` chooses the parameters (``method`` forces one of its methods).
Explicit ``KEY=VALUE`` parameters bypass the router and are used exactly as given.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from svgai.errors import InvalidParams
from svgai.hookspecs import Constraints
from svgai.images import ImageSource, flatten, is_opaque, load_rgba, parse_colour
from svgai.params import PRESETS, parse_assignment, preset, validate
from svgai.quality import convert
from svgai.vectorize import check_time_limit

if TYPE_CHECKING:
    from svgai.router import IntelligentRouter


def check_request(
    params: Iterable[str] = (),
    method: str | None = None,
    target_ssim: float | None = None,
    budget_ms: float | None = None,
    ssim_per_kb: float | None = None,
    preset_name: str | None = None,
    background: str | None = None,
    timeout_s: float | None = None,
    quality_per_trace: float | None = None,
) -> tuple[dict[str, Any], Constraints]:
    """Check a conversion request before any image is read: its explicit parameters and constraints.

    ``preset_name`` starts from one of VTracer's CLI presets (``svgai.params.PRESETS``); ``params``
    override it. Numbers are checked once, by ``Constraints`` and ``check_time_limit``. Raises
    ``InvalidParams`` (or ``InvalidImage`` for a background that is not a colour) saying what was
    wrong and what is accepted.
    """
    assignments = dict(parse_assignment(p) for p in params)
    if preset_name is not None:
        preset(preset_name)  # refuses an unknown name, listing the accepted ones
        assignments = {**PRESETS.get(preset_name, {}), **assignments}
    if (assignments or preset_name is not None) and method is not None:
        raise InvalidParams("give either explicit parameters (--param, --preset) or a method (--method), not both")
    defaults = Constraints()
    constraints = Constraints(
        target_ssim=target_ssim,
        budget_ms=defaults.budget_ms if budget_ms is None else budget_ms,
        ssim_per_kb=defaults.ssim_per_kb if ssim_per_kb is None else ssim_per_kb,
        quality_per_trace=defaults.quality_per_trace if quality_per_trace is None else quality_per_trace,
    )
    check_time_limit(timeout_s)
    if background is not None:
        parse_colour(background)  # refuses what is not a colour, saying what is accepted
    validate(assignments)
    return assignments, constraints


def run_conversion(
    image: ImageSource,
    *,
    params: Iterable[str] = (),
    method: str | None = None,
    target_ssim: float | None = None,
    budget_ms: float | None = None,
    ssim_per_kb: float | None = None,
    quality_per_trace: float | None = None,
    timeout_s: float | None = None,
    preset_name: str | None = None,
    background: str | None = None,
    router: IntelligentRouter | None = None,
) -> dict[str, Any]:
    """Convert ``image`` and return the SVG with a JSON-ready report of what was done.

    ``preset_name`` and ``params`` set the parameters explicitly (see ``check_request``). ``router``
    reuses a router across conversions (a batch worker keeps one); by default a new one is built.
    Report keys: ``quality, measures, ssim, svg_bytes, path_count, vectorize_ms, measure_ms,
    measure_error, method, fallbacks, params, target_met`` and, when the router chose,
    ``predicted_quality, predicted_bytes, predictor, timings, conversions`` (every real conversion it
    tried); plus ``svg, input, width, height, input_has_alpha, background`` (``input`` is ``-`` for
    image data that came without a path). ``target_met`` is ``None`` without a target or when
    measuring failed (``quality`` and ``ssim`` are then ``None`` and ``measure_error`` says why).
    Transparency is kept unless ``background`` (a CSS colour) asks to flatten the image onto it.
    Numbers are checked before the image is read.
    """
    assignments, constraints = check_request(
        params, method, target_ssim, budget_ms, ssim_per_kb, preset_name, background, timeout_s, quality_per_trace
    )
    chosen = validate(assignments)
    raster = load_rgba(image)
    has_alpha = not is_opaque(raster)
    path = os.fspath(image) if isinstance(image, str | os.PathLike) else None
    source: Any = path or raster
    if background is not None:
        raster = flatten(raster, parse_colour(background))
        source = raster
    report: dict[str, Any]
    if assignments or preset_name is not None:
        result = convert(raster, chosen, timeout_s=timeout_s)
        how = "explicit" if preset_name is None else f"preset {preset_name}"
        report = result.summary() | {"method": how, "fallbacks": []}
    else:
        from svgai.router import IntelligentRouter

        if router is None:
            router = IntelligentRouter()
            router.warm_up()  # one conversion per process: let plugins load their models before the budget runs
        routed = router.route(source, constraints, method=method, timeout_s=timeout_s)
        result = routed.conversion
        report = routed.report() | result.summary()
    measured = result.measure_error is None
    report["target_met"] = None if target_ssim is None or not measured else bool(result.quality >= target_ssim)
    report.update(
        svg=result.svg, input=path or "-", width=int(raster.shape[1]), height=int(raster.shape[0]),
        input_has_alpha=has_alpha, background=background,
    )
    return report
