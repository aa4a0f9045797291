"""Convert once: the router converts more than its choice only where its measured choice does not clear the
defaults' prediction, or the predictions are uncertain."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from svgai.hookspecs import Constraints, PerformanceInfo, Scores, hookimpl
from svgai.methods import defaults as defaults_method
from svgai.methods.objective import value
from svgai.params import defaults
from svgai.plugins import load_plugins, new_manager
from svgai.routed import DEFAULTS_MARGIN
from svgai.router import IntelligentRouter, Routed

PRECISIONS = (3, 4, 5, 6)


@dataclass(eq=False)
class Proposer:
    """Proposes VTracer's defaults with four path precisions."""

    @hookimpl
    def get_performance_info(self) -> PerformanceInfo:
        return PerformanceInfo(available=True, reason=None, expected_quality=0.99, quality_source="in-test",
                               latency_p50_ms=None, latency_p95_ms=None, calls=0, failures=0, needs_predictor=False)

    @hookimpl
    def propose_params(self) -> list[dict[str, Any]]:
        return [dict(defaults()) | {"path_precision": p} for p in PRECISIONS]


@dataclass(eq=False)
class Predictor:
    """Predicts ``level + step·(path precision − 5)`` at one size (the defaults' precision is 8); reports
    ``error`` as its within-image error and ``defaults_error`` as its error on VTracer's defaults."""

    error: float | None
    step: float = 0.01
    level: float = 0.85
    defaults_error: float | None = None

    @hookimpl
    def get_performance_info(self) -> PerformanceInfo:
        return PerformanceInfo(available=True, reason=None, expected_quality=0.9, quality_source="in-test",
                               latency_p50_ms=None, latency_p95_ms=None, calls=0, failures=0, needs_predictor=False,
                               expected_error=self.error, defaults_error=self.defaults_error)

    @hookimpl
    def predict_candidates(self, candidates: list[Any]) -> Scores:
        precision = np.array([c["path_precision"] for c in candidates], dtype=np.float64)
        return Scores(quality=self.level + self.step * (precision - 5), svg_bytes=np.full(len(candidates), 1000.0))


def route_with(error: float | None, image: Path, step: float = 0.01, level: float = 0.85,
               defaults_error: float | None = None) -> Routed:
    manager = new_manager()
    manager.register(Proposer(), name="proposer")
    manager.register(defaults_method, name="defaults")
    manager.register(Predictor(error, step, level, defaults_error), name="predictor")
    return IntelligentRouter(manager).route(image, Constraints(max_conversions=3, feedback_ms=60_000.0))


@pytest.mark.parametrize(("level", "error", "defaults_error", "step", "precisions"), [
    # precision 3 is predicted best, the defaults (precision 8) 0.05 behind it. The logo traces to a
    # quality of 0.919 with either precision: how high the defaults are predicted decides.
    (0.88, 0.05, None, -0.01, [3]),  # the measured choice clears the defaults' 0.85 + 0.05, as predicted: settled
    (0.60, 0.05, None, -0.01, [3, 8]),  # it clears 0.57 + 0.05 but measures 0.3 above its own 0.62: both measured
    (0.94, 0.05, None, -0.01, [3, 8]),  # it does not clear 0.91 + 0.05: the defaults are measured too
    (0.94, 0.05, 0.001, -0.01, [3]),  # but it clears 0.91 + their own error of 0.001: settled
    (0.85, 0.5, None, 0.01, [8]),  # the defaults are predicted best: converted once
])
def test_a_confident_predictor_converts_the_defaults_only_when_its_measured_choice_does_not_clear_them(
    two_colour_path: Path, level: float, error: float, defaults_error: float | None, step: float,
    precisions: list[int],
) -> None:
    routed = route_with(error, two_colour_path, step, level, defaults_error)
    assert routed.choice.predictor_error == error and routed.choice.defaults_error == defaults_error
    assert [c.params["path_precision"] for c, _ in routed.conversions] == precisions


