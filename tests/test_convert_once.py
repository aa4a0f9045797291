"""Convert once: the router converts more than its choice only where the predictions are close or uncertain."""

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
    """Predicts ``step`` more quality per step of path precision, at one size; reports ``error`` as its MAE."""

    error: float | None
    step: float = 0.01

    @hookimpl
    def get_performance_info(self) -> PerformanceInfo:
        return PerformanceInfo(available=True, reason=None, expected_quality=0.9, quality_source="in-test",
                               latency_p50_ms=None, latency_p95_ms=None, calls=0, failures=0, needs_predictor=False,
                               expected_error=self.error)

    @hookimpl
    def predict_candidates(self, candidates: list[Any]) -> Scores:
        precision = np.array([c["path_precision"] for c in candidates], dtype=np.float64)
        return Scores(quality=0.85 + self.step * (precision - 5), svg_bytes=np.full(len(candidates), 1000.0))


def route_with(error: float | None, image: Path, step: float = 0.01) -> Routed:
    manager = new_manager()
    manager.register(Proposer(), name="proposer")
    manager.register(defaults_method, name="defaults")
    manager.register(Predictor(error, step), name="predictor")
    return IntelligentRouter(manager).route(image, Constraints(max_conversions=3, feedback_ms=60_000.0))


@pytest.mark.parametrize(("error", "precisions"), [
    (0.001, [8]),  # confident: the defaults (precision 8) are predicted 0.02 ahead of the next, converted alone
    (0.025, [8, 6]),  # 6 is within the error of the best, 5 is not
    (0.045, [8, 6, 5]),  # 6, 5 and 4 are within it, but conversions run out
])
def test_a_confident_predictor_converts_only_the_candidates_within_its_error(
    two_colour_path: Path, error: float, precisions: list[int]
) -> None:
    routed = route_with(error, two_colour_path)
    assert routed.choice.predictor_error == error
    assert [c.params["path_precision"] for c, _ in routed.conversions] == precisions


def test_when_the_predictor_cannot_tell_candidates_apart_the_defaults_are_one_of_the_conversions(
    two_colour_path: Path,
) -> None:
    # precision 3 is predicted best, then 4, 5, 6; the defaults (8) are predicted worst, outside the error
    routed = route_with(0.045, two_colour_path, step=-0.01)
    assert [c.params["path_precision"] for c, _ in routed.conversions] == [3, 4, 8]


def test_without_a_measured_error_every_prediction_is_uncertain_and_feedback_converts_more(two_colour_path: Path) -> None:
    routed = route_with(None, two_colour_path)
    assert routed.choice.predictor_error is None
    # the method's best, the defaults (the next method proposes nothing new), the method's next best
    assert [c.params["path_precision"] for c, _ in routed.conversions] == [6, 8, 5]


def test_the_shipped_predictor_reports_its_validated_error_and_the_router_converts_by_it(example_logo: Path) -> None:
    from svgai.errors import ModelUnavailable

    try:
        from svgai_quality.predictor import LocalQualityPredictor

        predictor = LocalQualityPredictor()
    except ModelUnavailable as e:
        pytest.skip(f"no quality model: {e}")
    mae = predictor.manifest["validation"]["accuracy"][predictor.variant]["within_image_mae"]
    router = IntelligentRouter(load_plugins().manager)
    router.warm_up()
    constraints = Constraints(budget_ms=2_000.0, feedback_ms=60_000.0)  # conversions stop by the rule, not by time
    routed = router.route(example_logo, constraints)
    choice = routed.choice
    assert choice.predictor == "quality" and choice.predictor_error == pytest.approx(mae)
    values = value(np.array([c.predicted_quality for c in choice.candidates]),
                   np.array([c.predicted_bytes for c in choice.candidates]), constraints, choice.reference_bytes)
    close = [c for c, v in zip(choice.candidates[1:], values[1:], strict=True) if v >= values[0] - mae]
    planned = [choice.candidates[0], *close]
    if len(planned) > 1 and all(c.params != defaults() for c in planned[: constraints.max_conversions]):
        plain = next(c for c in choice.candidates if c.params == defaults())  # uncertain: the defaults are measured too
        planned = [*planned[: constraints.max_conversions - 1], plain]
    assert [c for c, _ in routed.conversions] == planned[: constraints.max_conversions]
