"""VTracer's own defaults as a method: always available, the router's last level.

Its expected quality is the mean real SSIM of the defaults on validation images, measured by
``svgai methods fit`` (``models/methods/defaults.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from svgai.errors import ModelUnavailable
from svgai.hookspecs import PerformanceInfo, hookimpl
from svgai.methods.base import CallStats, performance, read_metrics
from svgai.params import defaults

NAME = "defaults"
_stats = CallStats()


@hookimpl
def get_performance_info() -> PerformanceInfo:
    try:
        metrics: dict[str, Any] | None = read_metrics(NAME)
    except ModelUnavailable:
        metrics = None  # the defaults need no artifact: available, just never validated
    return performance(_stats, error=None, metrics=metrics, name=NAME)


@hookimpl
def propose_params() -> list[Mapping[str, Any]]:
    with _stats.timed():
        return [defaults()]
