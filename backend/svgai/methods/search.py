"""Predictor-guided search: about a thousand candidate parameter sets scored in one batch.

The candidates are a scrambled Sobol sample of the whole space plus the neighbours of VTracer's
defaults; the quality predictor (the router's ``scorer``) predicts the quality and SVG bytes of all of them
at once, and the router's objective (``svgai.methods.objective``) orders them. Needs a predictor.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from svgai.errors import ModelUnavailable
from svgai.hookspecs import Constraints, PerformanceInfo, Scorer, hookimpl
from svgai.methods.base import CallStats, measured_performance
from svgai.methods.objective import rank, trace_work
from svgai.params import CHOICES, NUMBERS, VTracerParams, defaults, encode_many, sample, validate

NAME = "search"
SAMPLES = 1024
RETURNED = 8
_stats = CallStats()


def neighbours(center: VTracerParams) -> list[VTracerParams]:
    """Every set one step away from ``center``: each other choice, each number ±1/16 and ±1/8 of its range."""
    found: list[VTracerParams] = []
    for choice in CHOICES:
        found += [validate({**center, choice.name: c}) for c in choice.choices if c != center[choice.name]]  # type: ignore[literal-required]
    for number in NUMBERS:
        for fraction in (-0.125, -0.0625, 0.0625, 0.125):
            raw = float(center[number.name]) + fraction * (number.high - number.low)  # type: ignore[literal-required]
            value = min(max(raw, number.low), number.high)
            found.append(validate({**center, number.name: round(value) if number.kind is int else round(value, 4)}))
    return found


@functools.cache
def candidates() -> tuple[VTracerParams, ...]:
    """The candidate pool, defaults first (their prediction is the size reference)."""
    return (defaults(), *neighbours(defaults()), *sample(SAMPLES, method="sobol", seed=0))


@functools.cache
def encoded_candidates() -> np.ndarray:
    """The pool in the model encoding, computed once per process (it takes tens of milliseconds)."""
    return encode_many(candidates())


@hookimpl
def get_performance_info() -> PerformanceInfo:
    encoded_candidates()  # built outside the routing budget
    # whether a predictor is registered and loads is checked by svgai.plugins.performance_of
    return measured_performance(_stats, NAME, needs_predictor=True)


@hookimpl
def propose_params(image: np.ndarray, constraints: Constraints, scorer: Scorer | None) -> list[Mapping[str, Any]]:
    with _stats.timed():
        if scorer is None:
            raise ModelUnavailable("predictor-guided search needs a quality predictor and none is available")
        pool = candidates()
        scores = scorer(pool, encoded_candidates())
        order = rank(scores.quality, scores.svg_bytes, constraints, float(np.asarray(scores.svg_bytes)[0]),
                     trace_work(pool, image.shape[1], image.shape[0]))
        return [pool[i] for i in order[:RETURNED]]
