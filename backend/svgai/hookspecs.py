"""The plugin API of svgai: every hook a plugin may implement, documented here and nowhere else.

A plugin is a module (or any hashable object) with functions marked ``@hookimpl`` whose names and argument
names match the specs below. It is registered through the entry-point group ``svgai``::

    # setup.cfg of a third-party distribution
    [options.entry_points]
    svgai =
        mine = my_package.plugin

An implementation may accept a subset of a spec's arguments (pluggy passes only the ones it names);
naming an argument the spec does not have is an error reported when the plugin is loaded. The
built-in methods (``svgai.methods.*``) are plugins of exactly this kind; ``plugins/svgai-example`` is
a complete, minimal third-party plugin to copy.

A method is ranked by its measured quality, never by a claim. To be measured like the built-ins,
run ``svgai methods fit --dataset DATASET --only NAME`` (``NAME``: the plugin's entry-point name): it
converts the method's first choice for real on the dataset's validation images and writes the
figures to ``NAME.json`` in the methods folder (``svgai.model_folder.methods_dir``); the plugin's
``get_performance_info`` returns ``svgai.methods.base.measured_performance(stats, NAME)``, which reads
them (``expected_quality`` is ``None`` until then, and the router ranks measured methods first).

The router calls each plugin in a worker thread of that plugin's own bounded lane, with a fair slice
of the time left in its budget, and checks what comes back inside that time: a plugin that raises,
hangs, writes into the (read-only) image, or returns NaN, out-of-range, wrongly typed or incomplete
parameters or predictions is skipped for that image and the failure is listed in the result's
fallback trail; a plugin that keeps failing is skipped for a while (``svgai.supervision``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

import numpy as np
import pluggy

from svgai.errors import InvalidParams

PROJECT = "svgai"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class _MeasuredPerformance(TypedDict):
    available: bool
    reason: str | None
    expected_quality: float | None
    quality_source: str | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    calls: int
    failures: int
    needs_predictor: bool


class PerformanceInfo(_MeasuredPerformance, total=False):
    """What a plugin knows about itself, from measurements only (never constants).

    ``available``: really checked — e.g. its model file loaded and answered one call.
    ``reason``: why it is unavailable (``None`` when available).
    ``expected_quality``: the figure the router ranks by, measured on validation images by a command
    in the repository (``None`` if the plugin was never validated). For a method: the mean objective
    value (measured quality with the price on size, ``svgai.methods.objective``) of the parameters it
    chose under the router's default constraints. For a predictor: the Pearson correlation of its
    predicted with the measured quality (docs/quality.md).
    ``quality_source``: where ``expected_quality`` comes from (file and the command that wrote it).
    ``latency_p50_ms`` / ``latency_p95_ms``: running percentiles of this process's real calls
    (``None`` before the first call). ``calls`` / ``failures``: counts of those calls.
    ``needs_predictor``: the method cannot run without a quality predictor (its ``scorer``). It need
    not look for one: ``svgai.plugins.performance_of`` reports it unavailable unless a predictor is
    registered and loads.
    ``expected_error`` (optional, predictors only): the typical error of its predicted quality
    differences between one image's parameter sets on validation images (the quality plugin reports
    the within-image median error), from the same file as ``expected_quality``. A predictor that
    reports it is trusted: the router converts its choice, and VTracer's defaults only where the
    measured choice does not settle it (``defaults_error``). ``None`` or absent: not measured, so every
    prediction counts as uncertain and the router converts more candidates (quality feedback).
    ``defaults_error`` (optional, predictors only): the typical absolute error of its predicted quality
    for VTracer's defaults on validation images (the quality plugin reports the median). Once the
    router has measured its choice, it converts the defaults as well only when the choice's measured
    objective value does not clear their predicted one by this much (``None`` or absent: ``expected_error``
    stands in).
    """

    expected_error: float | None
    defaults_error: float | None


PERFORMANCE_KEYS: tuple[str, ...] = tuple(PerformanceInfo.__annotations__)


@dataclass(frozen=True)
class Constraints:
    """What the caller asks of the router for one image.

    ``target_ssim``: the quality (docs/quality.md) to reach; ``None`` means "the best quality for its
    size" (below). The name is kept from the first quality measure.
    ``budget_ms``: time the methods may spend choosing (the conversion is not counted).
    ``ssim_per_kb``: size preference as a price — every kilobyte of SVG over VTracer's defaults for
    the image must buy this much quality (``0``/``None``: size is free). See ``svgai.methods.objective``.
    The default is chosen on the validation split (``svgai eval routing --split val --ssim-per-kb X``;
    README, "What it measures").
    ``quality_per_trace``: time preference as a price — every extra raster's worth of pixels VTracer traces
    (an ``upscale`` enlargement by f traces f² times the raster's pixels, and VTracer's time grows with
    them) must buy this much quality (``0``/``None``: time is free). Chosen like ``ssim_per_kb``
    (``svgai eval routing --split val --quality-per-trace X``; docs/quality.md, "Paying for enlargements").
    ``max_bytes_ratio``: size cap — candidates whose SVG is larger than this many times the size of
    VTracer's defaults for the image are not chosen (``None``: no cap).
    ``max_conversions``: real conversions the router may run for quality feedback.
    ``feedback_ms``: after this much time converting, the router tries no further candidate.

    Every field is checked when the constraints are made (``InvalidParams`` names the field, the value
    and what is accepted): NaN, infinities and out-of-range numbers never reach a method. Times are
    bounded by ``MAX_MS`` (a day).
    """

    target_ssim: float | None = None
    budget_ms: float = 100.0
    ssim_per_kb: float | None = 0.0005
    quality_per_trace: float | None = 0.002
    max_bytes_ratio: float | None = None
    max_conversions: int = 3
    feedback_ms: float = 2000.0

    def __post_init__(self) -> None:
        _check("target_ssim", self.target_ssim, lambda v: 0.0 < v <= 1.0, "a number in (0, 1] or None", optional=True)
        _check("budget_ms", self.budget_ms, lambda v: 0.0 < v <= MAX_MS, f"milliseconds in (0, {MAX_MS:,.0f}]")
        _check("ssim_per_kb", self.ssim_per_kb, lambda v: 0.0 <= v < 1.0, "a number in [0, 1) or None", optional=True)
        _check("quality_per_trace", self.quality_per_trace, lambda v: 0.0 <= v < 1.0, "a number in [0, 1) or None",
               optional=True)
        _check("max_bytes_ratio", self.max_bytes_ratio, lambda v: v > 0.0, "a number > 0 or None", optional=True)
        _check("feedback_ms", self.feedback_ms, lambda v: 0.0 <= v <= MAX_MS, f"milliseconds in [0, {MAX_MS:,.0f}]")
        if isinstance(self.max_conversions, bool) or not isinstance(self.max_conversions, int) or self.max_conversions < 1:
            raise InvalidParams(
                f"max_conversions={self.max_conversions!r} is invalid; accepted: an integer >= 1", key="max_conversions"
            )


MAX_MS = 86_400_000.0
"""The longest time a constraint may name (one day, in milliseconds)."""


def _check(name: str, value: object, in_range: Callable[[float], bool], accepted: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value) or not in_range(float(value)):
        raise InvalidParams(f"{name}={value!r} is invalid; accepted: {accepted}", key=name)


@dataclass(frozen=True)
class Scores:
    """Predicted quality of candidate parameter sets for one image (one value per candidate)."""

    quality: np.ndarray
    """The predicted quality (docs/quality.md), in [0, 1]."""
    svg_bytes: np.ndarray


class Scorer(Protocol):
    """Scores candidates for the image at hand with the best available predictor (see ``predict_candidates``).

    ``encoded``, when given, is ``svgai.params.encode_many(candidates)`` computed once by the caller
    (encoding a thousand sets costs tens of milliseconds; a fixed pool can keep its encoding).
    """

    def __call__(self, candidates: Sequence[Mapping[str, Any]], encoded: np.ndarray | None = None) -> Scores: ...


class BasePredictor:
    """Hooks of a quality predictor: it estimates a conversion's result without converting."""

    @hookspec
    def get_performance_info(self) -> PerformanceInfo:  # type: ignore[empty-body]
        """Report this plugin's measured availability, expected quality and latency.

        The router caches the answer for ``svgai.plugins.PERFORMANCE_TTL_S`` seconds and then
        refreshes it in the background; a plugin that has not answered within part of the routing
        budget is unavailable until it does. ``svgai plugins`` calls it live. Keep it cheap: cache
        the availability check. Every figure must be measured: availability by really loading
        what the plugin needs, expected quality from a validation file written by a command, and
        latency as running statistics of real calls in this process
        (``svgai.methods.base.CallStats`` keeps them).

        :return: a :class:`PerformanceInfo`. A plugin whose dict lacks a key (``expected_error`` and
            ``defaults_error`` may be left out), or whose call raises, is treated as unavailable.
        """

    @hookspec
    def predict_quality(self, image_path: str, params: Mapping[str, Any]) -> float:  # type: ignore[empty-body]
        """Predict the quality that converting ``image_path`` with ``params`` would measure.

        :param image_path: path of a raster image readable by ``svgai.images.load_image``.
        :param params: a complete, validated VTracer parameter set (``svgai.params.validate``).
        :return: the predicted quality (defined in docs/quality.md), a float in [0, 1].
        """

    @hookspec
    def predict_candidates(  # type: ignore[empty-body]
        self, image: np.ndarray, candidates: Sequence[Mapping[str, Any]], encoded: np.ndarray | None
    ) -> Scores:
        """Predict quality and SVG bytes of many parameter sets for one image, in one batch.

        This is what makes search cheap: the image is encoded once, then every candidate costs
        microseconds. The router uses the available predictor with the highest expected quality.

        :param image: the raster with its transparency, ``(H, W, 4)`` uint8 RGBA
            (``svgai.images.load_rgba``), read-only.
        :param candidates: complete, validated parameter sets.
        :param encoded: the same sets as ``svgai.params.encode_many`` encodes them (the fixed model
            encoding), or ``None``; a predictor that takes that encoding can skip re-encoding.
        :return: :class:`Scores` with one predicted quality (in [0, 1]) and one predicted byte count (a
            finite number > 0) per candidate; any other answer drops the predictor for this image.
        """


