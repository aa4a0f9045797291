"""svgai's version, read from the installed distribution (``svgai.__version__`` re-exports it)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("svgai")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"
