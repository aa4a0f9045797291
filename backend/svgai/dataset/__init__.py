"""The labelled dataset: real icon sets rendered to rasters, each labelled with real conversions.

Build one with ``svgai dataset build`` (see ``svgai.dataset.build``); read one with
``load_dataset(path)``, which returns a ``Dataset`` of two pyarrow Tables and the card:

- ``images``: ``image_id`` (hex SHA-256 of the RGB pixels), ``source``, ``name``, ``license``,
  ``split`` ("train"/"val"/"test", fixed by the image id), ``png`` (256×256 RGB PNG bytes);
- ``labels``: ``image_id``, ``set_index`` (0 = VTracer's defaults), the 11 parameters by name,
  ``status`` ("ok", "panic", "timeout", "error"), ``ssim``, ``svg_bytes``, ``path_count``,
  ``convert_ms`` (VTracer), ``measure_ms`` (render + SSIM), ``error`` (null when ok) — sorted by
  image_id then set_index; the measured fields are null when status is not "ok".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from svgai.dataset import store
from svgai.errors import SvgaiError

__all__ = ["Dataset", "load_dataset"]


@dataclass(frozen=True)
class Dataset:
    """A dataset read from disk: ``images`` and ``labels`` tables and the ``card`` (``None`` if unfinished)."""

    images: pa.Table
    labels: pa.Table
    card: dict[str, Any] | None

    def split(self, name: str) -> Dataset:
        """The images of one split ("train", "val", "test" or "heldout") and their labels."""
        if name not in ("train", "val", "test", "heldout"):
            raise SvgaiError(f"unknown split {name!r}; accepted: train, val, test, heldout")
        images = self.images.filter(pc.equal(self.images["split"], name))
        labels = self.labels.filter(pc.is_in(self.labels["image_id"], value_set=images["image_id"].combine_chunks()))
        return Dataset(images, labels, self.card)

    def ok_labels(self) -> pa.Table:
        """The labels whose conversion succeeded (every measured field present)."""
        return self.labels.filter(pc.equal(self.labels["status"], "ok"))


def load_dataset(path: str | Path, *, allow_partial: bool = False) -> Dataset:
    """Read the dataset built in ``path``; an unfinished build is refused unless ``allow_partial``."""
    folder = Path(path)
    images = store.read_images(folder)
    if images is None:
        raise SvgaiError(f"{folder} holds no dataset ({store.IMAGES} is missing); build one with `svgai dataset build`")
    card_path = folder / store.CARD
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.is_file() else None
    if card is None and not allow_partial:
        raise SvgaiError(
            f"{folder}: the build has not finished ({store.CARD} is missing); rerun the build command "
            "to finish it, or pass allow_partial=True"
        )
    return Dataset(images, store.read_labels(folder), card)
