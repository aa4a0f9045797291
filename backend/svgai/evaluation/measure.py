"""One evaluated image: the router's SVG and its honest peers, each converted and measured for real.

The peers are VTracer's defaults and the best of VTracer's own presets (``svgai.params.PRESETS``: bw,
poster, photo, plus the defaults), the preset chosen by the router's objective on measured values
(``svgai.methods.objective``, with the defaults' measured size as the reference) — what a careful user
would get by trying each preset by hand. Optionally the best of N uniformly random parameter sets,
chosen the same way.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from svgai.errors import SvgaiError
from svgai.hookspecs import Constraints
from svgai.methods.objective import rank, trace_work, value
from svgai.params import PRESETS, defaults, preset, sample
from svgai.quality import Conversion, Reference, convert
from svgai.routed import Routed
from svgai.router import IntelligentRouter, measured_quality

PRESET_NAMES = ("defaults", *PRESETS)
APPROACHES = ("router", "defaults", "poster", "presets", "random")


@dataclass(frozen=True)
class EvaluationImage:
    """One image of a dataset split, with the source it came from."""

    image_id: str
    source: str
    png: bytes
    reference_png: bytes | None = None
    """The ground truth at the comparison size (docs/data.md), ``None`` where the image has none."""
    kind: str = "vector"
    """The source's kind (``pixel`` for pixel art, where staircases are right)."""

    def reference(self) -> Reference:
        """What every approach's SVG is judged against: the ground truth, else the proxy."""
        return Reference.of(self.png, scaled=self.reference_png)


def evaluation_images(dataset: Path, limit: int, split: str = "test") -> list[EvaluationImage]:
    """The first ``limit`` images of ``split`` in image_id order (deterministic)."""
    from svgai.dataset.store import read_images

    table = read_images(dataset)
    if table is None:
        raise SvgaiError(f"{dataset}: no images.parquet; build a dataset with `svgai dataset build`")
    columns = [table.column(c).to_pylist() for c in ("image_id", "source", "png", "split")]
    optional = [table.column(c).to_pylist() if c in table.column_names else [default] * table.num_rows
                for c, default in (("reference_png", None), ("kind", "vector"))]
    images = sorted((EvaluationImage(i, s, p, truth, kind)
                     for i, s, p, image_split, truth, kind in zip(*columns, *optional, strict=True) if image_split == split),
                    key=lambda image: image.image_id)
    if not images:
        raise SvgaiError(f"{dataset}: no {split}-split images")
    return images[:limit]


def parts(conversion: Conversion) -> dict[str, Any]:
    """A conversion's measured quality and every measured part of it (``Conversion.summary()``), flat."""
    found: dict[str, Any] = {}
    for key, figure in conversion.summary().items():
        if isinstance(figure, Mapping) and key != "params":
            found |= {f"{key}.{k}": v for k, v in figure.items()}
        elif key != "params":
            found[key] = figure
    return found | {"quality": measured_quality(conversion)}


def best_of(conversions: Mapping[str, Conversion], constraints: Constraints, reference_bytes: float | None,
            size: tuple[int, int]) -> dict[str, Any]:
    """The best of real ``conversions`` of a ``size`` (width, height) raster by the router's objective, with
    their count and total time."""
    names = list(conversions)
    work = trace_work([conversions[n].params for n in names], *size)
    order = rank(np.array([measured_quality(conversions[n]) for n in names]),
                 np.array([conversions[n].svg_bytes for n in names]), constraints, reference_bytes, work)
    best = names[int(order[0])]
    spent_ms = sum(c.vectorize_ms + c.measure_ms for c in conversions.values())
    return parts(conversions[best]) | {"chosen": best, "conversions": len(names), "ms": spent_ms,
                                       "trace_work": float(work[int(order[0])])}


def _predicted_gap(routed: Routed, constraints: Constraints) -> float | None:
    """The predicted objective value of the router's first choice minus that of VTracer's defaults."""
    values, plain = routed.choice.predicted_values(constraints), routed.choice.defaults_index()
    return None if values is None or plain is None else float(values[0] - values[plain])


