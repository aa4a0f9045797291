"""IntelligentRouter: pick VTracer parameters for an image from measured plugin performance.

For one image and its :class:`~svgai.hookspecs.Constraints` the router

1. asks every plugin for ``get_performance_info`` (measured availability, expected quality, latency);
2. ranks the available methods that fit the time budget by expected quality and calls the best one
   in a worker thread with the time left; on an exception, a time-out, or an answer with NaN,
   out-of-range, wrongly typed or missing parameters it falls back to the next, ending at VTracer's
   defaults, which always yield parameters;
3. scores the proposal with the best available quality predictor and orders it by the objective
   (``svgai.methods.objective``);
4. (``route``) vectorizes the best candidate and measures the real SSIM; below the target, with
   conversions and time left, it converts the next candidate and keeps the best measured one.

Every decision and fallback is a structlog event and an entry of the result's trail.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pluggy

from svgai.errors import PluginError, RenderError, VectorizeError
from svgai.hookspecs import Constraints, PerformanceInfo, Scores
from svgai.images import ImageSource, load_image
from svgai.log import get_logger
from svgai.methods.objective import rank
from svgai.params import NAMES, VTracerParams, defaults, validate
from svgai.plugins import call_plugin, call_within, get_plugins, implementers, performance_of
from svgai.quality import Conversion, convert
from svgai.scoring import PredictorScorer, build_scorer

log = get_logger("router")
LAST_LEVEL = "defaults"
DEFAULT_CONSTRAINTS = Constraints()


@dataclass(frozen=True)
class Fallback:
    """One step the router did not take as planned: which plugin, and why."""

    method: str
    reason: str


class Trail:
    """The fallbacks of one routing, appended from worker threads too; each one is logged."""

    def __init__(self) -> None:
        self.entries: list[Fallback] = []
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
    predicted_ssim: float | None = None
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
            "ssim": self.conversion.ssim,
            "svg_bytes": self.conversion.svg_bytes,
            "path_count": self.conversion.path_count,
            "method": self.chosen.method,
            "params": dict(self.chosen.params),
            "predicted_ssim": self.chosen.predicted_ssim,
            "predicted_bytes": self.chosen.predicted_bytes,
            "predictor": self.choice.predictor,
            "timings": {
                "prepare_ms": round(self.choice.prepare_ms, 3),
                "choose_ms": round(self.choice.choose_ms, 3),
                "convert_ms": round(self.convert_ms, 3),
            },
            "conversions": [
                {"method": c.method, "ssim": v.ssim, "svg_bytes": v.svg_bytes, "predicted_ssim": c.predicted_ssim,
                 "predicted_bytes": c.predicted_bytes, "vectorize_ms": round(v.vectorize_ms, 3),
                 "measure_ms": round(v.measure_ms, 3), "params": dict(c.params)}
                for c, v in self.conversions
            ],
            "fallbacks": [{"method": f.method, "reason": f.reason} for f in self.trail],
        }


def check_proposal(output: Any) -> list[VTracerParams]:
    """A method's answer as validated parameter sets; ``PluginError`` says what broke the contract."""
    if not isinstance(output, list | tuple) or not output:
        raise PluginError(f"proposed {type(output).__name__} instead of a non-empty list of parameter sets")
    checked = []
    for params in output:
        if not isinstance(params, Mapping):
            raise PluginError(f"proposed a {type(params).__name__} instead of a parameter mapping")
        missing = [name for name in NAMES if name not in params]
        if missing:
            raise PluginError(f"proposed parameters without {', '.join(missing)}")
        checked.append(validate(params))
    return checked


