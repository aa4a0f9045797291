"""IntelligentRouter: pick VTracer parameters for an image from measured plugin performance.

For one image and its :class:`~svgai.hookspecs.Constraints` the router

1. reads every plugin's ``get_performance_info`` (measured availability, expected quality, latency)
   from a cache (``svgai.plugins.cached_performance``: reused for ``PERFORMANCE_TTL_S``, then refreshed
   in the background); a plugin never asked before is waited for at most ``PERFORMANCE_SHARE`` of the
   budget, so a plugin whose report hangs costs one routing that much, not every routing seconds
   (``warm_up`` waits longer once, for plugins that load a model when first asked);
2. ranks the available methods that fit the time budget by expected quality and calls them in that
   order until one answers, each in its plugin's lane of worker threads (``svgai.supervision``) with a
   fair slice of the time left (``time_slice``): a slow or hung method cannot starve the rest. An
   exception, a time-out, or an answer with NaN, out-of-range, wrongly typed or missing parameters
   counts as that method's failure, goes to the trail, and the next method is asked, ending at
   VTracer's defaults, which always yield parameters. A method whose circuit breaker is open (it
   failed ``FAILURES_TO_OPEN`` times in a row) is skipped for ``COOL_DOWN_S`` seconds. The answer is
   checked inside the worker, so a huge or slow answer is bounded by the same slice; only its first
   ``MAX_PROPOSALS`` parameter sets are read;
3. scores the proposal with the best available quality predictor and orders it by the objective
   (``svgai.methods.objective``);
4. (``route``) converts the best candidate — or, on a predicted near tie, VTracer's defaults — and
   measures it (``measured_quality``). How many more candidates it converts depends on how far the
   predictions can be trusted:

   * confident — every candidate has a prediction from a predictor that reports its measured error
     (``PerformanceInfo.expected_error``: the typical within-image error of its predicted quality,
     ``within_image_median_error`` that ``svgai model validate`` records in ``models/config.json``):
     VTracer's defaults first when the best candidate is not predicted to lead them by more than
     ``DEFAULTS_MARGIN`` (it would not be kept over them if it measured as predicted), the best
     candidate next only if the defaults measure below their prediction by more than the predictor's
     typical error on them (``Choice.settles``). Otherwise the best candidate first; VTracer's defaults
     next, unless the best one's *measured* objective value clears the defaults' predicted value by the
     predictor's typical error on the defaults
     (``PerformanceInfo.defaults_error``; ``Choice.confident_plan``, ``Choice.settles_without_defaults``):
     a choice that measures as well as predicted settles it; one that measures below, or far above,
     its own prediction (the predictor or the proxy misjudged this image) does not;
   * uncertain — no predictor, a predictor without a measured error, or a prediction that failed:
     quality feedback as before — the best candidate of each next-ranked method, VTracer's defaults,
     then the other candidates, while conversions (``max_conversions``) and time (``feedback_ms``) last.

   Either way it stops as soon as a conversion reaches ``target_ssim``, and keeps the best measured one
   — VTracer's defaults, when measured, unless another beats them by more than ``DEFAULTS_MARGIN``;
   when every planned conversion failed, it converts VTracer's defaults as the last level.

Plugins see the image as a read-only array backed by immutable bytes (``frozen``): a plugin that
writes into it fails like any other failing plugin, and the router converts the image it loaded.
Every decision and fallback is a structlog event and an entry of the result's trail.
"""

from __future__ import annotations

import functools
import itertools
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pluggy

from svgai.errors import PluginError, RenderError, VectorizeError
from svgai.hookspecs import Constraints, PerformanceInfo, Scorer, Scores
from svgai.images import ImageSource, load_image, load_rgba
from svgai.log import get_logger
from svgai.methods.objective import rank, trace_work
from svgai.params import VTRACER_NAMES, VTracerParams, defaults, validate
from svgai.plugins import (
    PERFORMANCE_TIMEOUT_S,
    cached_performance,
    call_plugin,
    call_within,
    get_plugins,
    implementers,
    predictor_names,
)
from svgai.plugins import performance_of as performance_of  # re-exported: the live figures next to the router
from svgai.quality import Conversion, Reference, convert
from svgai.routed import Candidate, Choice, Routed, Trail, measured_quality, prefer_defaults
from svgai.scoring import PredictorScorer, build_scorer
from svgai.supervision import supervision_of

