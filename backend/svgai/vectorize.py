"""Raster -> SVG with VTracer, with validated parameters and no escaping panics.

VTracer is a Rust library: bad values make it panic with ``pyo3_runtime.PanicException``, which
derives from ``BaseException`` (``except Exception`` misses it). Parameters are validated first
(``svgai.params``) and anything VTracer still raises becomes a ``VectorizeError``. A time limit,
when asked for, runs the trace in a separate process that is killed when the limit passes — the
only way to stop native code that never returns to Python.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import vtracer

from svgai.errors import VectorizeError, VectorizeTimeout
from svgai.images import ImageSource, encode_png, is_opaque, load_rgba
from svgai.params import VTracerParams, validate


def vectorize(
    image: ImageSource, params: Mapping[str, Any] | None = None, *, timeout_s: float | None = None
) -> str:
    """Trace ``image`` with VTracer and return the SVG text.

    Transparency is kept: fully transparent pixels stay out of the SVG. ``params`` may be partial;
    missing keys take VTracer's defaults. Raises ``InvalidImage``,
    ``InvalidParams`` (before VTracer runs), ``VectorizeError`` or ``VectorizeTimeout``.
    """
    rgba = load_rgba(image)
    checked = validate(params)
    # An opaque raster goes as RGB (same trace, less data); see ``keyed`` for transparent ones.
    data = encode_png(np.ascontiguousarray(rgba[..., :3]) if is_opaque(rgba) else keyed(rgba))
    if timeout_s is None:
        return _trace(data, checked)
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    return _trace_with_time_limit(data, checked, timeout_s)


ALPHA_CUTOFF = 128
"""Pixels at least this opaque are traced as opaque; the rest are keyed out (see ``keyed``)."""


def keyed(rgba: np.ndarray) -> np.ndarray:
    """``rgba`` with every pixel either fully opaque or fully transparent, split at ``ALPHA_CUTOFF``.

    VTracer keys out only fully transparent pixels and traces every other one as opaque, so the
    faint pixels of an anti-aliased edge (alpha 1–20) became specks and slivers around a
    transparent logo. Cut at half coverage, the edge lies where the anti-aliasing put it, and the
    renderer anti-aliases the vector edge again.
    """
    out = rgba.copy()
    out[..., 3] = np.where(rgba[..., 3] >= ALPHA_CUTOFF, 255, 0)
    return out


def _trace(png: bytes, params: VTracerParams) -> str:
    try:
        svg: str = vtracer.convert_raw_image_to_svg(png, img_format="png", **params)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # pyo3_runtime.PanicException is a BaseException
        raise VectorizeError(f"VTracer failed with {dict(params)}: {type(e).__name__}: {e}") from None
    return svg


def _child(png: bytes, params: VTracerParams, conn: Connection) -> None:
    try:
        conn.send(("ok", _trace(png, params)))
    except VectorizeError as e:
        conn.send(("error", str(e)))
    finally:
        conn.close()


_context = None


def _process_context() -> Any:
    # forkserver: cheap forks from a clean, single-threaded server — safe beside ONNX Runtime threads.
    global _context
    if _context is None:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        _context = multiprocessing.get_context(method)
    return _context


def _trace_with_time_limit(png: bytes, params: VTracerParams, timeout_s: float) -> str:
    ctx = _process_context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(png, params, sender), daemon=True)
    started = time.monotonic()
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            raise VectorizeTimeout(
                f"VTracer did not finish within {timeout_s:g} s with {dict(params)}; "
                "try a shorter-running parameter set (e.g. mode='polygon', fewer colours) or a larger limit"
            )
        try:
            status, payload = receiver.recv()
        except EOFError:
            process.join(1.0)
            raise VectorizeError(
                f"VTracer's process died (exit code {process.exitcode}) after "
                f"{time.monotonic() - started:.2f} s with {dict(params)}"
            ) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if status != "ok":
        raise VectorizeError(payload)
    return str(payload)