class IntelligentRouter:
    """Chooses parameters with the plugins of ``manager`` (default: the process-wide plugins)."""

    def __init__(self, manager: pluggy.PluginManager | None = None) -> None:
        self.manager = manager if manager is not None else get_plugins().manager

    def method_names(self) -> list[str]:
        """The plugins that propose parameters."""
        return implementers(self.manager, "propose_params")

    def choose(self, image: ImageSource, constraints: Constraints = DEFAULT_CONSTRAINTS, *, method: str | None = None) -> Choice:
        """Choose parameters for ``image`` without converting it; never raises for a valid image."""
        return self._choose(load_image(image), _path_of(image), constraints, method)

    def route(
        self,
        image: ImageSource,
        constraints: Constraints = DEFAULT_CONSTRAINTS,
        *,
        method: str | None = None,
        timeout_s: float | None = None,
    ) -> Routed:
        """Choose, convert and measure; with quality feedback over the next candidates."""
        rgb = load_image(image)
        choice = self._choose(rgb, _path_of(image), constraints, method)
        trail = Trail()
        trail.entries = list(choice.trail)
        started = time.perf_counter()
        tried: list[tuple[Candidate, Conversion]] = []
        failures: dict[str, str] = {}  # method -> its last conversion error
        defaults_failure: str | None = None
        for candidate in self._feedback_plan(choice, rgb, constraints, trail):
            spent_ms = (time.perf_counter() - started) * 1e3
            if tried and (len(tried) >= constraints.max_conversions or spent_ms >= constraints.feedback_ms):
                break
            if tried and constraints.target_ssim is not None and max(c.ssim for _, c in tried) >= constraints.target_ssim:
                break
            try:
                conversion = convert(rgb, candidate.params, timeout_s=timeout_s)
            except (VectorizeError, RenderError) as e:
                trail.add(candidate.method, f"conversion failed: {e}")
                failures[candidate.method] = str(e)
                if candidate.params == defaults():  # proposed by any method, not only the last level
                    defaults_failure = str(e)
                continue
            log.info("converted", method=candidate.method, ssim=conversion.ssim, svg_bytes=conversion.svg_bytes,
                     predicted_ssim=candidate.predicted_ssim, vectorize_ms=conversion.vectorize_ms)
            tried.append((candidate, conversion))
        if not tried:
            cause = defaults_failure or next(iter(failures.values()), "no candidate was tried")
            raise VectorizeError(f"no candidate could be converted, VTracer's defaults included ({len(failures)} "
                                 f"method(s) failed; the defaults: {cause})")
        # the measured size of the defaults' SVG when it was converted, else its prediction
        reference = next((float(v.svg_bytes) for c, v in tried if c.params == defaults()), choice.reference_bytes)
        order = rank(np.array([v.ssim for _, v in tried]), np.array([v.svg_bytes for _, v in tried]),
                     constraints, reference)
        chosen, conversion = tried[int(order[0])]
        log.info("routed", method=chosen.method, ssim=conversion.ssim, svg_bytes=conversion.svg_bytes,
                 conversions=len(tried))
        return Routed(choice, chosen, conversion, tried, (time.perf_counter() - started) * 1e3, trail.entries)

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
        try:
            proposal = check_proposal(call_within(
                functools.partial(call_plugin, self.manager, name, "propose_params",
                                  image=rgb, constraints=constraints, scorer=scorer),
                constraints.feedback_ms / 1e3,
            ))
        except Exception as e:
            trail.add(name, f"{type(e).__name__}: {e}")
            return None
        fresh = next((p for p in proposal if p not in seen), None)
        log.info("feedback_candidate", method=name, fresh=fresh is not None)
        if fresh is None:
            return None
        try:
            scores = scorer([fresh]) if scorer is not None else None
        except Exception as e:
            trail.add(scorer.name if scorer else name, f"prediction failed: {type(e).__name__}: {e}")
            scores = None
        if scores is None:
            return Candidate(fresh, name)
        return Candidate(fresh, name, float(scores.ssim[0]), float(scores.svg_bytes[0]) if np.isfinite(scores.svg_bytes[0]) else None)

    def _choose(self, rgb: np.ndarray, image_path: str | None, constraints: Constraints, method: str | None) -> Choice:
        started = time.perf_counter()
        names = self.method_names()
        if method is not None and method not in names:
            raise PluginError(f"no method named {method!r}; available: {', '.join(names) or 'none'}")
        trail = Trail()
        infos = {name: performance_of(self.manager, name) for name in dict.fromkeys(names + _predictors(self.manager))}
        scorer = build_scorer(self.manager, infos, rgb, image_path, trail.add)
        prepared = time.perf_counter()
        deadline = prepared + constraints.budget_ms / 1e3
        ranked = self._rank([method] if method else names, infos, scorer is not None, constraints, trail, method is not None)
        proposal: list[VTracerParams] = []
        source = LAST_LEVEL
        untried: list[str] = []
        for i, name in enumerate(ranked):
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                for skipped in ranked[i:]:
                    trail.add(skipped, "not called: no time left in the budget")
                break
            try:
                proposal = check_proposal(call_within(
                    functools.partial(call_plugin, self.manager, name, "propose_params",
                                      image=rgb, constraints=constraints, scorer=scorer),
                    remaining,
                ))
            except Exception as e:
                trail.add(name, f"{type(e).__name__}: {e}")
                continue
            source = name
            untried = ranked[i + 1 :]
            break
        log.info("method_used", method=source, candidates=len(proposal) or 1)
        candidates = [Candidate(p, source) for p in proposal]
        if defaults() not in proposal:
            candidates.append(Candidate(defaults(), LAST_LEVEL))
        candidates, reference = _score(candidates, scorer, deadline, constraints, trail, reorder=method is None)
        return Choice(candidates, scorer.name if scorer else None, reference, (prepared - started) * 1e3,
                      (time.perf_counter() - prepared) * 1e3, trail.entries, untried, scorer)

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


def _predictors(manager: pluggy.PluginManager) -> list[str]:
    return implementers(manager, "predict_candidates") + implementers(manager, "predict_quality")


def _path_of(image: ImageSource) -> str | None:
    return os.fspath(image) if isinstance(image, str | os.PathLike) else None


def _score(candidates: list[Candidate], scorer: PredictorScorer | None, deadline: float, constraints: Constraints,
           trail: Trail, *, reorder: bool) -> tuple[list[Candidate], float | None]:
    """Predict every candidate's quality (defaults first, as the size reference) and order them."""
    if scorer is None:
        return candidates, None
    remaining = deadline - time.perf_counter()
    if remaining <= 0:
        trail.add(scorer.name, "prediction skipped: no time left in the budget")
        return candidates, None
    try:
        scores: Scores = call_within(lambda: scorer([defaults(), *(c.params for c in candidates)]), remaining)
    except Exception as e:
        trail.add(scorer.name, f"prediction failed: {type(e).__name__}: {e}")
        return candidates, None
    reference = float(scores.svg_bytes[0]) if np.isfinite(scores.svg_bytes[0]) else None
    scored = [
        Candidate(c.params, c.method, float(s), float(b) if np.isfinite(b) else None)
        for c, s, b in zip(candidates, scores.ssim[1:], scores.svg_bytes[1:], strict=True)
    ]
    if reorder:
        scored = [scored[i] for i in rank(scores.ssim[1:], scores.svg_bytes[1:], constraints, reference)]
    return scored, reference
