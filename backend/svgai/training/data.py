"""The labelled dataset as training tensors: one row per image, its parameter sets side by side.

Reads the dataset contract (``images.parquet`` + ``labels.parquet`` or a ``labels/`` folder of
parts + ``card.json``, docs/data.md) and prepares every image once with
``svgai_quality.features.describe`` — the exact function the runtime predictor uses. The label is
the measured ``quality`` (docs/quality.md) and the SVG size. Only rows with status "ok" are labels,
and only those whose parameters ``svgai.params.validate`` leaves as they are (``is_canonical``: no
pixel-mode trace of an enlargement); an image's other rows are masked out, images without any label
are dropped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from tqdm import tqdm

from svgai.dataset.store import check_measure
from svgai.errors import SvgaiError
from svgai.images import load_rgba
from svgai.log import get_logger
from svgai.params import ENCODED_DIM, NAMES, encode_many, is_canonical
from svgai_quality.features import FEATURE_DIM, IMAGE_SIZE, describe

log = get_logger(__name__)
SPLITS = ("train", "val", "test", "heldout")
"""Per-image splits, then ``heldout``: whole sources no model saw (leave-source-out)."""


class DatasetUnavailable(SvgaiError):
    """The dataset folder is missing, unfinished (no card.json) or lacks the columns of the contract."""


@dataclass
class Split:
    """One split: ``N`` images, each with up to ``K`` parameter sets (padded, ``ok`` marks real labels)."""

    name: str
    image_ids: list[str]
    sources: list[str]
    pngs: list[bytes]
    """The encoded rasters at their native size, as the runtime predictor receives them."""
    pixels: np.ndarray
    """``(N, S, S, 3)`` uint8: the square raster the encoder sees (``/ 255`` gives its input)."""
    features: np.ndarray
    """``(N, F)`` float32 hand-made features."""
    params: np.ndarray
    """``(N, K, ENCODED_DIM)`` float32 encoded parameter sets."""
    quality: np.ndarray
    """``(N, K)`` float32 measured quality."""
    log_bytes: np.ndarray
    """``(N, K)`` float32 natural log of the SVG size in bytes."""
    ok: np.ndarray
    """``(N, K)`` bool: the row is a real label."""

    def __len__(self) -> int:
        return len(self.image_ids)

    @property
    def rows(self) -> int:
        return int(self.ok.sum())


def read_card(path: Path) -> dict[str, Any]:
    """The dataset card plus its sha256, or ``DatasetUnavailable`` if the build has not finished (an
    ``SvgaiError`` if its labels come from another measure: ``svgai.dataset.store.check_measure``)."""
    card_path = path / "card.json"
    if not card_path.is_file():
        raise DatasetUnavailable(
            f"{path}: no card.json — not a finished dataset (build one with `svgai dataset build`)"
        )
    check_measure(path)
    raw = card_path.read_bytes()
    card: dict[str, Any] = json.loads(raw)
    return {"path": str(path), "sha256": hashlib.sha256(raw).hexdigest(), "card": card}


def _labels_table(path: Path) -> Any:
    for candidate in (path / "labels.parquet", path / "labels"):
        if candidate.exists():
            return pq.read_table(candidate)
    raise DatasetUnavailable(f"{path}: neither labels.parquet nor a labels/ folder of Parquet parts")


def load_splits(
    path: Path, splits: tuple[str, ...] = SPLITS, *, limit: int | None = None
) -> dict[str, Split]:
    """Load the dataset at ``path`` as one ``Split`` per name (``limit`` caps images per split)."""
    read_card(path)
    images = pq.read_table(
        path / "images.parquet", columns=["image_id", "source", "split", "png"]
    ).to_pylist()
    labels = _labels_table(path).to_pylist()
    missing = {"image_id", "set_index", "status", "quality", "svg_bytes", *NAMES} - set(
        labels[0] if labels else {}
    )
    if missing:
        raise DatasetUnavailable(f"{path}: labels lack columns {sorted(missing)}")
    by_image: dict[str, list[dict[str, Any]]] = {}
    for row in labels:
        if row["status"] == "ok" and is_canonical(row):
            by_image.setdefault(row["image_id"], []).append(row)
    result = {}
    for name in splits:
        chosen = [im for im in images if im["split"] == name and im["image_id"] in by_image]
        chosen.sort(key=lambda im: im["image_id"])
        result[name] = _build_split(name, chosen[:limit] if limit else chosen, by_image)
        log.info("split_loaded", split=name, images=len(result[name]), rows=result[name].rows)
    return result


def _build_split(name: str, images: list[dict[str, Any]], by_image: dict[str, list[dict[str, Any]]]) -> Split:
    sets = max((len(by_image[im["image_id"]]) for im in images), default=1)
    n = len(images)
    split = Split(
        name=name,
        image_ids=[im["image_id"] for im in images],
        sources=[im["source"] for im in images],
        pngs=[im["png"] for im in images],
        pixels=np.zeros((n, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8),
        features=np.zeros((n, FEATURE_DIM), np.float32),
        params=np.zeros((n, sets, ENCODED_DIM), np.float32),
        quality=np.zeros((n, sets), np.float32),
        log_bytes=np.zeros((n, sets), np.float32),
        ok=np.zeros((n, sets), bool),
    )
    for i, image in enumerate(tqdm(images, desc=f"prepare {name}", unit="image", leave=False)):
        split.pixels[i], split.features[i] = describe(load_rgba(image["png"]))
        rows = sorted(by_image[image["image_id"]], key=lambda r: r["set_index"])
        k = len(rows)
        split.params[i, :k] = encode_many([{key: r[key] for key in NAMES} for r in rows])
        split.quality[i, :k] = [r["quality"] for r in rows]
        split.log_bytes[i, :k] = np.log([max(int(r["svg_bytes"]), 1) for r in rows])
        split.ok[i, :k] = True
    return split
