"""Raster -> SVG with VTracer, with validated parameters and no escaping panics.

VTracer is a Rust library: bad values make it panic with ``pyo3_runtime.PanicException``, which
derives from ``BaseException`` (``except Exception`` misses it). Parameters are validated first
(``svgai.params``) and anything VTracer still raises becomes a ``VectorizeError``. A time limit,
when asked for, runs the trace in a separate process that is killed when the limit passes — the
only way to stop native code that never returns to Python; that process dies with its parent.

Large images are traced at a bounded size: VTracer sums a colour region's channel values in 32 bits,
so a region of more than 2**32 / 255 ≈ 16.8 M pixels comes out with a wrong colour (a 4200×4200 white
PNG traced as a #0B0B0B square), and its time and memory grow with the pixel count (a 6300×6300
white PNG: 63 s, 4.6 GB). An image of more than ``TRACE_MAX_PIXELS`` (2048×2048) is therefore
downscaled to fit before tracing (box filter: no ringing around flat colours), and the SVG is
scaled back, so its ``width``, ``height`` and ``viewBox`` are the original size.
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import numbers
import os
import re
import signal
import sys
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import vtracer
from numpy.typing import ArrayLike
from PIL import Image

from svgai.errors import InvalidParams, VectorizeError, VectorizeTimeout
from svgai.images import ImageSource, encode_png, is_opaque, load_rgba, sharp_upscale
from svgai.log import get_logger
from svgai.params import VTRACER_NAMES, VTracerParams, validate

log = get_logger("vectorize")


MAX_UPSCALED_SIDE = 1024
"""The ``upscale`` parameter enlarges a raster at most until its long side reaches this many pixels:
the size at which conversions are judged (``svgai.quality.MAX_COMPARE_SIDE``); beyond it tracing gets
slower (VTracer's time grows with the pixel count) with nothing more to gain."""

TRACE_MAX_PIXELS = 2048 * 2048
"""Images with more pixels are downscaled to this many before tracing (see the module docstring)."""

MAX_TIMEOUT_S = 86_400.0
"""The longest time limit accepted (one day)."""


def vectorize(
    image: ImageSource,
    params: Mapping[str, Any] | None = None,
    *,
    timeout_s: float | None = None,
    size: tuple[int, int] | None = None,
    enlarged: np.ndarray | None = None,
) -> str:
    """Trace ``image`` with VTracer and return the SVG text.

    Transparency is kept: fully transparent pixels stay out of the SVG. ``params`` may be partial;
    missing keys take VTracer's defaults. ``size`` (width, height) is the size the SVG declares, when
    ``image`` was already downscaled by ``fit_for_tracing`` (default: the image's own size). ``enlarged``
    is ``image`` already enlarged by ``sharp_upscale`` (a proxy reference, ``svgai.quality``): traced as it
    is when ``upscale`` asks for exactly its size, instead of enlarging ``image`` again. Raises
    ``InvalidImage``, ``InvalidParams`` (before VTracer runs), ``VectorizeError`` or ``VectorizeTimeout``.
    """
    check_time_limit(timeout_s)
    rgba = load_rgba(image)
    checked = validate(params)
    declared = size or (rgba.shape[1], rgba.shape[0])
    traced = upscaled(fit_for_tracing(rgba), checked["upscale"], enlarged)
    # An opaque raster goes as RGB (same trace, less data); see ``keyed`` and ``framed`` for transparent ones.
    sent, inset = (np.ascontiguousarray(traced[..., :3]), 0) if is_opaque(traced) else framed(keyed(traced))
    data = encode_png(sent)
    svg = _trace(data, checked) if timeout_s is None else _trace_with_time_limit(data, checked, timeout_s)
    return _declare_size(svg, (traced.shape[1], traced.shape[0]), declared, inset)


def check_time_limit(timeout_s: float | None) -> None:
    """Raise ``InvalidParams`` unless ``timeout_s`` is ``None`` or a number of seconds in (0, a day]."""
    if timeout_s is None:
        return
    if (not isinstance(timeout_s, numbers.Real) or isinstance(timeout_s, bool) or not math.isfinite(timeout_s)
            or not 0.0 < timeout_s <= MAX_TIMEOUT_S):
        raise InvalidParams(
            f"time limit {timeout_s!r} s is invalid; accepted: seconds in (0, {MAX_TIMEOUT_S:,.0f}]", key="timeout_s"
        )


def fit_for_tracing(raster: np.ndarray) -> np.ndarray:
    """``raster`` itself if it has at most ``TRACE_MAX_PIXELS`` pixels, else a box-filtered copy that fits."""
    height, width = raster.shape[:2]
    if width * height <= TRACE_MAX_PIXELS:
        return raster
    scale = math.sqrt(TRACE_MAX_PIXELS / (width * height))
    fitted = (max(1, int(width * scale)), max(1, int(height * scale)))
    log.info("downscaled_for_tracing", width=width, height=height, traced_width=fitted[0], traced_height=fitted[1])
    return np.asarray(Image.fromarray(raster).resize(fitted, Image.Resampling.BOX))


def enlargement(upscale: ArrayLike, width: int, height: int) -> np.ndarray:
    """The factor by which a ``width``×``height`` raster is really enlarged for ``upscale``: capped so the
    long side stays within ``MAX_UPSCALED_SIDE``, and 1 where that leaves nothing to enlarge."""
    return np.maximum(np.minimum(np.asarray(upscale, dtype=np.float64), MAX_UPSCALED_SIDE / max(width, height)), 1.0)


def upscaled(raster: np.ndarray, upscale: int, enlarged: np.ndarray | None = None) -> np.ndarray:
    """``raster`` enlarged ``upscale`` times with sharp edges, its long side capped at ``MAX_UPSCALED_SIDE``.

    ``raster`` itself when the factor comes to at most 1 (``upscale=1``, or a raster already that large);
    ``enlarged`` (``sharp_upscale`` of ``raster``) when it has the size asked for.
    """
    height, width = raster.shape[:2]
    factor = float(enlargement(upscale, width, height))
    if factor <= 1.0:
        return raster
    size = max(1, round(width * factor)), max(1, round(height * factor))
    if enlarged is not None and enlarged.shape[:2] == (size[1], size[0]):
        return enlarged
    return sharp_upscale(raster, *size)


_SVG_SIZE = re.compile(r'(<svg\b[^>]*?)\swidth="(\d+)" height="(\d+)"\s*>')


def _declare_size(svg: str, traced: tuple[int, int], declared: tuple[int, int], inset: int = 0) -> str:
    """Scale a trace of ``traced`` (width, height) pixels to declare ``declared`` with a matching viewBox.

    ``inset``: the traced raster was sent inside a frame of that many pixels (``framed``); the drawing
    is moved back by it, and the frame is outside the declared viewBox.
    """
    if traced == declared and not inset:
        return svg
    header = _SVG_SIZE.search(svg)
    end = svg.rfind("</svg>")
    if header is None or end < header.end():
        raise VectorizeError("VTracer wrote an SVG without the expected <svg width height> header")
    (width, height), (sx, sy) = declared, (declared[0] / traced[0], declared[1] / traced[1])
    moves = ([f"scale({sx!r} {sy!r})"] if traced != declared else []) + ([f"translate({-inset} {-inset})"] if inset else [])
    return (
        f'{svg[: header.start()]}{header.group(1)} width="{width}" height="{height}" viewBox="0 0 {width} {height}">\n'
        f'<g transform="{" ".join(moves)}">{svg[header.end() : end]}</g>\n{svg[end:]}'
    )


ALPHA_CUTOFF = 128
"""Pixels at least this opaque are traced as opaque; the rest are keyed out (see ``keyed``)."""


def keyed(rgba: np.ndarray) -> np.ndarray:
    """``rgba`` with every pixel either fully opaque or fully transparent, split at ``ALPHA_CUTOFF``.

    VTracer keys out only fully transparent pixels and traces every other one as opaque, so the
    faint pixels of an anti-aliased edge (alpha 1–20) became specks and slivers around a
    transparent logo. Cut at half coverage, the edge lies where the anti-aliasing put it, and the
    renderer anti-aliases the vector edge again.

    Keyed-out pixels are also made white. In colour mode VTracer paints them with a key colour: the
    first of pure red, green, blue, yellow, cyan and magenta that no pixel has, transparent ones
    included, and a *random* colour when all six are taken. The colours under an enlargement's faint
    fringe pixels (un-premultiplied, so amplified) took all six, and the random key, close enough to the
    logo's own blue, merged the transparent background into it: the same parameters gave a transparent
    SVG on one run and, now and then, an opaque one (``tests/test_transparency.py``). In binary mode
    VTracer ignores alpha and draws every pixel whose red is below 128: white keeps a transparent
    background out of the drawing (black, which this used to write, filled it).
    """
    opaque = rgba[..., 3] >= ALPHA_CUTOFF
    out = np.where(opaque[..., None], rgba, 255).astype(np.uint8)
    out[..., 3] = np.where(opaque, 255, 0)
    return out


KEYING_FRAME = 1
"""Width in pixels of the transparent frame ``framed`` puts around a raster with transparent pixels."""


def framed(rgba: np.ndarray) -> tuple[np.ndarray, int]:
    """``(raster, inset)``: a ``keyed`` raster with transparent pixels inside a transparent frame, so that
    VTracer keys them out; ``inset`` is the frame's width (0, and the raster as it is, when nothing is
    transparent).

    VTracer keys an image only when a fifth of the pixels it samples on five rows (the first, the last
    and three between) are transparent; otherwise it traces transparent pixels as opaque shapes of the
    colour under them. A rounded-corner app icon or a logo that fills its canvas fails that test: its
    transparent corners came back as black or filled-in corners. With a transparent first and last row
    the test always passes.
    """
    if rgba[..., 3].all():
        return rgba, 0
    frame = np.full((rgba.shape[0] + 2 * KEYING_FRAME, rgba.shape[1] + 2 * KEYING_FRAME, 4), (255, 255, 255, 0), np.uint8)
    frame[KEYING_FRAME:-KEYING_FRAME, KEYING_FRAME:-KEYING_FRAME] = rgba
    return frame, KEYING_FRAME


def _trace(png: bytes, params: VTracerParams) -> str:
    try:
        svg: str = vtracer.convert_raw_image_to_svg(png, img_format="png", **{k: params[k] for k in VTRACER_NAMES})  # type: ignore[literal-required]
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # pyo3_runtime.PanicException is a BaseException
        raise VectorizeError(f"VTracer failed with {dict(params)}: {type(e).__name__}: {e}") from None
    return svg


def _child(png: bytes, params: VTracerParams, conn: Connection) -> None:
    die_with_parent()
    try:
        conn.send(("ok", _trace(png, params)))
    except VectorizeError as e:
        conn.send(("error", str(e)))
    finally:
        conn.close()


def die_with_parent() -> None:
    """Make this worker die with the process that forked it, and not keep the fork server alive.

    Call it first thing in a process started from a ``forkserver`` context (VTracer's worker here,
    a batch's pool workers), never in the main process.

    A forkserver worker inherits the write end of the server's "alive" pipe: while a worker holds it,
    the server outlives the program that started it, and so does the worker (native code cannot be
    interrupted). Dropping that descriptor lets the server exit with the program; the parent-death
    signal (Linux) then kills this worker with the server.
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(alive, int):
        os.close(alive)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the parent died before the signal was armed
        os._exit(1)


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
        # the limit counts from the start of the process: a result that is there at once (a tiny image
        # traced while the process was starting) but came after the limit is a time-out all the same
        deadline = started + timeout_s
        if not receiver.poll(max(0.0, deadline - time.monotonic())) or time.monotonic() > deadline:
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