log = get_logger("router")
LAST_LEVEL = "defaults"
DEFAULT_CONSTRAINTS = Constraints()
PERFORMANCE_SHARE = 0.5
"""At most this share of the budget is spent waiting for plugins that never reported their performance."""
MIN_SLICE_MS = 10.0
"""The least time a method is given (unless less is left in the budget)."""
LATENCY_SLACK = 2.0
"""A method whose p95 latency is measured gets up to this many times it (within its fair share's cap)."""
MAX_PROPOSALS = 64
"""Parameter sets read from one answer; the rest are ignored unchecked (checking 300,000 would take seconds)."""


_references = ThreadPoolExecutor(thread_name_prefix="svgai-reference")
"""Builds each route's reference while its parameters are chosen (the predictor and much of the reference's
image work run outside Python's lock, so on two cores the two overlap)."""


def check_proposal(output: Any) -> list[VTracerParams]:
    """A method's first ``MAX_PROPOSALS`` parameter sets, validated; ``PluginError`` says what broke the contract."""
    if not isinstance(output, list | tuple) or not output:
        raise PluginError(f"proposed {type(output).__name__} instead of a non-empty list of parameter sets")
    checked = []
    for params in output[:MAX_PROPOSALS]:
        if not isinstance(params, Mapping):
            raise PluginError(f"proposed a {type(params).__name__} instead of a parameter mapping")
        missing = [name for name in VTRACER_NAMES if name not in params]  # ``upscale`` may be left out (1)
        if missing:
            raise PluginError(f"proposed parameters without {', '.join(missing)}")
        checked.append(validate(params))
    return checked


def frozen(rgb: np.ndarray) -> np.ndarray:
    """A copy of ``rgb`` that nobody can write into, not even by setting ``flags.writeable`` back."""
    return np.frombuffer(rgb.tobytes(), dtype=rgb.dtype).reshape(rgb.shape)


def time_slice(remaining_s: float, methods_left: int, p95_ms: float | None) -> float:
    """Seconds the next of ``methods_left`` methods may take out of ``remaining_s``.

    The last method gets all that is left. Any other gets its fair share (``remaining / methods_left``),
    at least ``MIN_SLICE_MS``, more when its measured p95 latency asks for it (``LATENCY_SLACK`` × p95,
    or as much as allowed when it was never measured) — but never more than half of what is left,
    so the methods after it always keep the other half.
    """
    if methods_left <= 1:
        return remaining_s
    wanted = remaining_s if p95_ms is None else LATENCY_SLACK * p95_ms / 1e3
    return min(max(remaining_s / methods_left, MIN_SLICE_MS / 1e3, wanted), remaining_s / 2)


def _propose(manager: pluggy.PluginManager, name: str, image: np.ndarray, constraints: Constraints,
             scorer: Scorer | None) -> list[VTracerParams]:
    """Method ``name``'s checked answer; runs in its worker thread, so the check is timed with the call."""
    return check_proposal(call_plugin(manager, name, "propose_params", image=image, constraints=constraints, scorer=scorer))