@pytest.mark.parametrize(("level", "converted"), [
    (0.94, [8]),  # the defaults, predicted 0.925, measure about 0.94: as predicted, the near tie stands
    (0.97, [8, 3]),  # predicted 0.955, they measure more than their error (0.01) below: the choice is measured
])
def test_a_predicted_lead_within_the_margin_converts_the_defaults_first(
    two_colour_path: Path, level: float, converted: list[int]
) -> None:
    # precision 3 is predicted best, 0.005·5 = 0.025 ahead of the defaults: too little to be kept over them
    routed = route_with(0.05, two_colour_path, step=-0.005, level=level, defaults_error=0.01)
    assert routed.choice.candidates[0].params["path_precision"] == 3
    assert [c.params["path_precision"] for c, _ in routed.conversions] == converted
    plain = routed.conversions[0][1].quality
    assert (plain >= level - 0.015 - 0.01) == (converted == [8])


def test_on_a_near_tie_the_measured_defaults_are_kept(two_colour_path: Path) -> None:
    routed = route_with(0.05, two_colour_path, step=-0.01, level=0.94)
    (_, traced), (plain, traced_plain) = routed.conversions
    assert plain.params == defaults()
    reference = float(traced_plain.svg_bytes)
    gain = (value(np.array([traced.quality]), np.array([float(traced.svg_bytes)]), Constraints(), reference)[0]
            - traced_plain.quality)
    assert 0 < gain <= DEFAULTS_MARGIN  # the choice measures better (a smaller SVG), by less than the margin
    assert routed.chosen is plain and routed.conversion is traced_plain


def test_without_a_measured_error_every_prediction_is_uncertain_and_feedback_converts_more(two_colour_path: Path) -> None:
    routed = route_with(None, two_colour_path)
    assert routed.choice.predictor_error is None
    # the method's best, the defaults (the next method proposes nothing new), the method's next best
    assert [c.params["path_precision"] for c, _ in routed.conversions] == [6, 8, 5]


def test_the_shipped_predictor_reports_its_validated_errors_and_the_router_converts_by_them(example_logo: Path) -> None:
    from svgai.errors import ModelUnavailable

    try:
        from svgai_quality.predictor import LocalQualityPredictor

        predictor = LocalQualityPredictor()
    except ModelUnavailable as e:
        pytest.skip(f"no quality model: {e}")
    accuracy = predictor.manifest["validation"]["accuracy"][predictor.variant]
    router = IntelligentRouter(load_plugins().manager)
    router.warm_up()
    constraints = Constraints(budget_ms=2_000.0, feedback_ms=60_000.0)  # conversions stop by the rule, not by time
    routed = router.route(example_logo, constraints)
    choice = routed.choice
    assert choice.predictor == "quality" and choice.predictor_error == pytest.approx(accuracy["within_image_median_error"])
    assert choice.defaults_error == pytest.approx(accuracy["defaults_median_error"])
    values = choice.predicted_values(constraints)
    plain = next(i for i, c in enumerate(choice.candidates) if c.params == defaults())
    assert values is not None
    first = routed.conversions[0]
    if plain != 0 and values[0] - values[plain] <= DEFAULTS_MARGIN:  # no lead worth converting for: the defaults alone
        assert [c for c, _ in routed.conversions] == [choice.candidates[plain]]
        return
    assert first[0] is choice.candidates[0]
    measured = value(np.array([first[1].quality]), np.array([float(first[1].svg_bytes)]), constraints,
                     choice.reference_bytes, choice.trace_work([first[0].params]))[0]
    settled = plain == 0 or measured > values[plain] + accuracy["defaults_median_error"]
    assert [c for c, _ in routed.conversions] == ([choice.candidates[0]] if settled else
                                                   [choice.candidates[0], choice.candidates[plain]])


def test_when_the_confident_choice_fails_to_convert_the_defaults_are_the_last_level(
    two_colour_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from svgai import router as router_module
    from svgai.errors import VectorizeError

    real_convert = router_module.convert

    def failing_unless_defaults(reference: Any, params: Any, **kwargs: Any) -> Any:
        if params != defaults():  # a fault injected into the choice's conversion only
            raise VectorizeError("injected: VTracer failed")
        return real_convert(reference, params, **kwargs)

    monkeypatch.setattr(router_module, "convert", failing_unless_defaults)
    routed = route_with(0.001, two_colour_path, step=-0.01)  # confident: precision 3, then the defaults if need be
    assert [c.params["path_precision"] for c, _ in routed.conversions] == [8]
    assert routed.chosen.params == defaults()
    assert any("injected" in f.reason for f in routed.trail)
