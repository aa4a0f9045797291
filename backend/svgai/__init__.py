"""svgai: raster logos to SVG with VTracer, with parameters chosen by a learned quality predictor.

The names a user needs::

    from svgai import Constraints, IntelligentRouter, convert

    routed = IntelligentRouter().route("logo.png", Constraints(ssim_per_kb=0.001))
    routed.conversion.svg                  # the SVG of the best measured candidate
    convert("logo.png", {"mode": "polygon"}).ssim   # one conversion with explicit parameters

``convert`` and :class:`Conversion` come from ``svgai.quality``, :class:`IntelligentRouter` and
:class:`Routed` from ``svgai.router``, :class:`Constraints` from ``svgai.hookspecs`` and
:class:`LocalQualityPredictor` from the ``svgai-quality`` distribution. They are imported on first
use, so ``import svgai`` (and the CLI's start-up) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from svgai.errors import (
    InvalidImage,
    InvalidParams,
    ModelUnavailable,
    PluginError,
    RenderError,
    SvgaiError,
    VectorizeError,
    VectorizeTimeout,
)
from svgai.version import __version__

if TYPE_CHECKING:
    from svgai.hookspecs import Constraints
    from svgai.quality import Conversion, convert
    from svgai.router import IntelligentRouter, Routed
    from svgai_quality.predictor import LocalQualityPredictor

_LAZY = {
    "Constraints": "svgai.hookspecs",
    "Conversion": "svgai.quality",
    "convert": "svgai.quality",
    "IntelligentRouter": "svgai.router",
    "Routed": "svgai.router",
    "LocalQualityPredictor": "svgai_quality.predictor",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use (see the module docstring)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'svgai' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Constraints",
    "Conversion",
    "IntelligentRouter",
    "InvalidImage",
    "InvalidParams",
    "LocalQualityPredictor",
    "ModelUnavailable",
    "PluginError",
    "RenderError",
    "Routed",
    "SvgaiError",
    "VectorizeError",
    "VectorizeTimeout",
    "__version__",
    "convert",
]
