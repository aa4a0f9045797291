"""What every method plugin shares: running call statistics, its metrics file, its performance info.

A method's expected quality is never a constant in code: ``svgai methods fit`` measures it with real
conversions on validation images and writes ``<name>.json`` in the methods folder
(``svgai.model_folder.methods_dir``); this module reads it.
Latency is the running p50/p95 of this process's real calls, kept by :class:`CallStats`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from svgai.errors import ModelUnavailable
from svgai.hookspecs import PerformanceInfo
from svgai.model_folder import methods_dir

T = TypeVar("T")


class CallStats:
    """Thread-safe running statistics of real calls: a rolling window of latencies plus counts."""

    def __init__(self, window: int = 256) -> None:
        self._latencies_ms: deque[float] = deque(maxlen=window)
        self._lock = threading.Lock()
        self.calls = 0
        self.failures = 0

    @contextmanager
    def timed(self) -> Iterator[None]:
        """Time the enclosed call; an exception counts as a failure and propagates."""
        started = time.perf_counter()
        failed = True
        try:
            yield
            failed = False
        finally:
            self.record((time.perf_counter() - started) * 1e3, failed=failed)

    def record(self, latency_ms: float, *, failed: bool = False) -> None:
        with self._lock:
            self._latencies_ms.append(latency_ms)
            self.calls += 1
            self.failures += int(failed)

    def percentiles(self) -> tuple[float | None, float | None]:
        """(p50, p95) in ms of the calls in the window, or ``(None, None)`` before the first call."""
        with self._lock:
            window = np.fromiter(self._latencies_ms, dtype=np.float64)
        if window.size == 0:
            return None, None
        p50, p95 = np.percentile(window, [50, 95])
        return round(float(p50), 3), round(float(p95), 3)


def read_metrics(name: str) -> dict[str, Any]:
    """The metrics file a fit command wrote for method ``name``; ``ModelUnavailable`` if there is none."""
    path = methods_dir() / f"{name}.json"
    try:
        metrics: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelUnavailable(f"{path} does not exist; create it with `svgai methods fit --only {name}`") from None
    except (OSError, ValueError) as e:
        raise ModelUnavailable(f"{path} cannot be read ({e}); recreate it with `svgai methods fit --only {name}`") from None
    return metrics


def artifact_performance(stats: CallStats, name: str, metrics: Callable[[], dict[str, Any]]) -> PerformanceInfo:
    """Performance of a method that is available exactly when its artifact loads.

    ``metrics()`` loads the artifact and returns its fit metrics; a ``ModelUnavailable`` it raises
    becomes the reason the method is unavailable.
    """
    try:
        found, error = metrics(), None
    except ModelUnavailable as e:
        found, error = None, e
    return performance(stats, error=error, metrics=found, name=name)


def performance(
    stats: CallStats,
    *,
    error: Exception | None,
    metrics: dict[str, Any] | None,
    name: str,
    needs_predictor: bool = False,
) -> PerformanceInfo:
    """Assemble a method's :class:`PerformanceInfo` from its availability check, metrics and stats."""
    p50, p95 = stats.percentiles()
    validation = (metrics or {}).get("validation") or {}
    expected = validation.get("mean_objective")
    return PerformanceInfo(
        available=error is None,
        reason=None if error is None else str(error),
        expected_quality=None if expected is None else float(expected),
        quality_source=(
            f"{methods_dir() / (name + '.json')}: mean objective value (quality with the price on size) of real "
            f"conversions on {validation.get('images')} {validation.get('split')} images under a "
            f"{validation.get('budget_ms')} ms budget ({(metrics or {}).get('command')})"
            if expected is not None
            else None
        ),
        latency_p50_ms=p50,
        latency_p95_ms=p95,
        calls=stats.calls,
        failures=stats.failures,
        needs_predictor=needs_predictor,
    )


def measured_performance(stats: CallStats, name: str, *, needs_predictor: bool = False) -> PerformanceInfo:
    """Performance of a method that needs no artifact: always available, measured once fitted.

    The expected quality is read from ``<methods folder>/<name>.json`` when ``svgai methods fit
    --only NAME`` has measured the method (``None`` before that). A third-party method plugin calls
    this from its ``get_performance_info`` to be ranked by its measured mean objective value like the built-ins.
    """
    try:
        metrics: dict[str, Any] | None = read_metrics(name)
    except ModelUnavailable:
        metrics = None  # never measured: available, with no expected quality to rank by
    return performance(stats, error=None, metrics=metrics, name=name, needs_predictor=needs_predictor)


class Artifact(Generic[T]):
    """A method's artifact loaded on first use and reloaded when its file changes (e.g. after a fit).

    ``load(path)`` turns the file into the runtime object; a missing or broken file raises
    ``ModelUnavailable`` at every use until it is fixed.
    """

    def __init__(self, filename: str, load: Callable[[Path], T]) -> None:
        self.filename = filename
        self._load = load
        self._lock = threading.Lock()
        self._key: tuple[Path, float] | None = None
        self._value: T | None = None

    def get(self) -> T:
        path = methods_dir() / self.filename
        try:
            key = (path, path.stat().st_mtime)
        except FileNotFoundError:
            raise ModelUnavailable(
                f"{path} does not exist; create it with `svgai methods fit`"
            ) from None
        with self._lock:
            if self._key != key or self._value is None:
                try:
                    self._value = self._load(path)
                except ModelUnavailable:
                    raise
                except Exception as e:
                    raise ModelUnavailable(f"{path} cannot be loaded: {type(e).__name__}: {e}") from None
                self._key = key
            return self._value
