"""``OptimizedLocalQualityPredictor``: svgai's quality predictor as a plugin (entry point ``svgai: quality``).

It implements the ``BasePredictor`` hooks of ``svgai.hookspecs`` on top of
:class:`svgai_quality.predictor.LocalQualityPredictor` (ONNX Runtime, no torch). The model is loaded
on the first ``get_performance_info`` call — that load is the availability check — and again when
its ``config.json`` changes. Expected quality is the validated Pearson correlation of predicted with
measured quality from the manifest (``svgai model validate``), expected error its within-image mean
absolute error there; latency is measured on this process's calls.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from svgai.errors import ModelUnavailable
from svgai.hookspecs import PerformanceInfo, Scores, hookimpl
from svgai.methods.base import CallStats
from svgai.model_folder import MANIFEST, find_model_dir
from svgai_quality.predictor import LocalQualityPredictor


class OptimizedLocalQualityPredictor:
    """The ``BasePredictor`` hooks; the one instance ``predictor`` serves every hook call."""

    def __init__(self) -> None:
        self.stats = CallStats()
        self._lock = threading.Lock()
        self._predictor: LocalQualityPredictor | None = None
        self._loaded_from: tuple[Path, float] | None = None

    def predictor(self) -> LocalQualityPredictor:
        """The loaded predictor; reloaded when the manifest changes; ``ModelUnavailable`` if none."""
        folder = find_model_dir()
        try:
            key = (folder, (folder / MANIFEST).stat().st_mtime)
        except OSError:
            raise ModelUnavailable(
                f"{folder / MANIFEST} does not exist; build a model with `svgai model ...`"
            ) from None
        with self._lock:
            if self._predictor is None or self._loaded_from != key:
                self._predictor = LocalQualityPredictor(folder)
                self._loaded_from = key
            return self._predictor

    @hookimpl
    def get_performance_info(self) -> PerformanceInfo:
        p50, p95 = self.stats.percentiles()
        try:
            predictor = self.predictor()
        except ModelUnavailable as e:
            error: str | None = str(e)
            expected, typical_error, defaults_error, source = None, None, None, None
        else:
            error = None
            expected, typical_error, defaults_error, source = self._validated_accuracy(predictor)
        return PerformanceInfo(
            available=error is None,
            reason=error,
            expected_quality=expected,
            quality_source=source,
            latency_p50_ms=p50,
            latency_p95_ms=p95,
            calls=self.stats.calls,
            failures=self.stats.failures,
            needs_predictor=False,
            expected_error=typical_error,
            defaults_error=defaults_error,
        )

    @staticmethod
    def _validated_accuracy(
        predictor: LocalQualityPredictor,
    ) -> tuple[float | None, float | None, float | None, str | None]:
        """(Pearson r, error, error on the defaults, where they come from) of the loaded variant, from its manifest.

        The error is the typical within-image error — the median of
        ``svgai.training.metrics.within_image_errors``: how far the predicted *difference* between two
        parameter sets of one image is off, which is what the router's choice among one image's
        candidates depends on. The median, not the mean: the errors are heavy-tailed (the mean is pulled
        up by poor parameter sets the router never weighs against its choice); the validation split
        measured what each costs in conversions and quality (README, "How many conversions the router
        runs"). Manifests written before the median was measured give the within-image MAE, and before
        that the plain MAE. The error on the defaults is the median absolute error of the predicted quality
        of VTracer's defaults (``defaults_median_error``; absent from older manifests).
        """
        validation = predictor.manifest.get("validation") or {}
        accuracy = (validation.get("accuracy") or {}).get(predictor.variant) or {}
        pearson = accuracy.get("pearson")
        error = accuracy.get("within_image_median_error", accuracy.get("within_image_mae", accuracy.get("mae")))
        defaults_error = accuracy.get("defaults_median_error")
        if pearson is None:
            return None, None, None, None
        source = (
            f"{predictor.model_dir / MANIFEST}: Pearson r (and within-image median error) of predicted vs measured quality, variant {predictor.variant}, "
            f"{validation.get('split')} split ({validation.get('command')})"
        )
        return (float(pearson), None if error is None else float(error),
                None if defaults_error is None else float(defaults_error), source)

    @hookimpl
    def predict_quality(self, image_path: str, params: Mapping[str, Any]) -> float:
        with self.stats.timed():
            return self.predictor().predict_quality(image_path, params)

    @hookimpl
    def predict_candidates(
        self, image: np.ndarray, candidates: Sequence[Mapping[str, Any]], encoded: np.ndarray | None
    ) -> Scores:
        with self.stats.timed():
            prediction = self.predictor().predict(image, candidates if encoded is None else encoded)
            return Scores(quality=np.asarray(prediction.quality, dtype=np.float64), svg_bytes=prediction.svg_bytes)


predictor = OptimizedLocalQualityPredictor()
# The module's hooks are the instance's bound methods: registering this module (the entry point)
# registers the instance, and `svgai plugins` names its class as what implements the plugin.
get_performance_info = predictor.get_performance_info
predict_quality = predictor.predict_quality
predict_candidates = predictor.predict_candidates
