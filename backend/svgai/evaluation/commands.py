"""``svgai eval``: measure what the router's choices are worth, with real conversions only.

``svgai eval routing`` takes a dataset split's images and, for each, converts and measures (a) the
router's choice, (b) VTracer's defaults, (c) the best of VTracer's presets (``svgai.evaluation.measure``)
and, with ``--random N``, (d) the best of N random parameter sets. It reports per approach the measured
quality and each of its parts, bytes, path count, real conversions per image and time, overall and per
source, and how often the router is worse (or better) than each peer by more than 0.005
(``svgai.evaluation.summary``). Tune on ``--split val``, report on ``test``.
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import replace
from pathlib import Path

import click
from tqdm import tqdm

from svgai.evaluation.measure import evaluate, evaluation_images
from svgai.evaluation.summary import summarize
from svgai.files import check_output_path, save
from svgai.log import get_logger
from svgai.router import DEFAULT_CONSTRAINTS, IntelligentRouter

log = get_logger("evaluation")


@click.group("eval")
def eval_group() -> None:
    """Measure the router against VTracer's defaults and presets, with real conversions."""


@eval_group.command("routing")
@click.option("--dataset", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("data/dataset"),
              show_default=True, help="A dataset folder.")
@click.option("--split", type=click.Choice(["test", "val", "heldout", "train"]), default="test", show_default=True,
              help="Which split's images; tune on val (or train: the predictor was fitted on it, the router's "
                   "margins were not), report on test and on the held-out sources.")
@click.option("--images", "limit", type=click.IntRange(min=1), default=30, show_default=True, help="Images to evaluate.")
@click.option("--random", "random_count", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also the best of this many random real conversions per image (0: skip that baseline).")
@click.option("--budget-ms", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_CONSTRAINTS.budget_ms,
              show_default=True, help="The router's choosing budget.")
@click.option("--ssim-per-kb", type=click.FloatRange(min=0), default=DEFAULT_CONSTRAINTS.ssim_per_kb, show_default=True,
              help="The objective's size price: quality each extra kilobyte over the defaults' SVG must buy.")
@click.option("--quality-per-trace", type=click.FloatRange(min=0, max=1, max_open=True),
              default=DEFAULT_CONSTRAINTS.quality_per_trace, show_default=True,
              help="The objective's time price: quality each extra raster's worth of traced pixels must buy.")
@click.option("--max-bytes-ratio", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_CONSTRAINTS.max_bytes_ratio,
              show_default=True, help="The router's size cap (per image, relative to the defaults' SVG; none by default).")
@click.option("--max-conversions", type=click.IntRange(min=1), default=DEFAULT_CONSTRAINTS.max_conversions,
              show_default=True, help="Real conversions the router may run per image.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the full report as JSON.")
def routing(dataset: Path, split: str, limit: int, random_count: int, budget_ms: float, ssim_per_kb: float,
            quality_per_trace: float, max_bytes_ratio: float | None, max_conversions: int, out: Path | None) -> None:
    """Router vs defaults vs the best of VTracer's presets on DATASET's test (val, heldout) split."""
    router = IntelligentRouter()
    router.warm_up()
    constraints = replace(DEFAULT_CONSTRAINTS, budget_ms=budget_ms, ssim_per_kb=ssim_per_kb,
                          quality_per_trace=quality_per_trace,
                          max_bytes_ratio=max_bytes_ratio, max_conversions=max_conversions)
    images = evaluation_images(dataset, limit, split)
    if out is not None:  # checked before minutes of conversions, not after
        out.parent.mkdir(parents=True, exist_ok=True)
        check_output_path(out)
    rows = [evaluate(router, image, constraints, random_count, seed) for seed, image in
            enumerate(tqdm(images, desc="eval routing", unit="image"))]
    summary = summarize(rows)
    report = {"command": "svgai " + " ".join(shlex.quote(a) for a in sys.argv[1:]), "dataset": str(dataset), "split": split,
              "constraints": constraints.__dict__, "summary": summary, "images": rows}
    if out is not None:
        save(out, json.dumps(report, indent=1))
    log.info("routing_evaluated", images=len(rows), targets={k: t["met"] for k, t in summary["all"]["targets"].items()})
    click.echo(json.dumps(summary, indent=1))
