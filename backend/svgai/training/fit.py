"""``svgai methods fit``: fit Methods 1, 2 and 3 on a dataset and measure every method.

Any registered method plugin can be measured (``--only NAME``): its choices are converted for real
on the validation images by the same code as the built-ins', and its figures are written where its
plugin reads them with ``svgai.methods.base.measured_performance``.

Fitting lives in ``svgai.training.methods`` (Methods 1 and 2, the measurement) and
``svgai.training.policy`` (Method 3, PPO); this module is the command that runs them in order and
writes ``<methods folder>/<name>.json`` with the measured figures and the command line.
"""

from __future__ import annotations

import functools
import json
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np

from svgai.errors import SvgaiError
from svgai.log import get_logger
from svgai.model_folder import methods_dir
from svgai.router import DEFAULT_CONSTRAINTS, IntelligentRouter
from svgai.training.methods import (
    Images,
    fit_feature_mapping,
    fit_regression,
    read_dataset,
    validate_method,
    write_metrics,
)

log = get_logger("methods.fit")
METHODS = ("defaults", "feature_mapping", "regression", "ppo", "search")


def dataset_summary(dataset: Path) -> dict[str, Any]:
    """Where the dataset is and its card, for the provenance of the written figures."""
    card = dataset / "card.json"
    return {"path": str(dataset), "card": json.loads(card.read_text()) if card.is_file() else "no card.json: build unfinished"}


@click.group("methods")
def methods() -> None:
    """Fit and measure the parameter-choosing methods, built-in and third-party."""


@methods.command("fit")
@click.option("--dataset", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("data/dataset"),
              show_default=True, help="A dataset folder from `svgai dataset build`.")
@click.option("--only", multiple=True, metavar="NAME",
              help="Fit/measure only this method (repeatable): a built-in or any registered method plugin.")
@click.option("--train-images", type=int, default=None, help="Use at most this many training images.")
@click.option("--val-images", type=int, default=60, show_default=True, help="Validation images converted per method.")
@click.option("--ppo-timesteps", type=int, default=30_000, show_default=True, help="PPO environment steps.")
def fit_command(dataset: Path, only: tuple[str, ...], train_images: int | None, val_images: int, ppo_timesteps: int) -> None:
    """Fit Methods 1/2/3 on DATASET and measure every method; write <methods folder>/NAME.json.

    A method without anything to fit (the defaults, search, a third-party plugin) is only measured:
    its choices are converted for real on validation images, exactly like the built-ins'.
    """
    registered = IntelligentRouter().method_names()
    unknown = [name for name in only if name not in registered]
    if unknown:
        raise SvgaiError(f"no method named {', '.join(map(repr, unknown))}; registered: {', '.join(registered)}")
    wanted = only or METHODS
    command = "svgai " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    started = time.time()
    train = functools.cache(lambda: read_dataset(dataset, "train", train_images))  # only fitting needs it
    val = read_dataset(dataset, "val", val_images)
    common = {"command": command, "dataset": dataset_summary(dataset),
              "objective": {"ssim_per_kb": DEFAULT_CONSTRAINTS.ssim_per_kb,
                            "quality_per_trace": DEFAULT_CONSTRAINTS.quality_per_trace,
                            "max_bytes_ratio": DEFAULT_CONSTRAINTS.max_bytes_ratio}}
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "feature_mapping": lambda: fit_feature_mapping(train(), val),
        "regression": lambda: _save_forest(train(), val),
        "ppo": lambda: _fit_policy(train(), ppo_timesteps),
    }
    for name in wanted:
        fitted = steps.get(name, dict)()
        artifact = {"method": name, **common, **fitted}
        if fitted:  # the run-time method loads what was fitted before it can be validated
            write_metrics(name, artifact)
        artifact["validation"] = validate_method(name, val)
        path = write_metrics(name, artifact | {"fitted_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        log.info("method_fitted", method=name, validation=artifact["validation"])
        measured = artifact["validation"]
        click.echo(f"{name}: objective {measured['mean_objective']:.4f} ({measured['objective_gain_vs_defaults']:+.4f} "
                   f"vs defaults), quality {measured['mean_quality']:.4f}, bytes x{measured['bytes_ratio_vs_defaults']:.2f}, "
                   f"{measured['fell_back']} fallbacks on {len(val.ids)} val images -> {path}")
    click.echo(f"done in {time.time() - started:.0f} s")


def _save_forest(train: Images, val: Images) -> dict[str, Any]:
    arrays, fit = fit_regression(train, val)
    path = methods_dir() / "regression.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]
    return {"fit": fit, "artifact": path.name}


def _fit_policy(train: Images, timesteps: int) -> dict[str, Any]:
    from svgai.training.policy import train_policy

    return train_policy(train, timesteps)
