"""svgai: raster logos to SVG with VTracer, with parameters chosen by a learned quality predictor."""

from importlib.metadata import PackageNotFoundError, version

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

try:
    __version__ = version("svgai")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = [
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
