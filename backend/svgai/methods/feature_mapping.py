"""Method 1, feature mapping: interpretable image features to parameters by fitted linear formulas.

Every encoded parameter (``svgai.params.encode``: one-hot categories, min-max numbers, off-switches) is a linear
formula of the standardized features of ``svgai.features``; the coefficients are least-squares fits
to the best parameters found per training image (``svgai methods fit``) and are stored as plain JSON
in ``models/methods/feature_mapping.json`` — readable, no model file format. About a millisecond.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from svgai.errors import ModelUnavailable
from svgai.features import FEATURE_NAMES, image_features
from svgai.hookspecs import PerformanceInfo, hookimpl
from svgai.methods.base import Artifact, CallStats, artifact_performance
from svgai.params import ENCODED_FEATURES, decode

NAME = "feature_mapping"
_stats = CallStats()


@dataclass(frozen=True)
class LinearMapping:
    """``encoded params = [1, (features - mean) / scale] @ coefficients``."""

    mean: np.ndarray
    scale: np.ndarray
    coefficients: np.ndarray
    metrics: dict[str, Any]

    def predict(self, features: np.ndarray) -> np.ndarray:
        z = (features - self.mean) / self.scale
        return np.concatenate([[1.0], z]) @ self.coefficients


def load_mapping(path: Path) -> LinearMapping:
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURE_NAMES or tuple(data["encoded"]) != ENCODED_FEATURES:
        raise ModelUnavailable(f"{path} was fitted on other features or another encoding; refit it")
    return LinearMapping(
        mean=np.asarray(data["mean"], dtype=np.float64),
        scale=np.asarray(data["scale"], dtype=np.float64),
        coefficients=np.asarray(data["coefficients"], dtype=np.float64),
        metrics=data,
    )


_mapping = Artifact(f"{NAME}.json", load_mapping)


@hookimpl
def get_performance_info() -> PerformanceInfo:
    return artifact_performance(_stats, NAME, lambda: _mapping.get().metrics)


@hookimpl
def propose_params(image: np.ndarray) -> list[Mapping[str, Any]]:
    with _stats.timed():
        mapping = _mapping.get()
        return [decode(mapping.predict(image_features(image).vector()))]
