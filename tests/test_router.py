"""The IntelligentRouter: properties over arbitrary plugins (hypothesis) and real routed conversions.

Run more examples with ``SVGAI_HYPOTHESIS_PROFILE=thorough pytest tests/test_router.py``.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from svgai.errors import InvalidParams, VectorizeError
from svgai.hookspecs import Constraints, PerformanceInfo, Scores, hookimpl
from svgai.methods.objective import trace_work
from svgai.params import NAMES, defaults, validate
from svgai.plugins import new_manager
from svgai.quality import convert
from svgai.routed import DEFAULTS_MARGIN
from svgai.router import IntelligentRouter

settings.register_profile("ci", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("SVGAI_HYPOTHESIS_PROFILE", "ci"))

BUDGET_MS = 60.0
TOLERANCE_MS = 150.0
"""Stated tolerance over the choosing budget: thread start/join and scheduling on a busy 2-core VM."""
FAILURES = ("raise", "hang", "nan", "out_of_range", "wrong_type", "missing_keys", "empty", "not_a_list", "bad_info")
BEHAVIOURS = ("ok", "unavailable", *FAILURES)


@dataclass(eq=False)  # plugins must be hashable, as modules are
class InTestMethod:
    """A real plugin object with the behaviour under test; it records every propose_params call."""

    name: str
    behaviour: str
    expected_quality: float | None
    p95_ms: float | None
    params: dict[str, Any]
    calls: list[str] = field(default_factory=list)

    @hookimpl
    def get_performance_info(self) -> Any:
        info = PerformanceInfo(
            available=self.behaviour != "unavailable", reason="in-test plugin says so" if self.behaviour == "unavailable" else None,
            expected_quality=self.expected_quality, quality_source="in-test", latency_p50_ms=self.p95_ms,
            latency_p95_ms=self.p95_ms, calls=len(self.calls), failures=0, needs_predictor=False,
        )
        if self.behaviour == "bad_info":
            return {k: v for k, v in info.items() if k != "available"}
        return info

    @hookimpl
    def propose_params(self, image: np.ndarray) -> Any:
        self.calls.append(self.name)
        broken = dict(self.params)
        match self.behaviour:
            case "raise":
                raise RuntimeError("in-test failure")
            case "hang":
                time.sleep(4 * BUDGET_MS / 1e3)
            case "nan":
                broken["length_threshold"] = math.nan
            case "out_of_range":
                broken["color_precision"] = 99
            case "wrong_type":
                broken["mode"] = 3
            case "missing_keys":
                del broken["corner_threshold"]
            case "empty":
                return []
            case "not_a_list":
                return "spline please"
        return [broken]


def plugin_specs(parameter_sets: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[list[InTestMethod]]:
    one = st.builds(
        InTestMethod,
        name=st.just(""),
        behaviour=st.sampled_from(BEHAVIOURS),
        expected_quality=st.none() | st.floats(0.0, 1.0),
        p95_ms=st.none() | st.floats(0.0, 2 * BUDGET_MS),
        params=parameter_sets,
    )
    return st.lists(one, min_size=0, max_size=6)


def expected_order(methods: list[InTestMethod]) -> list[str]:
    """Available methods that fit the budget, by expected quality (unvalidated last), registration order on ties."""
    usable = [m for m in methods if m.behaviour not in ("unavailable", "bad_info")
              and (m.p95_ms is None or m.p95_ms <= BUDGET_MS)]
    usable.sort(key=lambda m: (m.expected_quality is None, -(m.expected_quality or 0.0)))
    return [m.name for m in usable]


@given(data=st.data())
def test_the_router_always_chooses_valid_params_in_budget_and_falls_back_in_rank_order(
    data: st.DataObject, small_logo: np.ndarray, parameter_sets: st.SearchStrategy[dict[str, Any]]
) -> None:
    methods = data.draw(plugin_specs(parameter_sets))
    manager = new_manager()
    for i, method in enumerate(methods):
        method.name = f"m{i}_{method.behaviour}"
        manager.register(method, name=method.name)
    started = time.perf_counter()
    choice = IntelligentRouter(manager).choose(small_logo, Constraints(budget_ms=BUDGET_MS))
    elapsed_ms = (time.perf_counter() - started) * 1e3

    # valid parameters, within the budget plus the stated tolerance
    best = choice.candidates[0]
    assert set(best.params) == set(NAMES) and validate(best.params) == best.params
    assert elapsed_ms <= BUDGET_MS + TOLERANCE_MS and choice.choose_ms <= BUDGET_MS + TOLERANCE_MS
    # never calls a method that reported itself unavailable (or could not report)
    assert all(not m.calls for m in methods if m.behaviour in ("unavailable", "bad_info"))
    # calls follow the ranking without gaps, stop at the first success, and every method before it failed
    called = [m.name for m in methods if m.calls]
    order = expected_order(methods)
    by_name = {m.name: m for m in methods}
    called.sort(key=order.index)
    assert called == order[: len(called)]
    assert all(by_name[n].behaviour in FAILURES for n in called[:-1])
    # a hang costs only its slice of the budget: the methods after it are called, or skipped for lack of time
    stop = next((i + 1 for i, n in enumerate(order) if by_name[n].behaviour == "ok"), len(order))
    assert len(called) <= stop
    reasons = {f.method: f.reason for f in choice.trail}
    assert all(reasons.get(n) == "not called: no time left in the budget" for n in order[len(called) : stop])
    # every failure and skip is reported by name; the answer comes from the first success or the defaults
    reported = {f.method for f in choice.trail}
    assert all(m.name in reported for m in methods if m.behaviour != "ok" and (m.calls or m.name not in order))
    succeeded = [n for n in called if by_name[n].behaviour == "ok"]
    if succeeded:
        assert best.method == succeeded[0] and best.params == validate(by_name[succeeded[0]].params)
    else:
        assert best.method == "defaults" and best.params == defaults()
    assert choice.candidates[-1].params == defaults()


def test_a_forced_method_is_used_even_if_slow_and_unknown_names_are_refused(small_logo: np.ndarray) -> None:
    manager = new_manager()
    slow = InTestMethod("slow", "ok", 0.5, p95_ms=10_000.0, params=dict(defaults()) | {"mode": "polygon"})
    manager.register(slow, name="slow")
    choice = IntelligentRouter(manager).choose(small_logo, Constraints(budget_ms=BUDGET_MS), method="slow")
    assert choice.candidates[0].method == "slow" and choice.candidates[0].params["mode"] == "polygon"
    with pytest.raises(Exception, match="no method named 'fast'; available: slow"):
        IntelligentRouter(manager).choose(small_logo, method="fast")


def test_routing_converts_the_choice_and_reports_real_measurements(two_colour_path: Path) -> None:
    routed = IntelligentRouter().route(two_colour_path)
    again = convert(two_colour_path, routed.chosen.params)
    report = routed.report()
    assert report["ssim"] == pytest.approx(again.ssim) and report["svg_bytes"] == again.svg_bytes
    assert routed.conversion.svg.rstrip().endswith("</svg>")
    assert {"method", "params", "predicted_quality", "predicted_bytes", "timings", "fallbacks", "conversions"} <= set(report)
    assert report["timings"]["convert_ms"] > 0 and len(report["conversions"]) >= 1


def test_quality_feedback_converts_the_next_candidate_when_the_first_misses_the_target(two_colour_path: Path) -> None:
    coarse = dict(defaults()) | {"colormode": "binary"}
    manager = new_manager()
    manager.register(type("Proposer", (), {
        "get_performance_info": hookimpl(lambda self: InTestMethod("p", "ok", 0.9, None, {}).get_performance_info()),
        "propose_params": hookimpl(lambda self: [coarse, dict(defaults())]),
    })(), name="proposer")
    routed = IntelligentRouter(manager).route(two_colour_path, Constraints(target_ssim=0.999, max_conversions=2))
    measured = [c["ssim"] for c in routed.report()["conversions"]]
    assert len(measured) == 2 and measured[0] < measured[1]
    assert routed.chosen.params == defaults() and routed.conversion.ssim == max(measured)


def test_when_every_conversion_fails_the_error_says_why(two_colour_path: Path) -> None:
    # a microsecond: no trace can answer in time (the limit counts from the start of its process)
    with pytest.raises(VectorizeError, match=r"the defaults: VTracer did not finish within 1e-06 s"):
        IntelligentRouter().route(two_colour_path, timeout_s=1e-6)


@dataclass(eq=False)
class InTestPredictor:
    """A real predictor plugin with a behaviour under test (batch predictions, constant by design)."""

    behaviour: str
    expected_quality: float | None
    answers: list[int] = field(default_factory=list)

    @hookimpl
    def get_performance_info(self) -> PerformanceInfo:
        return PerformanceInfo(
            available=self.behaviour != "unavailable", reason="in-test" if self.behaviour == "unavailable" else None,
            expected_quality=self.expected_quality, quality_source="in-test", latency_p50_ms=None,
            latency_p95_ms=None, calls=0, failures=0, needs_predictor=False,
        )

    @hookimpl
    def predict_candidates(self, candidates: list[Any]) -> Any:
        self.answers.append(len(candidates))
        n = len(candidates)
        match self.behaviour:
            case "raise":
                raise RuntimeError("in-test predictor failure")
            case "nan":
                return Scores(quality=np.full(n, np.nan), svg_bytes=np.ones(n))
            case "short":
                return Scores(quality=np.ones(n - 1), svg_bytes=np.ones(n - 1))
            case "not_scores":
                return [0.9] * n
            case "too_good":
                return Scores(quality=np.full(n, 7.5), svg_bytes=np.full(n, 1000.0))
            case "negative_bytes":
                return Scores(quality=np.full(n, 0.9), svg_bytes=np.full(n, -5.0))
        return Scores(quality=np.linspace(0.9, 0.5, n), svg_bytes=np.full(n, 1000.0))  # earlier is better


@given(
    behaviours=st.lists(st.sampled_from(["ok", "unavailable", "raise", "nan", "short", "not_scores", "too_good",
                                         "negative_bytes"]), max_size=4),
    qualities=st.lists(st.none() | st.floats(0.0, 1.0), min_size=4, max_size=4),
)
def test_predictors_fall_back_one_by_one_and_search_still_answers(
    behaviours: list[str], qualities: list[float | None], small_logo: np.ndarray
) -> None:
    from svgai.methods import search

    manager = new_manager()
    manager.register(search, name="search")
    predictors = [InTestPredictor(b, q) for b, q in zip(behaviours, qualities, strict=False)]
    for i, predictor in enumerate(predictors):
        manager.register(predictor, name=f"p{i}_{predictor.behaviour}")
    choice = IntelligentRouter(manager).choose(small_logo, Constraints(budget_ms=2_000.0))
    best = choice.candidates[0]
    assert validate(best.params) == best.params
    available = [p for p in predictors if p.behaviour != "unavailable"]
    assert all(not p.answers for p in predictors if p.behaviour == "unavailable")
    if any(p.behaviour == "ok" for p in available):
        assert best.method == "search" and best.predicted_quality is not None
    else:
        assert best.method == "defaults"
    reported = {f.method for f in choice.trail}
    assert all(f"p{i}_{p.behaviour}" in reported for i, p in enumerate(predictors) if p.answers and p.behaviour != "ok")
    assert all(f"p{i}_{p.behaviour}" in reported for i, p in enumerate(predictors) if p.behaviour == "unavailable")


@pytest.mark.parametrize(("behaviour", "says"), [
    ("too_good", "predicted quality 7.5; accepted: a finite number in [0, 1]"),
    ("negative_bytes", "predicted -5.0 SVG bytes; accepted: a finite number > 0"),
])
def test_an_out_of_range_prediction_is_dropped_with_a_trail_entry(behaviour: str, says: str, small_logo: np.ndarray) -> None:
    from svgai.methods import defaults as defaults_method

    manager = new_manager()
    manager.register(defaults_method, name="defaults")
    manager.register(InTestPredictor(behaviour, 0.9), name="liar")
    choice = IntelligentRouter(manager).choose(small_logo)
    assert [f.reason for f in choice.trail if f.method == "liar"] == [f"prediction failed: PluginError: {says}"]
    assert all(c.predicted_quality is None and c.predicted_bytes is None for c in choice.candidates)


def test_svgai_convert_routes_by_default_and_reports_what_the_router_did(two_colour_path: Path) -> None:
    from svgai.conversion import run_conversion

    report = run_conversion(two_colour_path, method="defaults", target_ssim=0.5, budget_ms=50)
    assert report["method"] == "defaults" and report["params"] == dict(defaults())
    assert report["svg"].rstrip().endswith("</svg>") and report["svg_bytes"] == len(report["svg"].encode())
    assert {"predicted_quality", "predicted_bytes", "timings", "fallbacks", "conversions", "vectorize_ms"} <= set(report)
    with pytest.raises(Exception, match="either explicit parameters"):
        run_conversion(two_colour_path, params=["mode=polygon"], method="defaults")
    with pytest.raises(InvalidParams, match=r"target_ssim=1\.5 is invalid"):
        run_conversion(two_colour_path, target_ssim=1.5)


@pytest.mark.parametrize("ssim_per_kb", [0.0, 0.0005, 0.05])
def test_the_routed_svg_is_the_best_measured_one_at_the_callers_price_for_size(example_logo: Path, ssim_per_kb: float) -> None:
    from svgai.conversion import run_conversion

    report = run_conversion(example_logo, ssim_per_kb=ssim_per_kb)
    tried = report["conversions"]

    def value(c: dict[str, Any]) -> float:  # the defaults' size shifts every value alike, so it is left out
        work = trace_work([c["params"]], report["width"], report["height"])[0]
        return c["quality"] - ssim_per_kb * c["svg_bytes"] / 1000 - Constraints().quality_per_trace * (work - 1)

    # however many candidates were converted (one when the predictor is sure), the best measured one is
    # kept — or VTracer's measured defaults, when nothing beats them by more than the margin
    best = max(map(value, tried))
    plain = [value(c) for c in tried if c["params"] == dict(defaults())]
    assert len(tried) >= 1 and (value(report) == best or (plain == [value(report)] and best - plain[0] <= DEFAULTS_MARGIN))
    with pytest.raises(InvalidParams, match=r"ssim_per_kb=-1\.0 is invalid"):
        run_conversion(example_logo, ssim_per_kb=-1.0)


def test_a_price_on_tracing_time_buys_smaller_enlargements(icon_paths: list[Path]) -> None:
    from svgai.conversion import run_conversion

    python_icon = next(p for p in icon_paths if p.stem == "python")  # 96 px: a 4x enlargement traces 16x the pixels
    free = run_conversion(python_icon, quality_per_trace=0.0)
    dear = run_conversion(python_icon, quality_per_trace=0.5)  # any enlargement would cost >= 1.5 of quality
    assert free["params"]["upscale"] > 1
    assert all(c["params"]["upscale"] == 1 for c in dear["conversions"])
    with pytest.raises(InvalidParams, match=r"quality_per_trace=-0\.1 is invalid"):
        run_conversion(python_icon, quality_per_trace=-0.1)


@pytest.mark.parametrize(("cap", "methods", "converted"), [
    (None, 3, ["m0", "m1", "m2"]),  # a price on size ranks without the defaults' measured size
    (1.5, 3, ["m0", "m1", "defaults"]),  # a size cap needs it
    (None, 1, ["m0", "defaults"]),  # a conversion the methods leave unused goes to the defaults
])
def test_the_defaults_take_a_conversion_of_their_own_only_under_a_size_cap_or_when_one_is_left(
    two_colour_path: Path, cap: float | None, methods: int, converted: list[str]
) -> None:
    manager = new_manager()
    for i in range(methods):
        manager.register(InTestMethod(f"m{i}", "ok", 0.9 - i / 10, None, dict(defaults()) | {"path_precision": 1 + i}),
                         name=f"m{i}")
    routed = IntelligentRouter(manager).route(two_colour_path, Constraints(max_bytes_ratio=cap, max_conversions=3))
    assert [c.method for c, _ in routed.conversions] == converted


def test_routing_never_imports_torch_or_scikit_learn(two_colour_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from svgai.router import IntelligentRouter; "
        f"IntelligentRouter().route({str(two_colour_path)!r}); "
        "print(sorted(m for m in ('torch', 'sklearn', 'stable_baselines3', 'gymnasium') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
