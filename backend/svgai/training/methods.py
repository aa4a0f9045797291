"""Fitting Methods 1 and 2 and measuring every method (Method 3, PPO, is ``svgai.training.policy``).

Reads a dataset built by ``svgai dataset build`` (``images.parquet`` and its labels). For each
training image the *best* labelled parameter set is the one the router's default objective
(``svgai.methods.objective``) ranks first on the measured quality (docs/quality.md) and bytes, with
VTracer's defaults (label set 0) as the size reference. Method 1 fits least-squares formulas from
features to those parameters; Method 2 fits a random forest. Every method is then measured as the
router runs it — under the router's default constraints, time budget included — by converting its
first choice and VTracer's defaults for real on validation-split images and judging both against
the image's reference (the ground truth where the dataset has one): the mean *objective value*
(quality with the price on size) is what the router ranks methods by. ``svgai methods fit``
(``svgai.training.fit``) writes the figures to ``<methods folder>/<name>.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from svgai.errors import SvgaiError
from svgai.features import FEATURE_NAMES, image_features
from svgai.files import write_atomically
from svgai.hookspecs import Constraints
from svgai.images import load_image
from svgai.methods.objective import rank, trace_work, value
from svgai.model_folder import methods_dir
from svgai.params import ENCODED_DIM, ENCODED_FEATURES, NAMES, encode, is_canonical
from svgai.quality import Reference, convert
from svgai.router import DEFAULT_CONSTRAINTS, IntelligentRouter


@dataclass
class Images:
    """One split of the dataset: rasters, their features and (for training) their best parameters."""

    ids: list[str]
    rgb: list[np.ndarray]
    features: np.ndarray
    best: np.ndarray  # encoded best parameters, (n, ENCODED_DIM)
    pngs: list[bytes] = field(default_factory=list)
    """The encoded rasters as the dataset holds them (RGBA where transparent)."""
    references: list[bytes | None] = field(default_factory=list)
    """Each image's ground-truth reference at the comparison size (PNG), ``None`` where it has none."""

    def reference(self, i: int) -> Reference:
        """What image ``i``'s conversions are judged against: its ground truth, else the proxy."""
        truth = self.references[i] if self.references else None
        source = self.pngs[i] if self.pngs else self.rgb[i]
        return Reference.of(source, scaled=truth)


def read_dataset(dataset: Path, split: str, limit: int | None, objective: Constraints = DEFAULT_CONSTRAINTS) -> Images:
    """Images of ``split`` that have labels, with their features and best labelled parameters."""
    from svgai.dataset.store import check_measure, read_images, read_labels

    check_measure(dataset)
    images = read_images(dataset)
    if images is None:
        raise SvgaiError(f"{dataset}: no images.parquet; build a dataset with `svgai dataset build`")
    labels = read_labels(dataset).to_pydict()
    by_image: dict[str, list[int]] = {}
    canonical = [is_canonical({"mode": m, "upscale": u}) for m, u in zip(labels["mode"], labels["upscale"], strict=True)]
    for row, (image_id, status) in enumerate(zip(labels["image_id"], labels["status"], strict=True)):
        if status == "ok" and canonical[row]:
            by_image.setdefault(image_id, []).append(row)
    columns = [images.column(c).to_pylist() for c in ("image_id", "png", "split")]
    truths = images.column("reference_png").to_pylist() if "reference_png" in images.column_names else None
    chosen = [
        (image_id, png, truths[i] if truths else None)
        for i, (image_id, png, image_split) in enumerate(zip(*columns, strict=True))
        if image_split == split and image_id in by_image
    ][:limit]
    found = Images([], [], np.zeros((0, len(FEATURE_NAMES))), np.zeros((0, ENCODED_DIM)))
    features, best = [], []
    for image_id, png, truth in tqdm(chosen, desc=f"{split} features", unit="image"):
        raster = load_image(png)
        found.ids.append(image_id)
        found.rgb.append(raster)
        found.pngs.append(png)
        found.references.append(truth)
        features.append(image_features(raster).vector())
        best.append(encode(_best_row(labels, by_image[image_id], objective, (raster.shape[1], raster.shape[0]))))
    if not found.ids:
        raise SvgaiError(f"{dataset}: no labelled {split}-split images")
    found.features, found.best = np.asarray(features), np.asarray(best)
    return found


def _best_row(labels: dict[str, list[Any]], rows: list[int], objective: Constraints, size: tuple[int, int]) -> dict[str, Any]:
    reference = next((labels["svg_bytes"][r] for r in rows if labels["set_index"][r] == 0), None)
    work = trace_work([{"upscale": labels["upscale"][r]} for r in rows], *size)
    order = rank(np.array([labels["quality"][r] for r in rows]), np.array([labels["svg_bytes"][r] for r in rows]),
                 objective, reference, work)
    best = rows[int(order[0])]
    return {name: labels[name][best] for name in NAMES}


