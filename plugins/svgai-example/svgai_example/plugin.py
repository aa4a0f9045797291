"""A minimal third-party svgai plugin: copy this distribution to write your own.

It implements three hooks of ``svgai.hookspecs`` with plain heuristics on ``svgai.features``:

- ``propose_params``: enough colour precision for the colours the image really has, speckle
  filtering that keeps small details on busy images, and VTracer's defaults for the rest;
- ``predict_quality``: SSIM is lost mostly along edges, so the predicted loss grows with the edge
  density and shrinks with the colour precision (a rough heuristic);
- ``get_performance_info``: running latency measured in this process, and the method's mean real
  SSIM once it has been measured: ``svgai methods fit --only example`` converts its choices on the
  dataset's validation images and writes ``<methods folder>/example.json``, which
  ``measured_performance`` reads. Until then ``expected_quality`` is ``None`` and the router ranks
  measured methods first.

Registered through the entry point ``svgai: example = svgai_example.plugin`` (see setup.cfg).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from svgai.features import image_features
from svgai.hookspecs import PerformanceInfo, hookimpl
from svgai.methods.base import CallStats, measured_performance
from svgai.params import defaults, validate

NAME = "example"
"""The entry-point name (setup.cfg): the name its measured figures are written under."""
_stats = CallStats()


@hookimpl
def get_performance_info() -> PerformanceInfo:
    return measured_performance(_stats, NAME)


@hookimpl
def propose_params(image: np.ndarray) -> list[Mapping[str, Any]]:
    with _stats.timed():
        features = image_features(image)
        bits = max(1, math.ceil(math.log2(max(features.colour_count, 2))))
        return [
            validate({
                **defaults(),
                "color_precision": min(8, bits + 4),
                "filter_speckle": 2 if features.complexity > 0.3 else 4,
            })
        ]


@hookimpl
def predict_quality(image_path: str, params: Mapping[str, Any]) -> float:
    with _stats.timed():
        features = image_features(image_path)
        checked = validate(params)
        loss = features.edge_density * (1.0 - checked["color_precision"] / 10.0)
        return float(min(1.0, max(0.0, 1.0 - loss)))
