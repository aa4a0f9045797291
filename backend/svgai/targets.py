"""The project's measured targets, defined once: ``svgai model validate``, ``svgai bench`` and
``svgai eval routing`` check their figures against these, and docs/targets.md explains them.

Targets are for benchmark commands on the 2-core development VM, never timed tests: each names the
figure a command measures (its key in that command's report), the limit, and what it means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """One target: the figure ``name`` must be at most (or at least) ``limit`` ``unit``."""

    name: str
    """Key of the measured figure in the report of the command that measures it."""
    label: str
    """Short description, as the reports' tables show it."""
    limit: float
    unit: str
    at_most: bool
    meaning: str
    """What exactly is measured, and how."""

    @property
    def bound(self) -> str:
        """The limit as text, e.g. ``≤ 8 ms`` or ``≥ 1000×``."""
        unit = self.unit if self.unit in ("", "×") else f" {self.unit}"
        return f"{'≤' if self.at_most else '≥'} {self.limit:g}{unit}"

    def met(self, value: float | None) -> bool:
        """Whether a measured ``value`` meets the target (an unmeasured one does not)."""
        if value is None:
            return False
        return value <= self.limit if self.at_most else value >= self.limit


PREDICTOR: tuple[Target, ...] = (
    Target("pearson", "Pearson(predicted, real quality), test split", 0.95, "", False,
           "Pearson correlation of the predicted with the measured quality (docs/quality.md) over every "
           "label of the per-image test split (images never seen in training), for the default variant."),
    Target("mae", "MAE of predicted quality, test split", 0.03, "", True,
           "Mean absolute error of the predicted quality over the same labels."),
    Target("within_image_spearman", "within-image Spearman, test split", 0.9, "", False,
           "Mean over test images of the Spearman correlation between predicted and measured quality of "
           "that image's parameter sets: does the predictor order one image's candidates right."),
    Target("size_median_relative_error", "size: median relative error, test split", 0.15, "", True,
           "Median over the test labels of |predicted / real SVG bytes − 1|."),
    Target("heldout_pearson", "Pearson, held-out sources", 0.95, "", False,
           "As `pearson`, on the images of the sources held out of training entirely (leave-source-out)."),
    Target("heldout_mae", "MAE, held-out sources", 0.03, "", True,
           "As `mae`, on the held-out sources."),
    Target("heldout_within_image_spearman", "within-image Spearman, held-out sources", 0.9, "", False,
           "As `within_image_spearman`, on the held-out sources."),
    Target("heldout_size_median_relative_error", "size: median relative error, held-out sources", 0.15, "", True,
           "As `size_median_relative_error`, on the held-out sources."),
    Target("int8_pearson_loss", "Pearson lost by int8 quantisation", 0.01, "", True,
           "Pearson of the fp32 ONNX student minus Pearson of its int8 (QInt8) variant."),
    Target("predict_new_image_p50_ms", "predict_quality, new image: p50", 3.0, "ms", True,
           "One `predict_quality` call on a PNG file not seen before: decode, features, encoder and head."),
    Target("predict_cached_p50_ms", "same image, new params (cached): p50", 0.05, "ms", True,
           "`predict_quality` on an image whose embedding is cached: only the head runs."),
    Target("predict_1024_encoded_p50_ms", "1024 candidates for one image: p50", 2.0, "ms", True,
           "`predict` on one image with 1,024 parameter sets already encoded (the search's batch)."),
    Target("batched_speed_up", "per candidate vs the real loop, batched", 1000.0, "×", False,
           "Time per candidate of the real loop (VTracer + render + measures) divided by the time per "
           "candidate of the 1,024-set batched prediction (bench only)."),
    Target("student_mb", "shipped student (encoder + head)", 2.0, "MB", True,
           "Bytes of the default variant's two ONNX files (encoder + head), the model a user loads; "
           "other variants are not counted."),
    Target("process_peak_rss_mb", "peak RSS of a predicting process", 100.0, "MB", True,
           "Peak resident memory (VmHWM) of a fresh Python process that loads the predictor and scores "
           "1,024 sets; torch must not be imported."),
)

ROUTING: tuple[Target, ...] = (
    Target("quality_gain_vs_presets", "mean quality gain over the best of VTracer's presets", 0.01, "", False,
           "Router's mean measured quality minus that of the best of VTracer's presets (defaults, bw, "
           "poster, photo, each converted, the best per image by the router's objective)."),
    Target("bytes_ratio_vs_defaults", "mean SVG bytes vs VTracer's defaults", 1.0, "×", True,
           "Router's mean SVG size divided by the defaults' on the same images."),
    Target("worse_than_defaults_share", "images worse than the defaults by > 0.005", 0.02, "", True,
           "Share of the images whose routed SVG's quality is more than 0.005 below the defaults'."),
    Target("conversions_per_image", "real conversions per image", 1.5, "", True,
           "Mean number of real conversions (VTracer + measuring) the router ran per image."),
    Target("router_choose_ms_p95", "choosing: p95", 100.0, "ms", True,
           "Time the router spends choosing (methods and predictor), conversions excluded."),
    Target("staircase_share", "staircase (mode=none) outputs on non-pixel-art images", 0.05, "", True,
           "Share of the router's SVGs traced in VTracer's pixel mode among images whose source is not "
           "pixel art: staircases where a designer expects curves."),
    Target("route_p50_vs_defaults_conversion", "route time vs one defaults conversion: p50", 1.5, "×", True,
           "Median time of a whole `route` from the image file (choosing, the reference, every conversion) "
           "divided by the median time of one measured conversion with VTracer's defaults from the same file "
           "(decoding, the reference, VTracer and measuring: what `svgai convert --param ...` does), in the same run."),
)


def check(targets: Sequence[Target], figures: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target whose figure is in ``figures``: its bound, the measured value and whether it is met."""
    return {
        t.name: {"target": t.bound, "measured": figures[t.name], "met": t.met(figures[t.name])}
        for t in targets
        if t.name in figures
    }
