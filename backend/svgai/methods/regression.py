"""Method 2, regression: a random forest from image features to encoded parameters.

Fitted with scikit-learn by ``svgai methods fit`` on the best parameters per training image, then
exported as plain arrays (``models/methods/regression.npz``: every tree's split features,
thresholds, children and leaf values) that this module walks with numpy — no pickle is ever loaded.
Its measured metrics are in ``models/methods/regression.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from svgai.errors import ModelUnavailable
from svgai.features import image_features
from svgai.hookspecs import PerformanceInfo, hookimpl
from svgai.methods.base import Artifact, CallStats, artifact_performance, read_metrics
from svgai.params import ENCODED_DIM, decode

NAME = "regression"
_stats = CallStats()


@dataclass(frozen=True)
class Forest:
    """Trees padded to one node count: ``left[t, n] == -1`` marks a leaf."""

    feature: np.ndarray  # (trees, nodes) int
    threshold: np.ndarray  # (trees, nodes) float
    left: np.ndarray  # (trees, nodes) int
    right: np.ndarray  # (trees, nodes) int
    value: np.ndarray  # (trees, nodes, ENCODED_DIM) float

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Mean of the trees' leaf values for one feature vector (sklearn's ``x <= threshold`` goes left)."""
        trees = np.arange(self.feature.shape[0])
        node = np.zeros_like(trees)
        while True:
            inner = self.left[trees, node] >= 0
            if not inner.any():
                break
            go_left = features[self.feature[trees, node]] <= self.threshold[trees, node]
            step = np.where(go_left, self.left[trees, node], self.right[trees, node])
            node = np.where(inner, step, node)
        return np.asarray(self.value[trees, node].mean(axis=0))


def load_forest(path: Path) -> Forest:
    with np.load(path, allow_pickle=False) as data:
        forest = Forest(**{name: data[name] for name in ("feature", "threshold", "left", "right", "value")})
    if forest.value.shape[-1] != ENCODED_DIM:
        raise ModelUnavailable(f"{path} predicts {forest.value.shape[-1]} values, not {ENCODED_DIM}; refit it")
    return forest


_forest = Artifact(f"{NAME}.npz", load_forest)


@hookimpl
def get_performance_info() -> PerformanceInfo:
    def metrics() -> dict[str, Any]:
        _forest.get()  # available only when the forest itself loads
        return read_metrics(NAME)

    return artifact_performance(_stats, NAME, metrics)


@hookimpl
def propose_params(image: np.ndarray) -> list[Mapping[str, Any]]:
    with _stats.timed():
        return [decode(_forest.get().predict(image_features(image).vector()))]
