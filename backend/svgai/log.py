"""Structured logging, configured in one place.

Readable key=value lines on a terminal, one JSON object per line otherwise (services, CI, files).
The level comes from ``SVGAI_LOG_LEVEL`` (default ``WARNING``); ``SVGAI_LOG_FORMAT`` forces
``console`` or ``json``. Logs go to stderr so that ``--json`` output on stdout stays clean.
"""

from __future__ import annotations

import logging
import os
import sys

import structlog

_configured = False


def configure_logging(level: str | None = None, *, force: bool = False) -> None:
    """Set up structlog once per process (idempotent unless ``force``)."""
    global _configured
    if _configured and not force:
        return
    name = (level or os.environ.get("SVGAI_LOG_LEVEL") or "WARNING").upper()
    numeric = logging.getLevelName(name)
    if not isinstance(numeric, int):
        numeric = logging.WARNING
    fmt = os.environ.get("SVGAI_LOG_FORMAT") or ("console" if sys.stderr.isatty() else "json")
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    _configured = True


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """A logger bound to a component name; configures logging on first use."""
    configure_logging()
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(component=name)
    return logger
