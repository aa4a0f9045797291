"""Hostile plugins on a real router: read-only images, hung or slow calls, huge answers, circuit breakers.

Each plugin here is a real distribution with an ``svgai`` entry point (``install_plugin``), loaded
with the built-ins by ``load_plugins`` and routed on a real image.
"""

from __future__ import annotations

import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from svgai.hookspecs import Constraints, hookimpl
from svgai.images import load_image
from svgai.params import defaults
from svgai.plugins import cached_performance, load_plugins, new_manager, predictor_names
from svgai.quality import convert
from svgai.router import IntelligentRouter, time_slice
from svgai.supervision import CONCURRENT_CALLS, Busy, Lane

BUDGET_MS = 100.0
TOLERANCE_MS = 150.0
"""Stated tolerance over the choosing budget: thread start/join and scheduling on a busy 2-core VM."""

PLUGIN = """
import threading, time
from svgai.hookspecs import hookimpl
from svgai.params import defaults

RELEASE = threading.Event()  # the test sets it at the end, so that hung calls return
HANG_REPORT = False

@hookimpl
def get_performance_info():
    if HANG_REPORT:
        RELEASE.wait(60)
    return dict(available=True, reason=None, expected_quality=1.0, quality_source="in-test", latency_p50_ms=None,
                latency_p95_ms=None, calls=0, failures=0, needs_predictor=False)
"""


@pytest.fixture
def hostile(install_plugin: Callable[[str, str], None]) -> Iterator[Callable[[str], IntelligentRouter]]:
    """``hostile(hooks)``: a router over the built-ins plus one in-test plugin ``svgai_test_hostile`` ranked first."""
    installed: list[str] = []

    def make(hooks: str) -> IntelligentRouter:
        install_plugin("svgai_test_hostile", PLUGIN + textwrap.dedent(hooks))
        installed.append("svgai_test_hostile")
        plugins = load_plugins()
        assert not plugins.broken, plugins.broken
        router = IntelligentRouter(plugins.manager)
        # the built-ins load their models before anything is timed (a slow machine takes over 0.5 s);
        # the in-test plugin gets the short warm-up a hung report must not stretch
        built_ins = [n for n in router.method_names() + predictor_names(plugins.manager) if n != "svgai_test_hostile"]
        cached_performance(plugins.manager, built_ins, 60.0, fresh=True)
        cached_performance(plugins.manager, ["svgai_test_hostile"], 0.5, fresh=True)
        return router

    yield make
    for name in installed:
        module = sys.modules.get(name)
        if module is not None:
            module.RELEASE.set()


def test_a_plugin_that_writes_into_the_image_fails_alone_and_the_router_converts_the_unaltered_image(
    hostile: Callable[[str], IntelligentRouter], two_colour_path: Path
) -> None:
    router = hostile("""
        @hookimpl
        def propose_params(image):
            image.flags.writeable = True  # refused: the array is backed by immutable bytes
            image[:] = 0
            return [defaults()]
        """)
    routed = router.route(two_colour_path, Constraints(budget_ms=2_000.0))
    reasons = [f.reason for f in routed.trail if f.method == "svgai_test_hostile"]
    assert len(reasons) == 1 and "WRITEABLE" in reasons[0]
    assert routed.chosen.method != "svgai_test_hostile"
    again = convert(load_image(two_colour_path), routed.chosen.params)
    assert routed.conversion.ssim == pytest.approx(again.ssim) and routed.conversion.svg_bytes == again.svg_bytes


