"""The dataset card: what is in a build, measured from its Parquet files, and how it was made."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from svgai.dataset.jobs import STATUSES
from svgai.system import package_versions

QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)


@dataclass(frozen=True)
class Throughput:
    """Labels measured by one run of the build and how long that run took."""

    labels: int
    wall_s: float
    workers: int
    executor: str


def distribution(values: np.ndarray) -> dict[str, Any]:
    """Count, mean and quantiles (``q00`` ... ``q100``) of ``values``; ``None`` figures when empty."""
    summary: dict[str, Any] = {"count": len(values), "mean": float(np.mean(values)) if len(values) else None}
    for q in QUANTILES:
        summary[f"q{round(q * 100):02d}"] = float(np.quantile(values, q)) if len(values) else None
    return summary


def _counts(column: pa.ChunkedArray) -> dict[str, int]:
    return dict(sorted(Counter(column.to_pylist()).items()))


def make_card(
    images: pa.Table,
    labels: pa.Table,
    *,
    settings: dict[str, Any],
    set_versions: dict[str, str | None],
    render_counts: dict[str, int],
    throughput: Throughput,
    command: str,
) -> dict[str, Any]:
    """The card of a finished build (every figure computed from ``images`` and ``labels``)."""
    split_of = dict(zip(images["image_id"].to_pylist(), images["split"].to_pylist(), strict=True))
    ok = labels.filter(pc.equal(labels["status"], "ok"))
    per_source_split: dict[str, dict[str, int]] = {}
    for source, split in zip(images["source"].to_pylist(), images["split"].to_pylist(), strict=True):
        row = per_source_split.setdefault(source, {"train": 0, "val": 0, "test": 0})
        row[split] += 1
    versions = package_versions()
    statuses = labels["status"].to_pylist()
    return {
        "images": images.num_rows,
        "labels": labels.num_rows,
        "images_per_source": _counts(images["source"]),
        "images_per_split": _counts(images["split"]),
        "images_per_source_and_split": dict(sorted(per_source_split.items())),
        "labels_per_split": dict(sorted(Counter(split_of[i] for i in labels["image_id"].to_pylist()).items())),
        "icons_dropped": {k: v for k, v in render_counts.items() if k != "rendered"},
        "licenses": _counts(images["license"]),
        "status": {status: statuses.count(status) for status in STATUSES},
        "ssim": distribution(ok["ssim"].to_numpy()),
        "svg_bytes": distribution(ok["svg_bytes"].to_numpy().astype(np.float64)),
        "path_count": distribution(ok["path_count"].to_numpy().astype(np.float64)),
        "convert_ms": distribution(ok["convert_ms"].to_numpy()),
        "throughput": {
            "labels_this_run": throughput.labels,
            "wall_s": round(throughput.wall_s, 3),
            "labels_per_s": round(throughput.labels / throughput.wall_s, 3) if throughput.wall_s > 0 else None,
            "workers": throughput.workers,
            "executor": throughput.executor,
        },
        "versions": {
            "svgai": versions.get("svgai"),
            "vtracer": versions.get("vtracer"),
            "resvg_py": versions.get("resvg_py"),
            "icon_sets": set_versions,
        },
        "settings": settings,
        "command": command,
    }
