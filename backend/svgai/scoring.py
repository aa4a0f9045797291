"""The scorer the router hands to methods: the best available quality predictor, with fallback.

Predictors are the plugins implementing ``predict_candidates`` (one batch) or only ``predict_quality``
(one call per candidate, needs the image's path). Batch predictors come first, then higher expected
quality. A predictor that raises or answers with the wrong shape, a quality outside [0, 1] or a size that
is not a finite positive number of bytes is reported and skipped for the rest of this image; the next
one answers instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pluggy

from svgai.errors import ModelUnavailable, PluginError
from svgai.hookspecs import PerformanceInfo, Scores
from svgai.log import get_logger
from svgai.plugins import call_plugin, implementers

log = get_logger("router")

Report = Callable[[str, str], None]
"""``report(plugin, reason)``: where the scorer reports a predictor it skipped."""


class PredictorScorer:
    """Callable ``scorer(candidates) -> Scores`` for one image (see ``BaseMethod.propose_params``)."""

    def __init__(self, manager: pluggy.PluginManager, predictors: list[tuple[str, bool]], image: np.ndarray,
                 image_path: str | None, report: Report) -> None:
        self._manager = manager
        self._predictors = list(predictors)  # (name, batch), best first
        self._image = image
        self._path = image_path
        self._report = report
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The predictor that answers now (the best one that has not failed on this image)."""
        with self._lock:
            return self._predictors[0][0] if self._predictors else "none"

    def __call__(self, candidates: Sequence[Mapping[str, Any]], encoded: np.ndarray | None = None) -> Scores:
        while True:
            with self._lock:
                if not self._predictors:
                    raise ModelUnavailable("every quality predictor failed on this image")
                name, batch = self._predictors[0]
            try:
                return self._ask(name, batch, list(candidates), encoded)
            except Exception as e:
                self._report(name, f"prediction failed: {type(e).__name__}: {e}")
                with self._lock:
                    if self._predictors and self._predictors[0][0] == name:
                        self._predictors.pop(0)

    def _ask(self, name: str, batch: bool, candidates: list[Mapping[str, Any]], encoded: np.ndarray | None) -> Scores:
        if batch:
            scores = call_plugin(self._manager, name, "predict_candidates", image=self._image, candidates=candidates,
                                 encoded=encoded)
            if not isinstance(scores, Scores):
                raise PluginError(f"returned {type(scores).__name__}, not Scores")
            ssim = np.asarray(scores.quality, dtype=np.float64).reshape(-1)
            svg_bytes = np.asarray(scores.svg_bytes, dtype=np.float64).reshape(-1)
        else:
            ssim = np.array([
                float(call_plugin(self._manager, name, "predict_quality", image_path=self._path, params=params))
                for params in candidates
            ])
            svg_bytes = np.full(len(candidates), np.nan)
        if ssim.shape != (len(candidates),) or svg_bytes.shape != (len(candidates),):
            raise PluginError(f"scored {ssim.shape[0]} of {len(candidates)} candidates")
        wrong = ssim[~((ssim >= 0.0) & (ssim <= 1.0))]  # NaN fails both comparisons
        if wrong.size:
            raise PluginError(f"predicted quality {float(wrong[0])!r}; accepted: a finite number in [0, 1]")
        wrong = svg_bytes[~(np.isfinite(svg_bytes) & (svg_bytes > 0.0))] if batch else svg_bytes[:0]
        if wrong.size:
            raise PluginError(f"predicted {float(wrong[0])!r} SVG bytes; accepted: a finite number > 0")
        return Scores(quality=ssim, svg_bytes=svg_bytes)


def build_scorer(manager: pluggy.PluginManager, infos: Mapping[str, PerformanceInfo], image: np.ndarray,
                 image_path: str | None, report: Report) -> PredictorScorer | None:
    """A scorer over the available predictors of ``manager``, or ``None`` when there is none."""
    batch = set(implementers(manager, "predict_candidates"))
    usable: list[tuple[str, bool]] = []
    for name in dict.fromkeys([*batch, *implementers(manager, "predict_quality")]):
        info = infos[name]
        if not info["available"]:
            report(name, f"predictor unavailable: {info['reason']}")
        elif name not in batch and image_path is None:
            report(name, "predictor not used: it predicts from an image path and the image came as pixels")
        else:
            usable.append((name, name in batch))
    if not usable:
        return None
    usable.sort(key=lambda p: (not p[1], infos[p[0]]["expected_quality"] is None, -(infos[p[0]]["expected_quality"] or 0.0)))
    log.info("predictors_ranked", order=[name for name, _ in usable])
    return PredictorScorer(manager, usable, image, image_path, report)
