"""The dataset card: what is in a build, measured from its Parquet files, and how it was made."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import PIL
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


SPLITS = ("train", "val", "test", "heldout")


def _per(keys: list[Any], values: np.ndarray) -> dict[str, dict[str, Any]]:
    """``distribution`` of ``values`` grouped by ``keys``."""
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(str(key), []).append(i)
    return {key: distribution(values[rows]) for key, rows in sorted(groups.items())}


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def image_figures(images: pa.Table) -> dict[str, Any]:
    """Counts, sizes, alpha, degradations and storage of the images, per split where it matters."""
    columns = images.select(["source", "split", "kind", "width", "height", "has_alpha", "degradation", "license"]).to_pydict()
    splits, sources = columns["split"], columns["source"]
    long_side = np.maximum(np.asarray(columns["width"]), np.asarray(columns["height"])).astype(np.float64)
    alpha = np.asarray(columns["has_alpha"], dtype=np.float64)
    per_source_split: dict[str, dict[str, int]] = {}
    for source, split in zip(sources, splits, strict=True):
        row = per_source_split.setdefault(source, dict.fromkeys(SPLITS, 0))
        row[split] += 1
    return {
        "images": images.num_rows,
        "images_per_source": _counts(images["source"]),
        "images_per_split": _counts(images["split"]),
        "images_per_source_and_split": dict(sorted(per_source_split.items())),
        "images_per_kind": _counts(images["kind"]),
        "long_side_px": distribution(long_side),
        "long_side_px_per_split": _per(splits, long_side),
        "aspects": dict(sorted(Counter(_aspect(w, h) for w, h in zip(columns["width"], columns["height"], strict=True)).items())),
        "alpha_share": float(alpha.mean()) if len(alpha) else None,
        "alpha_share_per_split": {k: v["mean"] for k, v in _per(splits, alpha).items()},
        "degradations": dict(sorted(Counter(d or "none" for d in columns["degradation"]).items())),
        "licenses": _counts(images["license"]),
        "licenses_per_source": {s: sorted({lic for src, lic in zip(sources, columns["license"], strict=True) if src == s})
                                for s in sorted(set(sources))},
        "stored_mb": {"png": round(pc.sum(pc.binary_length(images["png"])).as_py() / 1e6, 2),
                      "reference_png": round((pc.sum(pc.binary_length(images["reference_png"])).as_py() or 0) / 1e6, 2)},
    }


def _aspect(width: int, height: int) -> str:
    ratio = width / height
    for w, h in ((1, 1), (4, 3), (3, 2), (2, 1), (1, 2), (3, 4)):
        if abs(ratio - w / h) < 0.05 * w / h:
            return f"{w}:{h}"
    return "other"


def label_figures(images: pa.Table, labels: pa.Table) -> dict[str, Any]:
    """Status counts, the score and its parts (overall and per source), and how well the proxy tracks the truth."""
    source_of = dict(zip(images["image_id"].to_pylist(), images["source"].to_pylist(), strict=True))
    split_of = dict(zip(images["image_id"].to_pylist(), images["split"].to_pylist(), strict=True))
    ok = labels.filter(pc.equal(labels["status"], "ok"))
    statuses = labels["status"].to_pylist()
    quality = ok["quality"].to_numpy()
    paired = ok.filter(pc.is_valid(ok["quality_proxy"]))
    truth, proxy = paired["quality"].to_numpy(), paired["quality_proxy"].to_numpy()
    return {
        "labels": labels.num_rows,
        "labels_per_split": dict(sorted(Counter(split_of[i] for i in labels["image_id"].to_pylist()).items())),
        "status": {status: statuses.count(status) for status in STATUSES},
        "reference": _counts(ok["reference"]),
        "quality": distribution(quality),
        "quality_per_source": _per([source_of[i] for i in ok["image_id"].to_pylist()], quality),
        **{part: distribution(ok[part].to_numpy()) for part in ("edge_fidelity", "ssim_scaled", "ssim_1x")},
        "proxy_vs_truth": {
            "rows": paired.num_rows,
            "pearson": _pearson(truth, proxy),
            "mean_abs_difference": float(np.mean(np.abs(truth - proxy))) if paired.num_rows else None,
        },
        "svg_bytes": distribution(ok["svg_bytes"].to_numpy().astype(np.float64)),
        "path_count": distribution(ok["path_count"].to_numpy().astype(np.float64)),
        "convert_ms": distribution(ok["convert_ms"].to_numpy()),
        "measure_ms": distribution(ok["measure_ms"].to_numpy()),
    }


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
    versions = package_versions()
    return {
        **image_figures(images),
        **label_figures(images, labels),
        "icons_dropped": {k: v for k, v in render_counts.items() if k != "rendered"},
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
            "pillow": PIL.__version__,
            "icon_sets": set_versions,
        },
        "settings": settings,
        "command": command,
    }
