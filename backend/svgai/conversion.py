"""One conversion as the CLI and services run it: load, choose parameters, vectorize, measure.

By default the ``IntelligentRouter`` chooses the parameters (``method`` forces one of its methods).
Explicit ``KEY=VALUE`` parameters bypass the router and are used exactly as given.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from svgai.errors import InvalidParams
from svgai.images import ImageSource, flatten, is_opaque, load_rgba, parse_colour
from svgai.params import PRESETS, parse_assignment, preset, validate
from svgai.quality import convert

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
) -> dict[str, Any]:
    """Check a conversion request before any image is read; return the explicit parameters it sets.

    ``preset_name`` starts from one of VTracer's CLI presets (``svgai.params.PRESETS``); ``params``
    override it. Raises ``InvalidParams`` saying what was wrong and what is accepted.
    """
    assignments = dict(parse_assignment(p) for p in params)
    if preset_name is not None:
        preset(preset_name)  # refuses an unknown name, listing the accepted ones
        assignments = {**PRESETS.get(preset_name, {}), **assignments}
    if (assignments or preset_name is not None) and method is not None:
        raise InvalidParams("give either explicit parameters (--param, --preset) or a method (--method), not both")
    if target_ssim is not None and not 0.0 < target_ssim <= 1.0:
        raise InvalidParams(f"target SSIM {target_ssim!r} is out of range; accepted: a number in (0, 1]")
    if budget_ms is not None and not budget_ms > 0:
        raise InvalidParams(f"time budget {budget_ms!r} ms is not positive; accepted: a number of milliseconds > 0")
    if ssim_per_kb is not None and not 0.0 <= ssim_per_kb < 1.0:
        raise InvalidParams(f"size price {ssim_per_kb!r} SSIM per kB is out of range; accepted: a number in [0, 1)")
    if background is not None:
        parse_colour(background)  # refuses what is not a colour, saying what is accepted
    validate(assignments)
    return assignments


def run_conversion(
    image: ImageSource,
    *,
    params: Iterable[str] = (),
    method: str | None = None,
    target_ssim: float | None = None,
    budget_ms: float | None = None,
    ssim_per_kb: float | None = None,
    timeout_s: float | None = None,
    preset_name: str | None = None,
    background: str | None = None,
    router: IntelligentRouter | None = None,
) -> dict[str, Any]:
    """Convert ``image`` and return the SVG with a JSON-ready report of what was done.

    ``preset_name`` and ``params`` set the parameters explicitly (see ``check_request``). ``router``
    reuses a router across conversions (a batch worker keeps one); by default a new one is built.
    Report keys: ``ssim, svg_bytes, path_count, psnr, vectorize_ms, measure_ms, method, fallbacks,
    params`` and, when the router chose, ``predicted_ssim, predicted_bytes, predictor, timings,
    conversions`` (every real conversion it tried); plus ``svg, input, width, height, input_has_alpha``
    (``input`` is ``-`` for image data that came without a path).
    Transparency is kept unless ``background`` (a CSS colour) asks to flatten the image onto it.
    """
    assignments = check_request(params, method, target_ssim, budget_ms, ssim_per_kb, preset_name, background)
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
        from svgai.hookspecs import Constraints
        from svgai.router import DEFAULT_CONSTRAINTS, IntelligentRouter

        constraints: Constraints = replace(DEFAULT_CONSTRAINTS, target_ssim=target_ssim)
        if budget_ms is not None:
            constraints = replace(constraints, budget_ms=budget_ms)
        if ssim_per_kb is not None:
            constraints = replace(constraints, ssim_per_kb=ssim_per_kb)
        routed = (router or IntelligentRouter()).route(source, constraints, method=method, timeout_s=timeout_s)
        result = routed.conversion
        report = result.summary() | routed.report()
    report.update(
        svg=result.svg, input=path or "-", width=int(raster.shape[1]), height=int(raster.shape[0]),
        input_has_alpha=has_alpha, background=background,
    )
    return report
