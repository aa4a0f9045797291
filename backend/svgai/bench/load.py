"""``svgai bench load``: concurrent ``predict_quality`` and router calls for a while, per interval.

Several threads call, over a mix of images, the quality predictor (three calls in four) and the
``IntelligentRouter``'s choice (one in four) until the duration is over. Reported per interval:
calls per second, p50/p99 latency of each kind, errors (there must be none), the router's
fallbacks and the process's RSS — which must stay flat.
"""

from __future__ import annotations

import os
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from svgai.bench.corpus import BenchImage
from svgai.bench.timing import percentile, rss_mb
from svgai.errors import ModelUnavailable
from svgai.params import sample
from svgai.router import IntelligentRouter
from svgai_quality.predictor import LocalQualityPredictor

ROUTER_EVERY = 4
MAX_ERROR_MESSAGES = 5


KINDS = ("predict_quality", "router", "error")


class Calls:
    """One worker's calls as compact columns: a few bytes per call, so that the harness itself does
    not make the process grow while it watches the RSS."""

    def __init__(self) -> None:
        self.at_s = array("d")
        self.ms = array("d")
        self.kind = array("b")
        self.fallbacks = array("i")

    def add(self, at_s: float, kind: str, ms: float, fallbacks: int) -> None:
        self.at_s.append(at_s)
        self.ms.append(ms)
        self.kind.append(KINDS.index(kind))
        self.fallbacks.append(fallbacks)


