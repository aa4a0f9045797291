"""What the router hands back: candidates, its choice, the routed result and the trail of fallbacks.

``measured_quality`` is the one place that says which measurement of a conversion the router
optimises and reports as "quality"; every comparison of real conversions reads it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from svgai.hookspecs import Constraints
from svgai.log import get_logger
from svgai.methods.objective import trace_work, value
from svgai.params import VTracerParams, defaults
from svgai.quality import Conversion
from svgai.scoring import PredictorScorer

log = get_logger("router")


DEFAULTS_MARGIN = 0.03
"""Objective value a measured candidate must gain over VTracer's measured defaults to be kept instead:
measured against the proxy reference, smaller leads of the router's choices too often hand back an SVG
worse than the defaults (docs/quality.md, "Keeping the defaults on a near tie"; the ``defaults_margin``
table of ``svgai eval routing --split train``)."""


def measured_quality(conversion: Conversion) -> float:
    """The measured quality of a real conversion: what routing maximises and evaluations compare."""
    return conversion.quality


@dataclass(frozen=True)
class Fallback:
    """One step the router did not take as planned: which plugin, and why."""

    method: str
    reason: str


class Trail:
    """The fallbacks of one routing, appended from worker threads too; each one is logged."""

    def __init__(self, entries: list[Fallback] | None = None) -> None:
        self.entries: list[Fallback] = list(entries or [])
        self._lock = threading.Lock()

    def add(self, method: str, reason: str) -> None:
        log.info("fallback", method=method, reason=reason)
        with self._lock:
            self.entries.append(Fallback(method, reason))


@dataclass(frozen=True)
class Candidate:
    """A parameter set, the method that proposed it and its predicted quality (if a predictor ran)."""

    params: VTracerParams
    method: str
    predicted_quality: float | None = None
    predicted_bytes: float | None = None


@dataclass
class Choice:
    """The router's choice before converting: candidates best first, VTracer's defaults always last."""

    candidates: list[Candidate]
    predictor: str | None
    reference_bytes: float | None
    prepare_ms: float
    choose_ms: float
    trail: list[Fallback]
    untried: list[str] = field(default_factory=list)
    """Ranked methods after the one used, not called: quality feedback may ask them for more candidates."""
    scorer: PredictorScorer | None = field(default=None, repr=False)
    predictor_error: float | None = None
    """The predictor's typical within-image error (``PerformanceInfo.expected_error``), if it reports one."""
    defaults_error: float | None = None
    """The predictor's typical error on VTracer's defaults (``PerformanceInfo.defaults_error``), if it reports one."""
    raster_size: tuple[int, int] | None = None
    """(width, height) of the raster the candidates trace: what their ``trace_work`` is counted against."""

    def trace_work(self, params: list[VTracerParams]) -> np.ndarray | None:
        """``svgai.methods.objective.trace_work`` of ``params`` on this image (``None`` without its size)."""
        return None if self.raster_size is None else trace_work(params, *self.raster_size)

    def predicted_values(self, constraints: Constraints) -> np.ndarray | None:
        """Each candidate's predicted objective value (``svgai.methods.objective.value``), in order;
        ``None`` when a candidate has no predicted quality."""
        predicted = [c.predicted_quality for c in self.candidates]
        if any(p is None for p in predicted):
            return None
        sizes = [np.nan if c.predicted_bytes is None else c.predicted_bytes for c in self.candidates]
        return value(np.array(predicted, dtype=np.float64), np.array(sizes), constraints, self.reference_bytes,
                     self.trace_work([c.params for c in self.candidates]))

    def defaults_index(self) -> int | None:
        """Where VTracer's defaults stand among the candidates, if they are one."""
        plain = defaults()
        return next((i for i, c in enumerate(self.candidates) if c.params == plain), None)

    def confident_plan(self, constraints: Constraints) -> list[Candidate] | None:
        """What to convert when the predictions can be trusted, in order; the second only if ``settles``
        says no once the first is measured.

        Without a quality target, where the best candidate is not predicted to lead VTracer's defaults by
        more than ``DEFAULTS_MARGIN`` (the lead it would need to be kept over them once both are measured,
        ``prefer_defaults``): the defaults, then the best candidate. Otherwise: the best candidate, then
        the defaults. Other candidates are not converted: a second-best that the predictor cannot
        separate from the best is, by its error, about as good. ``None`` when the predictions cannot be
        trusted (no measured error, or a candidate without a prediction): the router then falls back to
        quality feedback.
        """
        values = self.predicted_values(constraints)
        if self.predictor_error is None or values is None:
            return None
        plain = self.defaults_index()
        if plain is None or plain == 0:
            return [self.candidates[0]]
        if constraints.target_ssim is None and values[0] - values[plain] <= DEFAULTS_MARGIN:
            return [self.candidates[plain], self.candidates[0]]
        return [self.candidates[0], self.candidates[plain]]

    def settles(self, measured: Conversion, constraints: Constraints) -> bool:
        """Does the first conversion of ``confident_plan`` make the second pointless?

        When the first is the best candidate, ``settles_without_defaults``. When it is VTracer's defaults
        (a predicted near tie): yes unless they measure below their predicted quality by more than the
        predictor's typical error on them — then the predictor misjudged this image, its near tie too,
        and the best candidate is measured beside them.
        """
        plain = self.defaults_index()
        if plain is None or measured.params != self.candidates[plain].params:
            return self.settles_without_defaults(measured, constraints)
        margin = self.defaults_error if self.defaults_error is not None else self.predictor_error
        predicted = self.candidates[plain].predicted_quality
        return margin is None or predicted is None or measured_quality(measured) >= predicted - margin

    def settles_without_defaults(self, measured: Conversion, constraints: Constraints) -> bool:
        """Does the best candidate's measured conversion make converting VTracer's defaults pointless?

        Yes when its measured objective value is above the defaults' predicted one by more than the
        predictor's typical error on the defaults (``defaults_error``, else ``predictor_error``): the
        defaults would then have to beat their prediction by more than that to win. A choice that
        measures below what was predicted for it — the predictor was wrong about this image — does not
        settle it, and the defaults are measured beside it. Nor does one that measures more than that
        error *above* its own prediction: there the proxy it was measured against is more often
        overrating the trace (words and blurred sprites, whose enlargement the trace copies) than the
        predictor underrating it (docs/quality.md, "Keeping the defaults on a near tie").
        """
        values = self.predicted_values(constraints)
        plain = self.defaults_index()
        margin = self.defaults_error if self.defaults_error is not None else self.predictor_error
        predicted = self.candidates[0].predicted_quality
        if values is None or plain is None or margin is None or predicted is None:
            return False
        if measured_quality(measured) > predicted + margin:
            return False
        got = value(np.array([measured_quality(measured)]), np.array([float(measured.svg_bytes)]), constraints,
                    self.reference_bytes, self.trace_work([measured.params]))[0]
        return bool(got > values[plain] + margin)