class BaseMethod:
    """Hooks of a parameter-choosing method (feature mapping, regression, PPO, search, ...)."""

    @hookspec
    def propose_params(  # type: ignore[empty-body]
        self, image: np.ndarray, constraints: Constraints, scorer: Scorer | None
    ) -> list[Mapping[str, Any]]:
        """Propose VTracer parameter sets for ``image``, best first.

        Called in a worker thread with this method's slice of the router's budget; a call that does
        not return in time is abandoned (it keeps one of the plugin's few worker threads until it
        returns). Only the first ``svgai.router.MAX_PROPOSALS`` sets are read. Every returned set must
        name VTracer's 11 parameters with valid values (``svgai.params.VTRACER_NAMES``; svgai's own
        ``upscale`` may be left out, meaning 1); a set with a missing key, NaN, a wrong type or a value out
        of range makes the router reject the whole answer and fall back to the next method.

        :param image: the raster, ``(H, W, 3)`` uint8 on white, read-only (copy it to change it).
        :param constraints: the caller's :class:`Constraints` (target quality, time budget, prices on
            size and on tracing time); ``svgai.methods.objective.rank`` orders candidates by them, given
            their ``trace_work`` on this image.
        :param scorer: predicts quality and bytes of candidate sets for this image with the best
            available predictor, or ``None`` when no predictor is available.
        :return: a non-empty list of parameter dicts, the one the method prefers first.
        """
