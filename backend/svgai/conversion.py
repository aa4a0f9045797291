"""One conversion as the CLI and services run it: load, choose parameters, vectorize, measure."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from svgai.images import load_image
from svgai.params import parse_assignment, validate
from svgai.quality import convert


def run_conversion(
    image: Path | str,
    *,
    params: Iterable[str] = (),
    method: str | None = None,
    target_ssim: float | None = None,
    budget_ms: float | None = None,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """Convert ``image`` and return the SVG with a JSON-ready report of what was done.

    Explicit ``KEY=VALUE`` parameters are validated before anything runs and are used as given.
    """
    assignments = dict(parse_assignment(p) for p in params)
    chosen = validate(assignments)
    rgb = load_image(image)
    result = convert(rgb, chosen, timeout_s=timeout_s)
    report = result.summary()
    report.update(
        svg=result.svg,
        input=str(image),
        width=int(rgb.shape[1]),
        height=int(rgb.shape[0]),
        method="explicit" if assignments else "defaults",
        fallbacks=[],
    )
    return report
