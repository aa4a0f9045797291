"""``svgai methods fit``: fit Methods 1 and 2 (and 3, see ``fit_policy``) and measure every method.

Reads a dataset built by ``svgai dataset build`` (``images.parquet`` and its labels). For each
training image the *best* labelled parameter set is the one the router's default objective
(``svgai.methods.objective``) ranks first on the measured SSIM and bytes, with VTracer's defaults
(label set 0) as the size reference. Method 1 fits least-squares formulas from features to those
parameters; Method 2 fits a random forest. Every method is then validated with real conversions of
its choice on validation-split images, and ``models/methods/<name>.json`` records the figures and
this command.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np
from tqdm import tqdm

from svgai.errors import SvgaiError
from svgai.features import FEATURE_NAMES, image_features
from svgai.hookspecs import Constraints
from svgai.images import load_image
from svgai.log import get_logger
from svgai.methods.base import methods_dir
from svgai.methods.objective import rank
from svgai.params import ENCODED_FEATURES, NAMES, encode
from svgai.quality import convert
from svgai.router import DEFAULT_CONSTRAINTS, IntelligentRouter

log = get_logger("methods.fit")
VALIDATION_CONSTRAINTS = Constraints(budget_ms=10_000.0)
"""Validation measures what a method chooses, not whether it fits a tight budget on a busy machine."""


@dataclass
class Images:
    """One split of the dataset: RGB rasters, their features and (for training) their best parameters."""

    ids: list[str]
    rgb: list[np.ndarray]
    features: np.ndarray
    best: np.ndarray  # encoded best parameters, (n, ENCODED_DIM)


def read_dataset(dataset: Path, split: str, limit: int | None, objective: Constraints = DEFAULT_CONSTRAINTS) -> Images:
    """Images of ``split`` that have labels, with their features and best labelled parameters."""
    from svgai.dataset.store import read_images, read_labels

    images = read_images(dataset)
    if images is None:
        raise SvgaiError(f"{dataset}: no images.parquet; build a dataset with `svgai dataset build`")
    labels = read_labels(dataset).to_pydict()
    by_image: dict[str, list[int]] = {}
    for row, (image_id, status) in enumerate(zip(labels["image_id"], labels["status"], strict=True)):
        if status == "ok":
            by_image.setdefault(image_id, []).append(row)
    chosen = [
        (image_id, png)
        for image_id, png, image_split in zip(*(images.column(c).to_pylist() for c in ("image_id", "png", "split")), strict=True)
        if image_split == split and image_id in by_image
    ][:limit]
    ids, rgb, features, best = [], [], [], []
    for image_id, png in tqdm(chosen, desc=f"{split} features", unit="image"):
        raster = load_image(png)
        ids.append(image_id)
        rgb.append(raster)
        features.append(image_features(raster).vector())
        best.append(encode(_best_row(labels, by_image[image_id], objective)))
    if not ids:
        raise SvgaiError(f"{dataset}: no labelled {split}-split images")
    return Images(ids, rgb, np.asarray(features), np.asarray(best))


def _best_row(labels: dict[str, list[Any]], rows: list[int], objective: Constraints) -> dict[str, Any]:
    reference = next((labels["svg_bytes"][r] for r in rows if labels["set_index"][r] == 0), None)
    order = rank(np.array([labels["ssim"][r] for r in rows]), np.array([labels["svg_bytes"][r] for r in rows]),
                 objective, reference)
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


def validate_method(name: str, val: Images) -> dict[str, Any]:
    """Real conversions of the method's first choice (and of the defaults) on the validation images."""
    router = IntelligentRouter()
    ssim: list[float] = []
    size: list[int] = []
    base_ssim: list[float] = []
    base_size: list[int] = []
    choose_ms: list[float] = []
    fell_back = 0
    for rgb in tqdm(val.rgb, desc=f"validate {name}", unit="image"):
        choice = router.choose(rgb, VALIDATION_CONSTRAINTS, method=name)
        first = choice.candidates[0]
        if first.method != name and not ssim:  # not even the first image: the method cannot run
            raise SvgaiError(f"{name} could not run, so it cannot be validated: {'; '.join(f.reason for f in choice.trail)}")
        fell_back += first.method != name
        chosen, base = convert(rgb, first.params), convert(rgb)
        ssim.append(chosen.ssim)
        size.append(chosen.svg_bytes)
        base_ssim.append(base.ssim)
        base_size.append(base.svg_bytes)
        choose_ms.append(choice.choose_ms)
    return {
        "split": "val", "images": len(val.ids),
        "mean_ssim": float(np.mean(ssim)), "mean_bytes": float(np.mean(size)),
        "defaults_mean_ssim": float(np.mean(base_ssim)), "defaults_mean_bytes": float(np.mean(base_size)),
        "ssim_gain_vs_defaults": float(np.mean(ssim) - np.mean(base_ssim)),
        "bytes_ratio_vs_defaults": float(np.mean(size) / np.mean(base_size)),
        "fell_back": int(fell_back), "choose_ms_p50": float(np.median(choose_ms)),
    }