def prefer_defaults(order: np.ndarray, tried: list[tuple[Candidate, Conversion]], plain: int | None,
                    constraints: Constraints, reference_bytes: float | None, work: np.ndarray | None) -> int:
    """The index in ``tried`` to keep: the first of ``order``, unless VTracer's defaults were measured
    too (at ``plain``) and it beats them by no more than ``DEFAULTS_MARGIN`` of objective value (without
    a quality target; ``work``: each conversion's ``trace_work``): within the noise of the measure against the proxy, the defaults are kept."""
    best = int(order[0])
    if plain is None or plain == best or constraints.target_ssim is not None:
        return best
    values = value(np.array([measured_quality(v) for _, v in tried]), np.array([float(v.svg_bytes) for _, v in tried]),
                   constraints, reference_bytes, work)
    return plain if values[best] - values[plain] <= DEFAULTS_MARGIN else best


@dataclass
class Routed:
    """A finished routing: the SVG of the best measured candidate and everything that led to it."""

    choice: Choice
    chosen: Candidate
    conversion: Conversion
    conversions: list[tuple[Candidate, Conversion]]
    convert_ms: float
    trail: list[Fallback] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        """JSON-ready summary (no SVG text)."""
        return {
            "quality": measured_quality(self.conversion),
            "ssim": self.conversion.ssim,
            "svg_bytes": self.conversion.svg_bytes,
            "path_count": self.conversion.path_count,
            "method": self.chosen.method,
            "params": dict(self.chosen.params),
            "predicted_quality": self.chosen.predicted_quality,
            "predicted_bytes": self.chosen.predicted_bytes,
            "predictor": self.choice.predictor,
            "timings": {
                "prepare_ms": round(self.choice.prepare_ms, 3),
                "choose_ms": round(self.choice.choose_ms, 3),
                "convert_ms": round(self.convert_ms, 3),
            },
            "conversions": [
                {"method": c.method, "quality": measured_quality(v), "ssim": v.ssim, "svg_bytes": v.svg_bytes, "predicted_quality": c.predicted_quality,
                 "predicted_bytes": c.predicted_bytes, "vectorize_ms": round(v.vectorize_ms, 3),
                 "measure_ms": round(v.measure_ms, 3), "params": dict(c.params)}
                for c, v in self.conversions
            ],
            "fallbacks": [{"method": f.method, "reason": f.reason} for f in self.trail],
        }
