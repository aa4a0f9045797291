"""Convert, render back and measure: the quality of an SVG as a designer judges it (docs/quality.md).

One conversion is judged *at scale* against a reference of the same drawing:

* the comparison size is the raster's size times ``SCALE`` (4×), capped so the long side is at most
  ``MAX_COMPARE_SIDE`` (a 1024 px input is judged at 1×, a larger one below 1×);
* the reference is the vector original rendered at that size when one exists (dataset icons), or
  else a *proxy* made from the raster itself (``svgai.images.sharp_upscale``: Lanczos, edges snapped sharp);
  docs/quality.md reports how closely proxy scores track scores against the originals;
* the SVG is rendered with its transparency and compared alpha-aware (``svgai.measures``).

``Conversion.quality`` is the score the router optimises; ``Conversion.measures`` holds its parts:
``edge_fidelity`` and ``ssim_scaled`` at the comparison size, ``ssim_1x`` (RGB over white at the
raster's own size, the round-1 label, reported) and ``scale``.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import resvg_py
from PIL import Image

from svgai import measures
from svgai.errors import InvalidImage, RenderError
from svgai.images import ImageSource, is_opaque, load_rgba, over_white, sharp_upscale
from svgai.params import VTracerParams, validate
from svgai.vectorize import fit_for_tracing, vectorize

SCALE = 4.0
"""Vectorizing is for scaling: conversions are judged at 4× the raster's size ..."""
MAX_COMPARE_SIDE = 1024
"""... capped at this long side, so one candidate never costs a 4096² render."""
EDGE_WEIGHT = 0.9
"""Share of ``edge_fidelity`` in the score; the rest is ``ssim_scaled`` (chosen in docs/quality.md)."""

MEASURE = "quality-v2.1"
"""The measure's version: change it whenever a definition here or in ``svgai.measures`` changes what a
conversion scores. A dataset records the version its labels were measured with, and a build refuses to
resume with another (docs/quality.md, "Changes"). v2.1 finds edges in each colour channel; v2.0 did in
luminance only."""

ReferenceKind = Literal["original", "proxy"]


def render(svg: str, width: int, height: int) -> np.ndarray:
    """Render ``svg`` at exactly ``width``×``height`` with its transparency: ``(H, W, 4)`` uint8."""
    try:
        png = resvg_py.svg_to_bytes(svg_string=svg, width=width, height=height, skip_system_fonts=True)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # resvg raises ValueError; a Rust panic would be a BaseException
        raise RenderError(f"resvg could not render the SVG at {width}x{height}: {e}") from None
    with Image.open(io.BytesIO(bytes(png))) as rendered:
        image = rendered.convert("RGBA")
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8)


def comparison_size(width: int, height: int) -> tuple[int, int, float]:
    """``(width, height, scale)`` at which a ``width``×``height`` raster's conversions are judged."""
    scale = min(SCALE, MAX_COMPARE_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale)), scale


@dataclass(frozen=True)
class Rendering:
    """An SVG rendered with its transparency at a reference's comparison size and at the raster's own."""

    scaled: np.ndarray
    at_1x: np.ndarray


@dataclass(frozen=True)
class Reference:
    """What conversions of one raster are judged against; build it once, measure many SVGs."""

    raster: np.ndarray
    """The raster as traced, ``(H, W, 4)`` uint8."""
    scaled: np.ndarray
    """The reference at the comparison size, ``(h, w, 4)`` uint8."""
    scale: float
    kind: ReferenceKind
    flat: np.ndarray = field(repr=False)
    """The raster over white, for ``ssim_1x``."""
    prepared: measures.Prepared = field(repr=False)
    """The reference side of the terms, computed once for every SVG measured against it."""
    size: tuple[int, int] | None = None
    """(width, height) the SVG declares when the raster is a downscaled copy (``fit_for_tracing``)."""

    @classmethod
    def of(cls, image: ImageSource, original_svg: str | None = None, *, scaled: ImageSource | None = None) -> Reference:
        """The reference for ``image``: its vector original rendered at scale if given, else the proxy.

        ``scaled`` is a ground truth already at ``comparison_size`` (e.g. a dataset's stored
        ``reference_png``), anything ``load_rgba`` reads, used as it is; ``None`` means there is none,
        as for ``original_svg``. An image above
        ``svgai.vectorize.TRACE_MAX_PIXELS`` is traced and judged at a downscaled copy.
        """
        loaded = load_rgba(image)
        raster = fit_for_tracing(loaded)
        height, width = raster.shape[:2]
        w, h, scale = comparison_size(width, height)
        kind: ReferenceKind = "original"
        if scaled is not None:
            scaled = load_rgba(scaled)
            if scaled.shape != (h, w, 4):
                raise InvalidImage(f"the reference is {scaled.shape}; accepted: ({h}, {w}, 4), the comparison size")
        elif original_svg is not None:
            scaled = render(original_svg, w, h)
        else:
            scaled, kind = sharp_upscale(raster, w, h), "proxy"
        size = None if raster is loaded else (loaded.shape[1], loaded.shape[0])
        return cls(raster, scaled, scale, kind, over_white(raster), measures.Prepared(scaled, scale), size)

    @property
    def has_alpha(self) -> bool:
        """True when the raster has any pixel that is not fully opaque."""
        return not is_opaque(self.raster)

    def render(self, svg: str) -> Rendering:
        """``svg`` rendered at this reference's comparison size and at the raster's size."""
        height, width = self.raster.shape[:2]
        scaled = render(svg, self.scaled.shape[1], self.scaled.shape[0])
        return Rendering(scaled, render(svg, width, height) if self.scale != 1.0 else scaled)

    def score(self, rendering: Rendering) -> tuple[float, dict[str, float]]:
        """``(quality, parts)`` of an SVG already rendered by ``render`` (of this or a same-size reference)."""
        edge, ssim_scaled = self.prepared.terms(rendering.scaled)
        ssim_1x = measures.ssim(self.flat, over_white(rendering.at_1x), 255.0)
        quality = EDGE_WEIGHT * edge + (1.0 - EDGE_WEIGHT) * ssim_scaled
        parts = {"edge_fidelity": edge, "ssim_scaled": ssim_scaled, "ssim_1x": ssim_1x, "scale": self.scale}
        return float(quality), parts

    def measure(self, svg: str) -> tuple[float, dict[str, float]]:
        """``(quality, parts)`` of ``svg`` against this reference (docs/quality.md)."""
        return self.score(self.render(svg))


