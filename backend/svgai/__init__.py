"""svgai: raster logos to SVG with VTracer, with parameters chosen by a learned quality predictor."""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

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

SHIPPED_MODELS = Path(__file__).resolve().parent / "models"
"""The trained artifacts shipped inside the package (package data; in a checkout, a link to ``models/``)."""

try:
    __version__ = version("svgai")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = [
    "SHIPPED_MODELS",
    "InvalidImage",
    "InvalidParams",
    "ModelUnavailable",
    "PluginError",
    "RenderError",
    "SvgaiError",
    "VectorizeError",
    "VectorizeTimeout",
    "__version__",
]