@dataclass
class Recorder:
    """Each worker's calls, the RSS sampled once per interval, and the first errors."""

    workers: list[Calls]
    rss: list[tuple[float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def column(self, name: str) -> np.ndarray:
        return np.concatenate([np.frombuffer(getattr(w, name), dtype=getattr(w, name).typecode) for w in self.workers])


def _calls(images: list[BenchImage], predictor: LocalQualityPredictor | None,
           router: IntelligentRouter) -> Callable[[int, np.random.Generator], tuple[str, int]]:
    parameter_sets = sample(512, method="uniform", seed=3)

    def call(i: int, rng: np.random.Generator) -> tuple[str, int]:
        image = images[int(rng.integers(len(images)))].path
        if predictor is not None and i % ROUTER_EVERY != ROUTER_EVERY - 1:
            value = predictor.predict_quality(image, parameter_sets[int(rng.integers(len(parameter_sets)))])
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"predicted SSIM {value} outside [0, 1]")
            return "predict_quality", 0
        choice = router.choose(image)
        if not choice.candidates:
            raise ValueError("the router chose no candidate")
        return "router", len(choice.trail)

    return call


def _worker(index: int, started: float, stop: float, call: Callable[[int, np.random.Generator], tuple[str, int]],
            calls: Calls, errors: list[str]) -> None:
    rng = np.random.default_rng(index)
    i = 0
    while time.monotonic() < stop:
        begin = time.perf_counter()
        try:
            kind, fallbacks = call(i, rng)
        except Exception as e:
            kind, fallbacks = "error", 0
            if len(errors) < MAX_ERROR_MESSAGES:
                errors.append(f"{type(e).__name__}: {e}")
        calls.add(time.monotonic() - started, kind, (time.perf_counter() - begin) * 1e3, fallbacks)
        i += 1


def _percentiles(times: np.ndarray) -> dict[str, Any]:
    return {"calls": int(times.size), "p50_ms": percentile(times.tolist(), 50), "p99_ms": percentile(times.tolist(), 99)}


def _intervals(recorder: Recorder, interval_s: float, duration_s: float) -> list[dict[str, Any]]:
    at_s, ms, kind, fallbacks = (recorder.column(c) for c in ("at_s", "ms", "kind", "fallbacks"))
    rows = []
    count = max(1, int(np.ceil(duration_s / interval_s)))
    for k in range(count):
        low, high = k * interval_s, min((k + 1) * interval_s, duration_s)
        inside = (at_s >= low) & ((at_s < high) | (k == count - 1))
        routed = inside & (kind == KINDS.index("router"))
        rows.append({
            "start_s": low, "end_s": high,
            "calls_per_s": int(inside.sum()) / max(high - low, 1e-9),
            "errors": int((inside & (kind == KINDS.index("error"))).sum()),
            "predict_quality": _percentiles(ms[inside & (kind == KINDS.index("predict_quality"))]),
            "router": _percentiles(ms[routed]) | {"fallbacks": int(fallbacks[routed].sum())},
            "rss_mb": next((mb for at, mb in recorder.rss if at >= high - 1e-6), recorder.rss[-1][1] if recorder.rss else None),
        })
    return rows


def run_load(images: list[BenchImage], *, duration_s: float, threads: int, interval_s: float,
             model_dir: Path | None) -> dict[str, Any]:
    """Keep ``threads`` threads calling the predictor and the router for ``duration_s`` seconds."""
    try:
        predictor: LocalQualityPredictor | None = LocalQualityPredictor(model_dir)
        unavailable = None
    except ModelUnavailable as e:
        predictor, unavailable = None, str(e)
    router = IntelligentRouter()
    call = _calls(images, predictor, router)
    warm_rng = np.random.default_rng(0)
    for i in range(2 * ROUTER_EVERY * len(images)):  # every image embedded and routed once before timing
        call(i, warm_rng)
    recorder = Recorder([Calls() for _ in range(threads)])
    started = time.monotonic()
    stop = started + duration_s
    recorder.rss.append((0.0, rss_mb()))
    workers = [threading.Thread(target=_worker, args=(k, started, stop, call, recorder.workers[k], recorder.errors),
                                daemon=True) for k in range(threads)]
    for worker in workers:
        worker.start()
    while (now := time.monotonic()) < stop:
        time.sleep(min(interval_s, stop - now))
        recorder.rss.append((time.monotonic() - started, rss_mb()))
    for worker in workers:
        worker.join()
    recorder.rss.append((time.monotonic() - started, rss_mb()))
    return summarise(recorder, duration_s, threads, interval_s, unavailable)


def summarise(recorder: Recorder, duration_s: float, threads: int, interval_s: float,
              unavailable: str | None) -> dict[str, Any]:
    ms, kind = recorder.column("ms"), recorder.column("kind")
    totals: dict[str, Any] = {}
    for name in ("predict_quality", "router"):
        times = ms[kind == KINDS.index(name)]
        totals[name] = _percentiles(times) | {"calls_per_s": times.size / duration_s}
    if unavailable:
        totals["predict_quality"]["unavailable"] = unavailable
    return {
        "load_average_end": os.getloadavg()[0],
        "duration_s": duration_s,
        "threads": threads,
        "calls": int(ms.size),
        "calls_per_s": ms.size / duration_s,
        "errors": int((kind == KINDS.index("error")).sum()),
        "error_messages": recorder.errors[:MAX_ERROR_MESSAGES],
        "totals": totals,
        "rss_start_mb": recorder.rss[0][1],
        "rss_end_mb": recorder.rss[-1][1],
        "rss_growth_mb": recorder.rss[-1][1] - recorder.rss[0][1],
        "intervals": _intervals(recorder, interval_s, duration_s),
    }


def load_markdown(result: dict[str, Any], command: str, origin: str) -> str:
    """The load test as a Markdown table, one row per interval."""
    def ms(v: float | None) -> str:
        return "–" if v is None else f"{v:.2f}"

    unavailable = result["totals"]["predict_quality"].get("unavailable")
    lines = [
        f"`{command}` — {result['threads']} threads, {result['duration_s']:g} s over images from {origin}: "
        f"{result['calls']:,} calls ({result['calls_per_s']:.0f}/s), **{result['errors']} errors**, RSS "
        f"{result['rss_start_mb']:.0f} → {result['rss_end_mb']:.0f} MB ({result['rss_growth_mb']:+.1f} MB); "
        f"1-minute load average at the end {result['load_average_end']:.1f}.",
        "",
    ]
    if unavailable:
        lines += [f"predict_quality unavailable: {unavailable}", ""]
    lines += ["| interval (s) | calls/s | predict_quality p50 / p99 ms | router p50 / p99 ms | router fallbacks | errors | RSS MB |",
              "|---|---|---|---|---|---|---|"]
    for row in result["intervals"]:
        pq, ro = row["predict_quality"], row["router"]
        rss = "–" if row["rss_mb"] is None else f"{row['rss_mb']:.0f}"
        lines.append(f"| {row['start_s']:g}–{row['end_s']:g} | {row['calls_per_s']:.0f} | {ms(pq['p50_ms'])} / {ms(pq['p99_ms'])} | "
                     f"{ms(ro['p50_ms'])} / {ms(ro['p99_ms'])} | {ro['fallbacks']} | {row['errors']} | {rss} |")
    if result["error_messages"]:
        lines += ["", "First errors:", *(f"- {m}" for m in result["error_messages"])]
    return "\n".join(lines) + "\n"