def write_metrics(name: str, data: dict[str, Any]) -> Path:
    path = methods_dir() / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


def dataset_summary(dataset: Path) -> dict[str, Any]:
    card = dataset / "card.json"
    return {"path": str(dataset), "card": json.loads(card.read_text()) if card.is_file() else "no card.json: build unfinished"}


METHODS = ("defaults", "feature_mapping", "regression", "ppo", "search")


@click.group("methods")
def methods() -> None:
    """Fit and validate the built-in parameter-choosing methods."""


@methods.command("fit")
@click.option("--dataset", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("data/dataset"),
              show_default=True, help="A dataset folder from `svgai dataset build`.")
@click.option("--only", multiple=True, type=click.Choice(METHODS), help="Fit/validate only these (repeatable).")
@click.option("--train-images", type=int, default=None, help="Use at most this many training images.")
@click.option("--val-images", type=int, default=60, show_default=True, help="Validation images converted per method.")
@click.option("--ppo-timesteps", type=int, default=30_000, show_default=True, help="PPO environment steps.")
def fit_command(dataset: Path, only: tuple[str, ...], train_images: int | None, val_images: int, ppo_timesteps: int) -> None:
    """Fit Methods 1/2/3 on DATASET and write models/methods/ with measured validation figures."""
    wanted = only or METHODS
    command = "svgai " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    started = time.time()
    train = read_dataset(dataset, "train", train_images)
    val = read_dataset(dataset, "val", val_images)
    common = {"command": command, "dataset": dataset_summary(dataset),
              "objective": {"ssim_per_kb": DEFAULT_CONSTRAINTS.ssim_per_kb,
                            "max_bytes_ratio": DEFAULT_CONSTRAINTS.max_bytes_ratio}}
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "defaults": lambda: {},
        "feature_mapping": lambda: fit_feature_mapping(train, val),
        "regression": lambda: _save_forest(train, val),
        "ppo": lambda: _fit_policy(train, ppo_timesteps),
        "search": lambda: {},
    }
    for name in wanted:
        fitted = steps[name]()
        artifact = {"method": name, **common, **fitted}
        if fitted:  # the run-time method loads what was fitted before it can be validated
            write_metrics(name, artifact)
        artifact["validation"] = validate_method(name, val)
        path = write_metrics(name, artifact | {"fitted_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        log.info("method_fitted", method=name, validation=artifact["validation"])
        click.echo(f"{name}: mean SSIM {artifact['validation']['mean_ssim']:.4f} "
                   f"({artifact['validation']['ssim_gain_vs_defaults']:+.4f} vs defaults), bytes x"
                   f"{artifact['validation']['bytes_ratio_vs_defaults']:.2f} on {len(val.ids)} val images -> {path}")
    click.echo(f"done in {time.time() - started:.0f} s")


def _save_forest(train: Images, val: Images) -> dict[str, Any]:
    arrays, fit = fit_regression(train, val)
    path = methods_dir() / "regression.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]
    return {"fit": fit, "artifact": path.name}


def _fit_policy(train: Images, timesteps: int) -> dict[str, Any]:
    from svgai.methods.fit_policy import train_policy

    return train_policy(train, timesteps)
