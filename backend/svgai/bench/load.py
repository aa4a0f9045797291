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


@dataclass
class Record:
    at_s: float
    kind: str
    ms: float
    ok: bool
    fallbacks: int = 0


@dataclass
class Recorder:
    """Every call's record, and the RSS sampled once per interval (appended from many threads)."""

    records: list[Record] = field(default_factory=list)
    rss: list[tuple[float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


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
            recorder: Recorder) -> None:
    rng = np.random.default_rng(index)
    i = 0
    while time.monotonic() < stop:
        begin = time.perf_counter()
        try:
            kind, fallbacks = call(i, rng)
            ok = True
        except Exception as e:
            kind, fallbacks, ok = "error", 0, False
            recorder.errors.append(f"{type(e).__name__}: {e}")
        recorder.records.append(Record(time.monotonic() - started, kind, (time.perf_counter() - begin) * 1e3, ok, fallbacks))
        i += 1


def _intervals(recorder: Recorder, interval_s: float, duration_s: float) -> list[dict[str, Any]]:
    rows = []
    count = max(1, int(np.ceil(duration_s / interval_s)))
    for k in range(count):
        low, high = k * interval_s, min((k + 1) * interval_s, duration_s)
        inside = [r for r in recorder.records if low <= r.at_s < high or (k == count - 1 and r.at_s >= high)]
        row: dict[str, Any] = {"start_s": low, "end_s": high, "calls_per_s": len(inside) / max(high - low, 1e-9),
                               "errors": sum(not r.ok for r in inside)}
        for kind in ("predict_quality", "router"):
            times = [r.ms for r in inside if r.kind == kind]
            row[kind] = {"calls": len(times), "p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99)}
        row["router"]["fallbacks"] = sum(r.fallbacks for r in inside if r.kind == "router")
        row["rss_mb"] = next((mb for at, mb in recorder.rss if at >= high - 1e-6), recorder.rss[-1][1] if recorder.rss else None)
        rows.append(row)
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
    recorder = Recorder()
    started = time.monotonic()
    stop = started + duration_s
    recorder.rss.append((0.0, rss_mb()))
    workers = [threading.Thread(target=_worker, args=(k, started, stop, call, recorder), daemon=True) for k in range(threads)]
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
    totals: dict[str, Any] = {}
    for kind in ("predict_quality", "router"):
        times = [r.ms for r in recorder.records if r.kind == kind]
        totals[kind] = {"calls": len(times), "calls_per_s": len(times) / duration_s,
                        "p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99)}
    if unavailable:
        totals["predict_quality"]["unavailable"] = unavailable
    return {
        "load_average_end": os.getloadavg()[0],
        "duration_s": duration_s,
        "threads": threads,
        "calls": len(recorder.records),
        "calls_per_s": len(recorder.records) / duration_s,
        "errors": sum(not r.ok for r in recorder.records),
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
        lines.append(f"| {row['start_s']:.0f}–{row['end_s']:.0f} | {row['calls_per_s']:.0f} | {ms(pq['p50_ms'])} / {ms(pq['p99_ms'])} | "
                     f"{ms(ro['p50_ms'])} / {ms(ro['p99_ms'])} | {ro['fallbacks']} | {row['errors']} | {rss} |")
    if result["error_messages"]:
        lines += ["", "First errors:", *(f"- {m}" for m in result["error_messages"])]
    return "\n".join(lines) + "\n"
