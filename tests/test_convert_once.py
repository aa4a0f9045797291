"""Convert once: the router converts more than its choice only where the defaults are close or the predictions uncertain."""

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


@pytest.mark.parametrize(("error", "step", "precisions"), [
    # precision 3 is predicted best (0.87), then 4, 5, 6; the defaults (precision 8) 0.05 behind
    (0.001, -0.01, [3]),  # confident: the choice alone
    (0.045, -0.01, [3]),  # 4, 5 and 6 are within the error of 3: as good as it by that error, not converted
    (0.055, -0.01, [3, 8]),  # the defaults are within the error too: measured beside the choice
    (0.5, 0.01, [8]),  # the defaults are predicted best: converted once
])
def test_a_confident_predictor_converts_its_choice_and_the_defaults_only_when_it_cannot_tell_them_apart(
    two_colour_path: Path, error: float, step: float, precisions: list[int]
) -> None:
    routed = route_with(error, two_colour_path, step)
    assert routed.choice.predictor_error == error
    assert [c.params["path_precision"] for c, _ in routed.conversions] == precisions


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
    mae = predictor.manifest["validation"]["accuracy"][predictor.variant]["within_image_median_error"]
    router = IntelligentRouter(load_plugins().manager)
    router.warm_up()
    constraints = Constraints(budget_ms=2_000.0, feedback_ms=60_000.0)  # conversions stop by the rule, not by time
    routed = router.route(example_logo, constraints)
    choice = routed.choice
    assert choice.predictor == "quality" and choice.predictor_error == pytest.approx(mae)
    values = value(np.array([c.predicted_quality for c in choice.candidates]),
                   np.array([c.predicted_bytes for c in choice.candidates]), constraints, choice.reference_bytes)
    plain = next(i for i, c in enumerate(choice.candidates) if c.params == defaults())
    planned = [choice.candidates[0]]
    if plain > 0 and values[plain] >= values[0] - mae:  # the predictor cannot tell the choice from the defaults
        planned.append(choice.candidates[plain])
    assert [c for c, _ in routed.conversions] == planned


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
    routed = route_with(0.001, two_colour_path, step=-0.01)  # confident: only precision 3 is planned
    assert [c.params["path_precision"] for c, _ in routed.conversions] == [8]
    assert routed.chosen.params == defaults()
    assert any("injected" in f.reason for f in routed.trail)
