"""The labelled dataset: icons and logos as users' files, each labelled with real conversions.

Build one with ``svgai dataset build`` (see ``svgai.dataset.build`` and docs/dataset.md); read one
with ``load_dataset(path)``, which returns a ``Dataset`` of two pyarrow Tables and the card:

- ``images`` (``store.IMAGE_SCHEMA``): ``image_id`` (hex SHA-256 of the raster's shape and RGBA
  pixels), ``source``, ``name``, ``license``, ``kind`` ("vector", "pixel", "text", "raster"),
  ``split`` ("train"/"val"/"test" fixed by the image id, or "heldout" for a held-out source),
  ``width``, ``height``, ``has_alpha``, ``degradation`` (null or "jpeg", "blur", "noise",
  "palette"), ``png`` (the raster as a user's file: RGB, RGBA or palette PNG), ``original_svg`` (the
  wrapper SVG drawn into it, null for words and raster-origin images) and ``reference_png`` (the
  clean ground truth at ``svgai.quality.comparison_size``, null where only the proxy exists);
- ``labels`` (``store.LABEL_SCHEMA``): ``image_id``, ``set_index`` (0 = VTracer's defaults, 1–3 its
  presets bw/poster/photo), every parameter of ``svgai.params`` by name, the image's ``width``, ``height`` and
  ``has_alpha``, ``status`` ("ok", "panic", "timeout", "error"), ``quality`` (the v2 score) and its
  parts ``edge_fidelity``, ``ssim_scaled``, ``ssim_1x`` (``ssim`` is the same value, for readers of
  round-1 data), ``quality_proxy`` (the same SVG against the proxy, on every 4th set of images with
  a ground truth), ``reference`` ("original" or "proxy"), ``svg_bytes``, ``path_count``,
  ``convert_ms`` (VTracer), ``measure_ms`` (render + terms), ``error`` (null when ok) — sorted by
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
