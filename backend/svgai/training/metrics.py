"""Accuracy of predicted against measured labels, in SSIM space and in SVG bytes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

MIN_SETS_FOR_RANKING = 3


def _corr(kind: str, a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    value = stats.pearsonr(a, b)[0] if kind == "pearson" else stats.spearmanr(a, b)[0]
    return float(value)


def within_image_spearman(pred: np.ndarray, true: np.ndarray, image: np.ndarray) -> tuple[float, int]:
    """Mean over images of the Spearman correlation of its parameter sets (does it rank them right?).

    Images with fewer than ``MIN_SETS_FOR_RANKING`` labelled sets or constant measured SSIM are left
    out; returns the mean and how many images counted.
    """
    values = []
    for index in np.unique(image):
        rows = image == index
        if rows.sum() >= MIN_SETS_FOR_RANKING and np.ptp(true[rows]) > 0:
            value = _corr("spearman", pred[rows], true[rows])
            values.append(0.0 if math.isnan(value) else value)
    return (float(np.mean(values)) if values else math.nan), len(values)


def within_image_errors(pred: np.ndarray, true: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Absolute errors after removing each image's mean from predictions and truth: the errors of the
    predicted *differences* between one image's parameter sets — what choosing among them depends on."""
    _, index = np.unique(image, return_inverse=True)
    counts = np.bincount(index)

    def centred(values: np.ndarray) -> np.ndarray:
        return values - (np.bincount(index, weights=values) / counts)[index]

    return np.abs(centred(pred.astype(np.float64)) - centred(true.astype(np.float64)))


def accuracy(
    pred_ssim: np.ndarray,
    true_ssim: np.ndarray,
    pred_log_bytes: np.ndarray,
    true_log_bytes: np.ndarray,
    image: np.ndarray,
    defaults: np.ndarray | None = None,
) -> dict[str, Any]:
    """Every accuracy figure for one set of rows (one model on one split or source).

    ``defaults`` marks the rows of VTracer's defaults: ``defaults_median_error`` is the median absolute
    error of their predicted quality (``None`` without such rows) — how far the router can trust the
    predicted quality of the defaults when it decides whether to convert them beside its choice.
    """
    within, ranked = within_image_spearman(pred_ssim, true_ssim, image)
    within_errors = within_image_errors(pred_ssim, true_ssim, image)
    plain = np.zeros_like(true_ssim, dtype=bool) if defaults is None else defaults
    relative = np.abs(np.exp(pred_log_bytes - true_log_bytes) - 1.0)
    return {
        "rows": int(true_ssim.size),
        "images": int(np.unique(image).size),
        "pearson": _corr("pearson", pred_ssim, true_ssim),
        "spearman": _corr("spearman", pred_ssim, true_ssim),
        "within_image_spearman": within,
        "within_image_images": ranked,
        "mae": float(np.mean(np.abs(pred_ssim - true_ssim))),
        "within_image_mae": float(np.mean(within_errors)),
        "within_image_median_error": float(np.median(within_errors)),
        "defaults_median_error": float(np.median(np.abs(pred_ssim[plain] - true_ssim[plain]))) if plain.any() else None,
        "defaults_rows": int(plain.sum()),
        "rmse": float(np.sqrt(np.mean((pred_ssim - true_ssim) ** 2))),
        "size_mae_log": float(np.mean(np.abs(pred_log_bytes - true_log_bytes))),
        "size_median_relative_error": float(np.median(relative)),
        "size_pearson_log": _corr("pearson", pred_log_bytes, true_log_bytes),
        "size_within_image_spearman": within_image_spearman(pred_log_bytes, true_log_bytes, image)[0],
    }


def by_source(
    pred_ssim: np.ndarray,
    true_ssim: np.ndarray,
    pred_log_bytes: np.ndarray,
    true_log_bytes: np.ndarray,
    image: np.ndarray,
    source: np.ndarray,
    defaults: np.ndarray | None = None,
) -> dict[str, dict[str, Any]]:
    """``accuracy`` per image source (e.g. logos, emoji, simple-icons)."""
    return {
        str(name): accuracy(
            pred_ssim[source == name],
            true_ssim[source == name],
            pred_log_bytes[source == name],
            true_log_bytes[source == name],
            image[source == name],
            None if defaults is None else defaults[source == name],
        )
        for name in np.unique(source)
    }
