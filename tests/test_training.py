"""Training, export and validation of the quality predictor on a tiny real labelled dataset.

The dataset is built here the way the real one is: fixture logos (and mirrored copies, which VTracer
treats as new images), a few parameter sets each from ``svgai.params.sample``, labels measured by
``svgai.quality.convert`` (real VTracer, real rendering, real SSIM), written in the dataset contract.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from svgai.images import encode_png, load_image
from svgai.params import NAMES, sample
from svgai.quality import convert

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = [
    ROOT / "tests/fixtures" / f"{n}.png" for n in ("python", "github", "firefoxbrowser", "two_colour")
]
FIXTURES.append(ROOT / "examples/logo.png")
SETS_PER_IMAGE = 8


def build_tiny_dataset(path: Path) -> Path:
    """Write a 10-image labelled dataset in the contract format (images, labels, card.json last)."""
    path.mkdir(parents=True, exist_ok=True)
    rasters = []
    for fixture in FIXTURES:
        rgb = load_image(fixture)
        rasters += [(fixture.stem, rgb), (f"{fixture.stem}-mirrored", np.ascontiguousarray(rgb[:, ::-1]))]
    splits = ["train"] * 6 + ["val"] * 2 + ["test"] * 2
    images, labels = [], []
    for index, ((name, rgb), split) in enumerate(zip(rasters, splits, strict=True)):
        image_id = hashlib.sha256(rgb.tobytes()).hexdigest()
        images.append(
            {
                "image_id": image_id,
                "source": "fixtures",
                "name": name,
                "license": "CC0-1.0",
                "split": split,
                "png": encode_png(rgb),
            }
        )
        for set_index, params in enumerate(sample(SETS_PER_IMAGE, method="sobol", seed=index)):
            result = convert(rgb, params)
            labels.append(
                {
                    "image_id": image_id,
                    "set_index": set_index,
                    **params,
                    "status": "ok",
                    "ssim": result.ssim,
                    "svg_bytes": result.svg_bytes,
                    "path_count": result.path_count,
                    "convert_ms": result.vectorize_ms,
                }
            )
    pq.write_table(pa.Table.from_pylist(images), path / "images.parquet")
    pq.write_table(pa.Table.from_pylist(labels), path / "labels.parquet")
    card = {"name": "tiny-test", "images": len(images), "rows": len(labels), "parameters": list(NAMES)}
    (path / "card.json").write_text(json.dumps(card))
    return path
