"""VTracer's own defaults as a method: always available, the router's last level.

Its expected quality is the mean objective value of the defaults on validation images, measured by
``svgai methods fit`` (``models/methods/defaults.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from svgai.hookspecs import PerformanceInfo, hookimpl
from svgai.methods.base import CallStats, measured_performance
from svgai.params import defaults

NAME = "defaults"
_stats = CallStats()


@hookimpl
def get_performance_info() -> PerformanceInfo:
    return measured_performance(_stats, NAME)


@hookimpl
def propose_params() -> list[Mapping[str, Any]]:
    with _stats.timed():
        return [defaults()]