def standardize(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale (std, 1 where constant) of the training features."""
    scale = features.std(axis=0)
    return features.mean(axis=0), np.where(scale > 1e-9, scale, 1.0)


def r2(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Coefficient of determination over all encoded columns together."""
    return float(1.0 - ((predicted - truth) ** 2).sum() / max(((truth - truth.mean(axis=0)) ** 2).sum(), 1e-12))


def fit_feature_mapping(train: Images, val: Images, ridge: float = 1.0) -> dict[str, Any]:
    """Method 1: ridge least squares ``[1, z] @ W`` from standardized features to encoded parameters."""
    mean, scale = standardize(train.features)
    design = np.hstack([np.ones((len(train.ids), 1)), (train.features - mean) / scale])
    penalty = ridge * np.eye(design.shape[1])
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    coefficients = np.linalg.solve(design.T @ design + penalty, design.T @ train.best)
    val_design = np.hstack([np.ones((len(val.ids), 1)), (val.features - mean) / scale])
    formulas = {
        target: f"{column[0]:+.3f} " + " ".join(f"{c:+.3f}*z({f})" for c, f in zip(column[1:], FEATURE_NAMES, strict=True))
        for target, column in zip(ENCODED_FEATURES, coefficients.T, strict=True)
    }
    return {
        "formulas": formulas,
        "features": list(FEATURE_NAMES),
        "encoded": list(ENCODED_FEATURES),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coefficients": coefficients.tolist(),
        "fit": {"train_images": len(train.ids), "ridge": ridge,
                "train_r2": r2(design @ coefficients, train.best), "val_r2": r2(val_design @ coefficients, val.best)},
    }


def fit_regression(train: Images, val: Images, trees: int = 64, depth: int = 8) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Method 2: a scikit-learn random forest, returned as plain arrays for ``regression.Forest``."""
    from sklearn.ensemble import RandomForestRegressor

    forest = RandomForestRegressor(n_estimators=trees, max_depth=depth, min_samples_leaf=3, random_state=0, n_jobs=1)
    forest.fit(train.features, train.best)
    nodes = max(tree.tree_.node_count for tree in forest.estimators_)
    arrays = {
        "feature": np.zeros((trees, nodes), np.int64),
        "threshold": np.zeros((trees, nodes), np.float64),
        "left": np.full((trees, nodes), -1, np.int64),
        "right": np.full((trees, nodes), -1, np.int64),
        "value": np.zeros((trees, nodes, train.best.shape[1]), np.float64),
    }
    for t, estimator in enumerate(forest.estimators_):
        tree = estimator.tree_
        n = tree.node_count
        arrays["feature"][t, :n] = np.maximum(tree.feature, 0)
        arrays["threshold"][t, :n] = tree.threshold
        arrays["left"][t, :n] = tree.children_left
        arrays["right"][t, :n] = tree.children_right
        arrays["value"][t, :n] = tree.value[:, :, 0]
    fit = {"train_images": len(train.ids), "trees": trees, "max_depth": depth,
           "train_r2": r2(forest.predict(train.features), train.best),
           "val_r2": r2(forest.predict(val.features), val.best)}
    return arrays, fit


def validate_method(name: str, val: Images, constraints: Constraints = DEFAULT_CONSTRAINTS) -> dict[str, Any]:
    """The method as the router runs it: its first choice under ``constraints`` and the defaults, converted.

    Both are judged against each image's reference; the objective value of a choice is its quality
    with the price on size relative to the defaults' SVG of the same image (``methods.objective.value``).
    ``fell_back`` counts images where the method gave no answer in time and the router fell back.
    """
    router = IntelligentRouter()
    router.warm_up()
    quality: list[float] = []
    objective: list[float] = []
    size: list[int] = []
    base_quality: list[float] = []
    base_size: list[int] = []
    choose_ms: list[float] = []
    staircases = fell_back = 0
    for i in tqdm(range(len(val.ids)), desc=f"validate {name}", unit="image"):
        choice = router.choose(val.pngs[i] if val.pngs else val.rgb[i], constraints, method=name)
        first = choice.candidates[0]
        if first.method != name and not quality:  # not even the first image: the method cannot run
            raise SvgaiError(f"{name} could not run, so it cannot be validated: {'; '.join(f.reason for f in choice.trail)}")
        fell_back += first.method != name
        staircases += first.params["mode"] == "none"
        reference = val.reference(i)
        chosen, base = convert(reference, first.params), convert(reference)
        quality.append(chosen.quality)
        size.append(chosen.svg_bytes)
        base_quality.append(base.quality)
        base_size.append(base.svg_bytes)
        work = trace_work([first.params], val.rgb[i].shape[1], val.rgb[i].shape[0])
        objective.append(float(value(np.array([chosen.quality]), np.array([chosen.svg_bytes]), constraints,
                                     base.svg_bytes, work)[0]))
        choose_ms.append(choice.choose_ms)
    return {
        "split": "val", "images": len(val.ids), "budget_ms": constraints.budget_ms,
        "ssim_per_kb": constraints.ssim_per_kb, "quality_per_trace": constraints.quality_per_trace,
        "mean_objective": float(np.mean(objective)), "defaults_mean_objective": float(np.mean(base_quality)),
        "objective_gain_vs_defaults": float(np.mean(objective) - np.mean(base_quality)),
        "mean_quality": float(np.mean(quality)), "mean_bytes": float(np.mean(size)),
        "defaults_mean_quality": float(np.mean(base_quality)), "defaults_mean_bytes": float(np.mean(base_size)),
        "quality_gain_vs_defaults": float(np.mean(quality) - np.mean(base_quality)),
        "bytes_ratio_vs_defaults": float(np.mean(size) / np.mean(base_size)),
        "staircase_choices": int(staircases), "fell_back": int(fell_back),
        "choose_ms_p50": float(np.median(choose_ms)), "choose_ms_p95": float(np.percentile(choose_ms, 95)),
    }


def write_metrics(name: str, data: dict[str, Any]) -> Path:
    """Write method ``name``'s figures where its plugin reads them (``svgai.methods.base.read_metrics``)."""
    path = methods_dir() / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(data, indent=1))
    return path