@pytest.mark.parametrize("breaker", ["on", "off"])
def test_a_hung_method_costs_a_bounded_number_of_threads_and_never_more_than_the_budget(
    hostile: Callable[[str], IntelligentRouter], two_colour_path: Path, breaker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if breaker == "off":  # a breaker that closes at once: every call reaches the plugin's lane
        monkeypatch.setattr("svgai.supervision.COOL_DOWN_S", 0.0)
    router = hostile("""
        @hookimpl
        def propose_params():
            RELEASE.wait(60)
            return [defaults()]
        """)
    threads_before = threading.active_count()
    took_ms, reasons, starved = [], [], []
    for _ in range(100):
        started = time.perf_counter()
        choice = router.choose(two_colour_path, Constraints(budget_ms=BUDGET_MS))
        took_ms.append((time.perf_counter() - started) * 1e3)
        reasons += [f.reason for f in choice.trail if f.method == "svgai_test_hostile"]
        starved.append([f.method for f in choice.trail if f.reason == "not called: no time left in the budget"])
        assert choice.candidates[0].method != "svgai_test_hostile"
    assert threading.active_count() <= threads_before + CONCURRENT_CALLS
    # a hung call would hold its caller for RELEASE's 60 s; one call in the hundred may still be paused by
    # the machine itself (a garbage-collection pass, the scheduler of a shared VM), never two
    took_ms.sort()
    assert took_ms[-2] <= BUDGET_MS + TOLERANCE_MS and took_ms[-1] <= 10 * (BUDGET_MS + TOLERANCE_MS), took_ms[-3:]
    # the hung method took only its slice: the methods after it were still called (but in that one paused call)
    assert sum(bool(methods) for methods in starved) <= 1, [m for m in starved if m]
    if breaker == "on":  # three time-outs open the breaker; after that the method is skipped without a call
        assert [r.startswith("TimedOut") for r in reasons[:3]] == [True] * 3, reasons[:4]
        assert all(r.startswith("skipped: circuit open (3 consecutive failures") for r in reasons[3:])
    else:  # its hung calls hold the lane's threads; then it is refused at once
        assert [r.startswith("TimedOut") for r in reasons[:CONCURRENT_CALLS]] == [True] * CONCURRENT_CALLS
        assert set(reasons[CONCURRENT_CALLS:]) == {f"Busy: refused: its {CONCURRENT_CALLS} earlier calls are still running"}
    started = time.perf_counter()
    routed = router.route(two_colour_path, Constraints(budget_ms=BUDGET_MS))
    assert (time.perf_counter() - started) * 1e3 <= BUDGET_MS + TOLERANCE_MS + routed.convert_ms


def test_a_hung_performance_report_costs_a_part_of_one_budget_not_every_route(
    hostile: Callable[[str], IntelligentRouter], two_colour_path: Path
) -> None:
    router = hostile("""
        HANG_REPORT = True

        @hookimpl
        def propose_params():
            return [defaults()]
        """)
    reasons = []
    for _ in range(10):
        started = time.perf_counter()
        choice = router.choose(two_colour_path, Constraints(budget_ms=BUDGET_MS))
        assert (time.perf_counter() - started) * 1e3 <= BUDGET_MS + TOLERANCE_MS
        reasons.append(next(f.reason for f in choice.trail if f.method == "svgai_test_hostile"))
        assert choice.candidates[0].method != "svgai_test_hostile"
    # asked again while unavailable, until its hung reports hold every thread of its lane: then refused at once
    waited = "unavailable: get_performance_info did not answer within"
    refused = f"unavailable: get_performance_info refused: its {CONCURRENT_CALLS} earlier calls are still running"
    assert all(r.startswith(waited) for r in reasons[: CONCURRENT_CALLS - 1]) and set(reasons[CONCURRENT_CALLS:]) == {refused}


@pytest.mark.parametrize(("answer", "accepted"), [
    ("[defaults()] * 300_000", True),  # only the first MAX_PROPOSALS sets are read
    ("[Slow(defaults())]", False),  # every key takes 50 ms: checked inside the time limit
])
def test_huge_or_slow_answers_are_checked_within_the_time_limit(
    hostile: Callable[[str], IntelligentRouter], two_colour_path: Path, answer: str, accepted: bool
) -> None:
    router = hostile(f"""
        from collections.abc import Mapping

        class Slow(Mapping):
            def __init__(self, params):
                self.params = params
            def __getitem__(self, key):
                time.sleep(0.05)
                return self.params[key]
            def __iter__(self):
                return iter(self.params)
            def __len__(self):
                return len(self.params)

        @hookimpl
        def propose_params():
            return {answer}
        """)
    started = time.perf_counter()
    choice = router.choose(two_colour_path, Constraints(budget_ms=BUDGET_MS))
    assert (time.perf_counter() - started) * 1e3 <= BUDGET_MS + TOLERANCE_MS
    if accepted:
        assert choice.candidates[0].method == "svgai_test_hostile" and choice.candidates[0].params == defaults()
    else:
        assert any(f.method == "svgai_test_hostile" and f.reason.startswith("TimedOut") for f in choice.trail)


def test_a_lane_holds_at_most_its_slots_and_refuses_the_rest() -> None:
    release = threading.Event()
    lane = Lane("in-test")
    threads_before = threading.active_count()
    refused = 0
    for _ in range(100):
        try:
            lane.submit(lambda: release.wait(10))
        except Busy:
            refused += 1
    assert refused == 100 - CONCURRENT_CALLS and threading.active_count() == threads_before + CONCURRENT_CALLS
    release.set()
    # the finished calls' workers take the next calls: no thread is started per call
    assert [lane.call(lambda i=i: i, timeout_s=5.0) for i in range(200)] == list(range(200))
    assert threading.active_count() == threads_before + CONCURRENT_CALLS


def test_a_failing_method_is_skipped_while_its_breaker_is_open_then_tried_again(
    small_logo: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("svgai.supervision.COOL_DOWN_S", 0.3)
    calls: list[int] = []

    class Failing:
        @hookimpl
        def get_performance_info(self) -> dict[str, object]:
            return dict(available=True, reason=None, expected_quality=1.0, quality_source="in-test",
                        latency_p50_ms=None, latency_p95_ms=None, calls=0, failures=0, needs_predictor=False)

        @hookimpl
        def propose_params(self) -> list[object]:
            calls.append(1)
            raise RuntimeError("in-test failure")

    from svgai.methods import defaults as defaults_method

    manager = new_manager()
    manager.register(Failing(), name="failing")
    manager.register(defaults_method, name="defaults")
    router = IntelligentRouter(manager)
    reasons = [next(f.reason for f in router.choose(small_logo).trail if f.method == "failing") for _ in range(5)]
    assert len(calls) == 3 and reasons[:3] == ["RuntimeError: in-test failure"] * 3
    assert all(r.startswith("skipped: circuit open (3 consecutive failures; retried in") for r in reasons[3:])
    time.sleep(0.35)
    router.choose(small_logo)
    assert len(calls) == 4  # after the cool-down one call goes through (and, failing, opens it again)
    assert next(f.reason for f in router.choose(small_logo).trail if f.method == "failing").startswith("skipped")


@pytest.mark.parametrize(("remaining", "left", "p95_ms", "expected"), [
    (0.1, 1, 500.0, 0.1),  # the last method gets what is left
    (0.1, 5, None, 0.05),  # never measured: as much as allowed, half of what is left
    (0.1, 5, 5.0, 0.02),  # fast: its fair share
    (0.1, 2, 5.0, 0.05),
    (0.1, 5, 30.0, 0.05),  # slow: twice its p95, capped at half
    (0.015, 5, 1.0, 0.0075),  # the floor, capped at half
])
def test_each_method_gets_a_fair_slice_and_the_rest_keep_half(
    remaining: float, left: int, p95_ms: float | None, expected: float
) -> None:
    assert time_slice(remaining, left, p95_ms) == pytest.approx(expected)
