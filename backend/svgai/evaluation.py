"""``svgai eval``: measure what the router's choices are worth, with real conversions only.

``svgai eval routing`` takes test-split images of a dataset and, for each, measures the real SSIM and
SVG bytes of (a) the router's choice, (b) VTracer's defaults, (c) the best of N random parameter sets
(best by the router's own objective, ``svgai.methods.objective``, on measured values), with the time
each took. ``--split val`` runs it on the validation split, where the router's defaults are tuned.

The targets are ``svgai.targets.ROUTING`` (docs/targets.md): a mean SSIM gain over the defaults at
a bounded byte ratio, within a choosing time (the final conversion excluded). Choosing is reported twice: the methods
and predictor alone (``choose_ms``), and with the quality-feedback conversions before the final one
(``choose_and_feedback_ms``).
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import numpy as np
from tqdm import tqdm

from svgai.errors import SvgaiError
from svgai.files import write_atomically
from svgai.hookspecs import Constraints
from svgai.images import load_image
from svgai.log import get_logger
from svgai.methods.objective import rank
from svgai.params import defaults, sample
from svgai.quality import Conversion, convert
from svgai.router import DEFAULT_CONSTRAINTS, IntelligentRouter
from svgai.targets import ROUTING, check

log = get_logger("evaluation")


def evaluation_images(dataset: Path, limit: int, split: str = "test") -> list[tuple[str, bytes]]:
    """``(image_id, png)`` of the first ``limit`` images of ``split`` (in image_id order: deterministic)."""
    from svgai.dataset.store import read_images

    images = read_images(dataset)
    if images is None:
        raise SvgaiError(f"{dataset}: no images.parquet; build a dataset with `svgai dataset build`")
    rows = sorted(
        (image_id, png)
        for image_id, png, image_split in zip(*(images.column(c).to_pylist() for c in ("image_id", "png", "split")), strict=True)
        if image_split == split
    )
    if not rows:
        raise SvgaiError(f"{dataset}: no {split}-split images")
    return rows[:limit]


def best_random(rgb: np.ndarray, count: int, seed: int, constraints: Constraints,
                reference_bytes: float) -> tuple[Conversion, float]:
    """The best (by the router's objective) of ``count`` uniformly random real conversions and their total time (ms)."""
    started = time.perf_counter()
    conversions = [convert(rgb, params) for params in sample(count, method="uniform", seed=seed)]
    order = rank(np.array([c.ssim for c in conversions]), np.array([c.svg_bytes for c in conversions]),
                 constraints, reference_bytes)
    return conversions[int(order[0])], (time.perf_counter() - started) * 1e3


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Means, the router's gain over the defaults, choosing-time percentiles and the target checks."""
    def mean(key: str) -> float:
        values = [r[key] for r in rows if r[key] is not None]
        return float(np.mean(values)) if values else float("nan")

    choose = np.array([r["router_choose_ms"] for r in rows])
    with_feedback = choose + np.array([r["router_feedback_ms"] for r in rows])
    summary: dict[str, Any] = {
        "images": len(rows),
        "router_mean_ssim": mean("router_ssim"), "defaults_mean_ssim": mean("defaults_ssim"),
        "random_best_mean_ssim": mean("random_ssim"),
        "router_mean_bytes": mean("router_bytes"), "defaults_mean_bytes": mean("defaults_bytes"),
        "random_best_mean_bytes": mean("random_bytes"),
        "router_choose_ms_p50": float(np.percentile(choose, 50)), "router_choose_ms_p95": float(np.percentile(choose, 95)),
        "router_choose_ms_mean": float(choose.mean()),
        "router_choose_and_feedback_ms_p50": float(np.percentile(with_feedback, 50)),
        "router_choose_and_feedback_ms_p95": float(np.percentile(with_feedback, 95)),
        "router_convert_ms_mean": mean("router_convert_ms"), "defaults_convert_ms_mean": mean("defaults_ms"),
        "random_convert_ms_mean": mean("random_ms"),
        "methods_used": {m: sum(r["router_method"] == m for r in rows) for m in sorted({r["router_method"] for r in rows})},
    }
    summary["ssim_gain_vs_defaults"] = summary["router_mean_ssim"] - summary["defaults_mean_ssim"]
    summary["bytes_ratio_vs_defaults"] = summary["router_mean_bytes"] / summary["defaults_mean_bytes"]
    summary["targets"] = check(ROUTING, summary)
    return summary


@click.group("eval")
def eval_group() -> None:
    """Measure the router against VTracer's defaults and random search, with real conversions."""


@eval_group.command("routing")
@click.option("--dataset", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("data/dataset"),
              show_default=True, help="A dataset folder.")
@click.option("--split", type=click.Choice(["test", "val"]), default="test", show_default=True,
              help="Which split's images; tune on val, report on test.")
@click.option("--images", "limit", type=int, default=30, show_default=True, help="Images to evaluate.")
@click.option("--random", "random_count", type=click.IntRange(min=0), default=64, show_default=True,
              help="Random conversions per image (0: skip that baseline).")
@click.option("--budget-ms", type=float, default=DEFAULT_CONSTRAINTS.budget_ms, show_default=True,
              help="The router's choosing budget.")
@click.option("--ssim-per-kb", type=click.FloatRange(min=0), default=DEFAULT_CONSTRAINTS.ssim_per_kb, show_default=True,
              help="The router's size preference: SSIM each extra kilobyte over the defaults' SVG must buy.")
@click.option("--max-bytes-ratio", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_CONSTRAINTS.max_bytes_ratio,
              show_default=True, help="The router's size cap (per image, relative to the defaults' SVG; none by default).")
@click.option("--max-conversions", type=int, default=DEFAULT_CONSTRAINTS.max_conversions, show_default=True,
              help="Real conversions the router may run for quality feedback.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the full report as JSON.")
def routing(dataset: Path, split: str, limit: int, random_count: int, budget_ms: float, ssim_per_kb: float,
            max_bytes_ratio: float | None, max_conversions: int, out: Path | None) -> None:
    """Router vs defaults vs best of N random conversions on DATASET's test (or val) split."""
    router = IntelligentRouter()
    constraints = replace(DEFAULT_CONSTRAINTS, budget_ms=budget_ms, ssim_per_kb=ssim_per_kb,
                          max_bytes_ratio=max_bytes_ratio, max_conversions=max_conversions)
    rows = []
    for i, (image_id, png) in enumerate(tqdm(evaluation_images(dataset, limit, split), desc="eval routing", unit="image")):
        rgb = load_image(png)
        routed = router.route(rgb, constraints)
        # the router's own conversion of the defaults when it made one (a size cap, or a conversion left over)
        baseline = next((v for c, v in routed.conversions if c.params == defaults()), None) or convert(rgb)
        best, random_ms = best_random(rgb, random_count, i, constraints, baseline.svg_bytes) if random_count else (None, None)
        rows.append({
            "image_id": image_id, "router_method": routed.chosen.method,
            "router_ssim": routed.conversion.ssim, "router_bytes": routed.conversion.svg_bytes,
            "router_predicted_ssim": routed.chosen.predicted_ssim, "router_conversions": len(routed.conversions),
            "router_choose_ms": routed.choice.choose_ms, "router_convert_ms": routed.convert_ms,
            # quality feedback: every real conversion but the final (chosen) one
            "router_feedback_ms": sum(v.vectorize_ms + v.measure_ms for c, v in routed.conversions if v is not routed.conversion),
            "router_fallbacks": [f.reason for f in routed.trail],
            "defaults_ssim": baseline.ssim, "defaults_bytes": baseline.svg_bytes,
            "defaults_ms": baseline.vectorize_ms + baseline.measure_ms,
            "random_ssim": best and best.ssim, "random_bytes": best and best.svg_bytes, "random_ms": random_ms,
        })
    summary = summarize(rows)
    report = {"command": "svgai " + " ".join(shlex.quote(a) for a in sys.argv[1:]), "dataset": str(dataset), "split": split,
              "constraints": constraints.__dict__, "summary": summary, "images": rows}
    if out is not None:
        write_atomically(out, json.dumps(report, indent=1))
    log.info("routing_evaluated", **{k: v for k, v in summary.items() if k != "targets"})
    click.echo(json.dumps(summary, indent=1))
