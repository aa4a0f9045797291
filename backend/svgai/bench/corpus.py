"""The images a benchmark runs on: unseen (test-split) dataset images when a dataset exists, else the
fixtures shipped in the repository — written out as PNG files, because ``predict_quality`` takes paths.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from svgai.errors import InvalidImage
from svgai.images import load_image

REPO = Path(__file__).resolve().parents[3]
DATASETS = (REPO / "data" / "dataset", REPO / "data" / "dataset-small")
SHIPPED = (
    REPO / "examples" / "logo.png",
    *(REPO / "tests" / "fixtures" / f"{name}.png" for name in ("two_colour", "python", "github", "firefoxbrowser")),
)


@dataclass(frozen=True)
class BenchImage:
    """One benchmark image: where it came from, its PNG file, and its raster."""

    name: str
    source: str
    path: Path
    rgb: np.ndarray


@dataclass(frozen=True)
class Corpus:
    images: list[BenchImage]
    origin: str
    """Human-readable: which dataset split or folder the images came from."""


def _balanced(rows: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """Up to ``count`` rows taken in turn from each icon set, each set in image-id order."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: r["image_id"]):
        by_source.setdefault(str(row["source"]), []).append(row)
    picked: list[dict[str, Any]] = []
    while len(picked) < count and any(by_source.values()):
        for queue in by_source.values():
            if queue and len(picked) < count:
                picked.append(queue.pop(0))
    return picked


def _from_dataset(folder: Path, count: int, out: Path) -> list[BenchImage]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / "images.parquet"
    index = pq.read_table(path, columns=["image_id", "source", "name", "split"]).to_pylist()
    picked = _balanced([r for r in index if r["split"] == "test"], count)
    if not picked:
        return []
    table = pq.read_table(path, columns=["image_id", "png"], filters=[("image_id", "in", [r["image_id"] for r in picked])])
    pngs = dict(zip(table.column("image_id").to_pylist(), table.column("png").to_pylist(), strict=True))
    del table
    # Decompressing the column leaves hundreds of MB in Arrow's pool: give it back, or every RSS
    # figure measured in this process afterwards would carry it.
    pa.default_memory_pool().release_unused()
    images = []
    for row in picked:
        file = out / f"{row['image_id']}.png"
        file.write_bytes(pngs[row["image_id"]])
        images.append(BenchImage(str(row["name"]), str(row["source"]), file, load_image(file)))
    return images


def _from_files(files: list[Path], count: int) -> list[BenchImage]:
    return [BenchImage(f.stem, str(f.parent), f, load_image(f)) for f in files[:count]]


def load_corpus(count: int, images: Path | None = None) -> Corpus:
    """``count`` images from ``images`` (a dataset folder or a folder of image files), else the default.

    The default is the test split of ``data/dataset`` (or ``data/dataset-small``), balanced over icon
    sets, else the images shipped in the repository. The PNG files live in a temporary folder that
    lasts as long as the process.
    """
    out = Path(tempfile.mkdtemp(prefix="svgai-bench-"))
    candidates = [images] if images is not None else [d for d in DATASETS if (d / "images.parquet").is_file()]
    for folder in candidates:
        if (folder / "images.parquet").is_file():
            found = _from_dataset(folder, count, out)
            if not found:
                raise InvalidImage(f"{folder}: the dataset has no test-split images")
            return Corpus(found, f"{folder} (test split)")
        if folder.is_dir():
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif", ".webp"})
            return Corpus(_from_files(files, count), str(folder))
        raise InvalidImage(f"{folder}: not a dataset folder (images.parquet) or a folder of images")
    shipped = [p for p in SHIPPED if p.is_file()]
    if not shipped:
        raise InvalidImage("no benchmark images: no dataset under data/ and no shipped fixtures; pass --images")
    return Corpus(_from_files(shipped, count), "images shipped in the repository (examples/, tests/fixtures/)")
