"""The typed errors svgai raises for user mistakes and broken inputs.

Every error names what was wrong and what is accepted, so a caller (or the CLI) can show one clear
line instead of a traceback from inside a library.
"""

from __future__ import annotations


class SvgaiError(Exception):
    """Base class of every error svgai raises on purpose."""


class InvalidImage(SvgaiError):
    """The input is not an image svgai can read (missing, empty, truncated, too large, ...)."""


class InvalidParams(SvgaiError):
    """A VTracer parameter set is invalid; the message names the key, the value and what is accepted."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class VectorizeError(SvgaiError):
    """VTracer failed (a panic inside the Rust library, or an unexpected error) on valid inputs."""


class VectorizeTimeout(VectorizeError):
    """VTracer did not finish within the time limit given by the caller."""


class RenderError(SvgaiError):
    """An SVG could not be rendered back to pixels."""


class ModelUnavailable(SvgaiError):
    """A model artifact is missing, unreadable, or fails its integrity check."""


class PluginError(SvgaiError):
    """A plugin could not be loaded or broke its contract."""


class SourceUnavailable(SvgaiError):
    """An icon set for the dataset cannot be fetched or read (npm missing, package not found, ...)."""


class InvalidOutput(SvgaiError):
    """An output path cannot be written (a folder, a missing folder, the input itself, unwritable, ...)."""