class IntelligentRouter:
    """Chooses parameters with the plugins of ``manager`` (default: the process-wide plugins).

    Routers over the same manager share its plugins' worker lanes, circuit breakers and cached
    performance info (``svgai.supervision``), so creating a router per image costs nothing.
    """

    def __init__(self, manager: pluggy.PluginManager | None = None) -> None:
        self.manager = manager if manager is not None else get_plugins().manager
        self.supervision = supervision_of(self.manager)

    def method_names(self) -> list[str]:
        """The plugins that propose parameters."""
        return implementers(self.manager, "propose_params")

    def warm_up(self, timeout_s: float = PERFORMANCE_TIMEOUT_S) -> None:
        """Ask every plugin for its performance info now, all at once, and wait up to ``timeout_s`` for the answers.

        A plugin that loads a model when first asked gets the time to do so before the first route
        (a one-shot command calls this first), and the cache holds what every plugin says now;
        routing itself waits for at most ``PERFORMANCE_SHARE`` of its budget.
        """
        cached_performance(self.manager, self.method_names() + predictor_names(self.manager), timeout_s, fresh=True)

    def choose(self, image: ImageSource, constraints: Constraints = DEFAULT_CONSTRAINTS, *, method: str | None = None) -> Choice:
        """Choose parameters for ``image`` without converting it; never raises for a valid image."""
        raster = load_rgba(image)
        return self._choose(frozen(load_image(raster)), frozen(raster), _path_of(image), constraints, method)

    def route(
        self,
        image: ImageSource,
        constraints: Constraints = DEFAULT_CONSTRAINTS,
        *,
        method: str | None = None,
        timeout_s: float | None = None,
    ) -> Routed:
        """Choose, convert and measure; more conversions only where the predictions are uncertain.

        Conversions trace the image with its transparency and are judged against one reference built
        for the image (``svgai.quality.Reference``: the proxy, see docs/quality.md).
        """
        raster = load_rgba(image)
        rgb = frozen(load_image(raster))
        building = _references.submit(Reference.of, raster)  # beside the choosing: neither needs the other
        choice = self._choose(rgb, frozen(raster), _path_of(image), constraints, method)
        judged_against = building.result()
        trail = Trail(choice.trail)
        started = time.perf_counter()
        tried: list[tuple[Candidate, Conversion]] = []
        failures: dict[str, str] = {}  # method -> its last conversion error
        defaults_failure: str | None = None
        unmeasured: tuple[Candidate, Conversion] | None = None
        fallback = Candidate(defaults(), LAST_LEVEL)  # converted only when every planned conversion failed
        for candidate in itertools.chain(self._plan(choice, rgb, constraints, trail, tried), [fallback]):
            # a planned conversion of the defaults already succeeded (tried, unmeasured) or failed
            if candidate is fallback and (tried or unmeasured is not None or defaults_failure is not None):
                break
            spent_ms = (time.perf_counter() - started) * 1e3
            if tried and (len(tried) >= constraints.max_conversions or spent_ms >= constraints.feedback_ms):
                break
            if (tried and constraints.target_ssim is not None
                    and max(measured_quality(c) for _, c in tried) >= constraints.target_ssim):
                break
            try:
                conversion = convert(judged_against, candidate.params, timeout_s=timeout_s)
            except (VectorizeError, RenderError) as e:
                trail.add(candidate.method, f"conversion failed: {e}")
                failures[candidate.method] = str(e)
                if candidate.params == defaults():  # proposed by any method, not only the last level
                    defaults_failure = str(e)
                continue
            if conversion.measure_error is not None:
                trail.add(candidate.method, f"measuring failed: {conversion.measure_error}")
                unmeasured = unmeasured or (candidate, conversion)
                continue
            log.info("converted", method=candidate.method, quality=measured_quality(conversion),
                     svg_bytes=conversion.svg_bytes, predicted_quality=candidate.predicted_quality,
                     vectorize_ms=conversion.vectorize_ms)
            tried.append((candidate, conversion))
        if not tried and unmeasured is not None:  # an SVG nobody could measure beats none at all
            return Routed(choice, *unmeasured, [unmeasured], (time.perf_counter() - started) * 1e3, trail.entries)
        if not tried:
            cause = defaults_failure or next(iter(failures.values()), "no candidate was tried")
            raise VectorizeError(f"no candidate could be converted, VTracer's defaults included ({len(failures)} "
                                 f"method(s) failed; the defaults: {cause})")
        # the measured size of the defaults' SVG when it was converted, else its prediction
        plain = next((i for i, (c, _) in enumerate(tried) if c.params == defaults()), None)
        reference = choice.reference_bytes if plain is None else float(tried[plain][1].svg_bytes)
        work = choice.trace_work([c.params for c, _ in tried])
        order = rank(np.array([measured_quality(v) for _, v in tried]), np.array([v.svg_bytes for _, v in tried]),
                     constraints, reference, work)
        chosen, conversion = tried[prefer_defaults(order, tried, plain, constraints, reference, work)]
        log.info("routed", method=chosen.method, quality=measured_quality(conversion), svg_bytes=conversion.svg_bytes,
                 conversions=len(tried))
        return Routed(choice, chosen, conversion, tried, (time.perf_counter() - started) * 1e3, trail.entries)

    def _plan(self, choice: Choice, rgb: np.ndarray, constraints: Constraints, trail: Trail,
              tried: list[tuple[Candidate, Conversion]]) -> Iterator[Candidate]:
        """The candidates to convert, in order: the confident plan when the predictions are trusted, else
        feedback. Lazy: ``tried`` holds the measured conversions of the candidates yielded so far."""
        confident = choice.confident_plan(constraints)
        log.info("conversion_plan", plan="feedback" if confident is None else "confident", predictor=choice.predictor,
                 error=choice.predictor_error, defaults_error=choice.defaults_error)
        if confident is None:
            yield from self._feedback_plan(choice, rgb, constraints, trail)
            return
        first, *rest = confident
        yield first
        if rest and tried and tried[-1][0] is first and choice.settles(tried[-1][1], constraints):
            log.info("second_not_converted", method=rest[0].method,
                     reason="the first conversion measured as predicted and settles the choice")
            return
        yield from rest

    def _feedback_plan(self, choice: Choice, rgb: np.ndarray, constraints: Constraints, trail: Trail) -> Iterator[Candidate]:
        """Candidates to convert, in order: the choice's best; the best of each next-ranked method (asked
        lazily, so only as many as conversions allow); VTracer's defaults; then the choice's other candidates.

        The defaults get a conversion of their own only under a size cap, which needs their measured
        size; otherwise they are converted only when the methods leave a conversion unused (the price on
        size shifts every candidate's objective alike, so the ranking needs no measured reference).
        """
        own = [c for c in choice.candidates if c.params != defaults()]
        last = next(c for c in choice.candidates if c.params == defaults()) if len(own) < len(choice.candidates) else None
        seen = [c.params for c in choice.candidates]
        yield from own[:1]
        reserved = 1 if constraints.max_bytes_ratio is not None else 0
        slots = constraints.max_conversions - reserved - len(own[:1])
        for name in choice.untried:
            if slots <= 0:
                break
            extra = self._first_fresh(name, rgb, constraints, choice.scorer, seen, trail)
            if extra is not None:
                seen.append(extra.params)
                slots -= 1
                yield extra
        yield last if last is not None else Candidate(defaults(), LAST_LEVEL)
        yield from own[1:]

    def _first_fresh(self, name: str, rgb: np.ndarray, constraints: Constraints, scorer: PredictorScorer | None,
                     seen: list[VTracerParams], trail: Trail) -> Candidate | None:
        """Method ``name``'s best candidate not seen yet, with its prediction; failures go to the trail."""
        proposal = self._ask(name, rgb, constraints, scorer, constraints.feedback_ms / 1e3, trail)
        fresh = next((p for p in proposal or [] if p not in seen), None)
        log.info("feedback_candidate", method=name, fresh=fresh is not None)
        if fresh is None:
            return None
        if scorer is None:
            return Candidate(fresh, name)
        try:
            scores: Scores = call_within(self.manager, scorer.name, lambda: scorer([fresh]), constraints.feedback_ms / 1e3)
        except Exception as e:
            trail.add(scorer.name, f"prediction failed: {type(e).__name__}: {e}")
            return Candidate(fresh, name)
        return Candidate(fresh, name, float(scores.quality[0]), float(scores.svg_bytes[0]) if np.isfinite(scores.svg_bytes[0]) else None)

    def _ask(self, name: str, rgb: np.ndarray, constraints: Constraints, scorer: PredictorScorer | None,
             timeout_s: float, trail: Trail) -> list[VTracerParams] | None:
        """Method ``name``'s checked proposal within ``timeout_s``, or ``None`` (the reason goes to the trail)."""
        breaker = self.supervision.breaker(name)
        refused = breaker.open_reason()
        if refused is not None:
            trail.add(name, f"skipped: circuit open ({refused})")
            return None
        try:
            proposal: list[VTracerParams] = call_within(
                self.manager, name, functools.partial(_propose, self.manager, name, rgb, constraints, scorer), timeout_s)
        except Exception as e:
            breaker.record(ok=False)
            trail.add(name, f"{type(e).__name__}: {e}")
            return None
        breaker.record(ok=True)
        return proposal

    def _choose(self, rgb: np.ndarray, raster: np.ndarray, image_path: str | None, constraints: Constraints,
                method: str | None) -> Choice:
        started = time.perf_counter()
        deadline = started + constraints.budget_ms / 1e3
        names = self.method_names()
        if method is not None and method not in names:
            raise PluginError(f"no method named {method!r}; available: {', '.join(names) or 'none'}")
        trail = Trail()
        infos = cached_performance(self.manager, names + predictor_names(self.manager),
                                   PERFORMANCE_SHARE * constraints.budget_ms / 1e3)
        scorer = build_scorer(self.manager, infos, raster, image_path, trail.add)
        prepared = time.perf_counter()
        ranked = self._rank([method] if method else names, infos, scorer is not None, constraints, trail, method is not None)
        proposal: list[VTracerParams] | None = None
        source = LAST_LEVEL
        untried: list[str] = []
        for i, name in enumerate(ranked):
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                for skipped in ranked[i:]:
                    trail.add(skipped, "not called: no time left in the budget")
                break
            timeout_s = time_slice(remaining, len(ranked) - i, infos[name]["latency_p95_ms"])
            proposal = self._ask(name, rgb, constraints, scorer, timeout_s, trail)
            if proposal is not None:
                source = name
                untried = ranked[i + 1 :]
                break
        proposal = proposal or []
        log.info("method_used", method=source, candidates=len(proposal) or 1)
        candidates = [Candidate(p, source) for p in proposal]
        if defaults() not in proposal:
            candidates.append(Candidate(defaults(), LAST_LEVEL))
        size = (rgb.shape[1], rgb.shape[0])
        candidates, reference = self._score(candidates, scorer, deadline, constraints, trail, size, reorder=method is None)
        info = infos.get(scorer.name) if scorer is not None else None
        return Choice(candidates, scorer.name if scorer else None, reference, (prepared - started) * 1e3,
                      (time.perf_counter() - prepared) * 1e3, trail.entries, untried, scorer,
                      None if info is None else info["expected_error"], None if info is None else info.get("defaults_error"),
                      size)

    @staticmethod
    def _rank(names: Sequence[str], infos: Mapping[str, PerformanceInfo], have_scorer: bool,
              constraints: Constraints, trail: Trail, forced: bool) -> list[str]:
        usable = []
        for name in names:
            info = infos[name]
            p95 = info["latency_p95_ms"]
            if not info["available"]:
                trail.add(name, f"unavailable: {info['reason']}")
            elif info["needs_predictor"] and not have_scorer:
                trail.add(name, "unavailable: needs a quality predictor and none is available")
            elif not forced and p95 is not None and p95 > constraints.budget_ms:
                trail.add(name, f"not called: p95 latency {p95:.1f} ms exceeds the {constraints.budget_ms:g} ms budget")
            else:
                usable.append(name)
        usable.sort(key=lambda n: (infos[n]["expected_quality"] is None, -(infos[n]["expected_quality"] or 0.0)))
        log.info("methods_ranked", order=usable)
        return usable

    def _score(self, candidates: list[Candidate], scorer: PredictorScorer | None, deadline: float,
               constraints: Constraints, trail: Trail, size: tuple[int, int], *,
               reorder: bool) -> tuple[list[Candidate], float | None]:
        """Predict every candidate's quality (defaults first, as the size reference) and order them."""
        if scorer is None:
            return candidates, None
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            trail.add(scorer.name, "prediction skipped: no time left in the budget")
            return candidates, None
        try:
            scores: Scores = call_within(self.manager, scorer.name,
                                         lambda: scorer([defaults(), *(c.params for c in candidates)]), remaining)
        except Exception as e:
            trail.add(scorer.name, f"prediction failed: {type(e).__name__}: {e}")
            return candidates, None
        reference = float(scores.svg_bytes[0]) if np.isfinite(scores.svg_bytes[0]) else None
        scored = [
            Candidate(c.params, c.method, float(s), float(b) if np.isfinite(b) else None)
            for c, s, b in zip(candidates, scores.quality[1:], scores.svg_bytes[1:], strict=True)
        ]
        if reorder:
            work = trace_work([c.params for c in candidates], *size)
            scored = [scored[i] for i in rank(scores.quality[1:], scores.svg_bytes[1:], constraints, reference, work)]
        return scored, reference


def _path_of(image: ImageSource) -> str | None:
    return os.fspath(image) if isinstance(image, str | os.PathLike) else None