def path_count(svg: str) -> int:
    """Number of ``<path`` elements VTracer wrote."""
    return svg.count("<path")


@dataclass(frozen=True)
class Conversion:
    """One real conversion: the SVG and its measured quality against the image's reference."""

    svg: str
    params: VTracerParams
    quality: float
    """The score (docs/quality.md): what the router optimises and the predictor learns."""
    measures: dict[str, float]
    """Its parts: ``edge_fidelity``, ``ssim_scaled``, ``ssim_1x``, ``scale``."""
    reference: ReferenceKind
    has_alpha: bool
    svg_bytes: int
    path_count: int
    vectorize_ms: float
    measure_ms: float
    measure_error: str | None = None
    """Why the SVG could not be measured (``quality`` is then NaN, ``measures`` empty); else ``None``."""

    @property
    def ssim(self) -> float:
        """SSIM at the raster's own size over white (the round-1 measure, kept as a reported part)."""
        return self.measures.get("ssim_1x", math.nan)

    def summary(self) -> dict[str, Any]:
        """Everything but the SVG text, JSON-ready (``quality`` and ``ssim`` are ``None`` when unmeasured)."""
        out = asdict(self)
        del out["svg"]
        out["params"] = dict(self.params)
        out["ssim"] = None if self.measure_error else self.ssim
        if self.measure_error:
            out["quality"] = None
        return out


def convert(
    image: ImageSource | Reference,
    params: Mapping[str, Any] | None = None,
    *,
    timeout_s: float | None = None,
    proxy: Reference | None = None,
) -> Conversion:
    """Vectorize ``image`` with ``params``, render it back and measure it (one real label).

    ``image`` may be anything ``load_rgba`` reads (judged against the proxy reference) or a
    ``Reference`` built once for many conversions (e.g. with the vector original). ``proxy``, the
    proxy reference of the same raster, scores the same rendering a second time: its score becomes
    ``measures["quality_proxy"]`` (the dataset measures how well the proxy tracks the original). When
    VTracer succeeds but the SVG cannot be rendered, the ``Conversion`` still carries the SVG, with
    ``measure_error`` saying why.
    """
    reference = image if isinstance(image, Reference) else Reference.of(image)
    checked = validate(params)
    started = time.perf_counter()
    # an upscaled trace of the proxy's size traces the proxy itself: the same sharp enlargement, made once
    enlarged = reference.scaled if reference.kind == "proxy" else None
    svg = vectorize(reference.raster, checked, timeout_s=timeout_s, size=reference.size, enlarged=enlarged)
    traced = time.perf_counter()
    quality, failure = math.nan, None  # what an SVG that cannot be rendered reports
    parts: dict[str, float] = {}
    try:
        rendering = reference.render(svg)
        quality, parts = reference.score(rendering)
        measured = time.perf_counter()
        if proxy is not None:
            parts["quality_proxy"] = proxy.score(rendering)[0]
    except RenderError as e:
        failure, measured = str(e), time.perf_counter()
    return Conversion(
        svg=svg,
        params=checked,
        quality=quality,
        measures=parts,
        reference=reference.kind,
        has_alpha=reference.has_alpha,
        svg_bytes=len(svg.encode("utf-8")),
        path_count=path_count(svg),
        vectorize_ms=(traced - started) * 1e3,
        measure_ms=(measured - traced) * 1e3,
        measure_error=failure,
    )