def evaluate(router: IntelligentRouter, image: EvaluationImage, constraints: Constraints, random_count: int,
             seed: int) -> dict[str, Any]:
    """The router, the defaults, the best preset (and the best random set) on one image, all measured.

    The router gets the image file as a user would give it (its own quality feedback judges against
    the proxy); every approach's SVG is then judged against the image's reference (ground truth where
    the dataset has one), so all are compared on the same footing.
    """
    truth = image.reference()
    started = time.perf_counter()
    routed = router.route(image.png, constraints)
    router_ms = (time.perf_counter() - started) * 1e3
    # the yardstick of the route's time: one measured conversion with the defaults from the same file, as
    # `svgai convert --param ...` runs it (decode, build the reference it is measured against, VTracer, measure)
    started = time.perf_counter()
    plain_by_proxy = convert(Reference.of(image.png), defaults())
    alone_ms = (time.perf_counter() - started) * 1e3
    judged = convert(truth, routed.chosen.params)  # VTracer is deterministic: the same SVG, judged by the truth
    first = routed.choice.candidates[0]
    choice = judged if first.params == routed.chosen.params else convert(truth, first.params)
    presets = {name: convert(truth, preset(name)) for name in PRESET_NAMES}
    reference = float(presets["defaults"].svg_bytes)
    size = truth.raster.shape[1], truth.raster.shape[0]
    work = trace_work([routed.chosen.params, first.params], *size)
    row: dict[str, Any] = {
        "image_id": image.image_id, "source": image.source, "kind": image.kind, "long_side": max(size),
        "router": parts(judged) | {
            "mode": routed.chosen.params["mode"], "upscale": routed.chosen.params["upscale"],
            "svg_bytes_routed": routed.conversion.svg_bytes, "trace_work": float(work[0]),
            "method": routed.chosen.method, "predicted_quality": routed.chosen.predicted_quality,
            "conversions": len(routed.conversions), "ms": router_ms, "choose_ms": routed.choice.choose_ms,
            "convert_ms": routed.convert_ms, "fallbacks": [f.reason for f in routed.trail],
            # the choice before any conversion, judged by the truth, and how far the predictor put it ahead
            # of the defaults: what a different confidence rule would have returned can be read off these
            "choice_quality": choice.quality, "choice_svg_bytes": choice.svg_bytes, "choice_trace_work": float(work[1]),
            "choice_predicted_quality": first.predicted_quality,
            "predicted_gap_to_defaults": _predicted_gap(routed, constraints),
            # what the router itself measured (against the proxy): its choice, and the defaults if converted
            "choice_quality_by_router": next((measured_quality(v) for c, v in routed.conversions if c is first), None),
            "defaults_quality_by_router": next((measured_quality(v) for c, v in routed.conversions
                                                if c.params == defaults() and c is not first), None),
        },
        # the defaults as the router would measure them (against the proxy), whether it converted them or not:
        # with ``choice_quality_by_router``, what any margin for keeping the choice over them would decide
        "defaults": best_of({"defaults": presets["defaults"]}, constraints, reference, size)
        | {"alone_ms": alone_ms, "quality_by_proxy": measured_quality(plain_by_proxy)},
        "poster": best_of({"poster": presets["poster"]}, constraints, reference, size),  # the preset for colour logos
        "presets": best_of(presets, constraints, reference, size),
    }
    if random_count:
        drawn = sample(random_count, method="uniform", seed=seed)
        row["random"] = best_of({f"random-{i}": convert(truth, p) for i, p in enumerate(drawn)}, constraints, reference, size)
    for approach in APPROACHES:
        if approach in row:  # the objective value every approach is ranked by, on the same reference
            measured = row[approach]
            measured["objective"] = float(value(np.array([measured["quality"]]), np.array([measured["svg_bytes"]]),
                                                constraints, reference, np.array([measured["trace_work"]]))[0])
    return row
