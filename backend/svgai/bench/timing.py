"""Timing and memory measurements shared by the benchmarks: percentiles with their spread over repeats."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any, TypedDict

import numpy as np
import psutil


class Figure(TypedDict):
    """One timed operation: percentiles over every call of every repeat, and how repeats differ."""

    calls: int
    repeats: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    repeat_p50_ms: list[float]
    """The p50 of each repeat on its own: their range is the figure's spread."""
    spread_pct: float
    """(max − min) of the per-repeat p50s, as a percentage of the pooled p50."""


def figure(repeats: Sequence[Sequence[float]]) -> Figure:
    """Summarise ``repeats`` (one list of call times in ms per repeat)."""
    pooled = np.concatenate([np.asarray(r, dtype=np.float64) for r in repeats if len(r)])
    p50, p95, p99 = (float(v) for v in np.percentile(pooled, [50, 95, 99]))
    per_repeat = [float(np.median(r)) for r in repeats if len(r)]
    return Figure(
        calls=int(pooled.size),
        repeats=len(per_repeat),
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        mean_ms=float(pooled.mean()),
        repeat_p50_ms=per_repeat,
        spread_pct=100.0 * (max(per_repeat) - min(per_repeat)) / p50 if p50 > 0 else 0.0,
    )


def time_calls(call: Callable[[int], Any], count: int) -> list[float]:
    """Milliseconds of ``call(i)`` for ``i`` in ``range(count)``, each timed on its own."""
    times = []
    for i in range(count):
        started = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - started) * 1e3)
    return times


def measure(call: Callable[[int], Any], count: int, repeats: int, warmup: int = 1) -> Figure:
    """``repeats`` rounds of ``count`` timed calls after ``warmup`` untimed ones."""
    for i in range(warmup):
        call(i)
    return figure([time_calls(call, count) for _ in range(repeats)])


def rss_mb(pid: int | None = None) -> float:
    """Resident set size of a process (this one by default) in MiB."""
    return float(psutil.Process(pid or os.getpid()).memory_info().rss) / 2**20


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile of ``values``, or ``None`` when there are none."""
    return float(np.percentile(values, q)) if values else None


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))
