"""The dataset on disk: append-only Parquet, safe to kill at any moment and resume.

Layout of a dataset folder::

    build.json        the settings of the build (a rerun must use the same ones)
    images.parquet    one row per image (``IMAGE_SCHEMA``): ids, provenance, split, size, the raster,
                      the wrapper SVG and the ground-truth reference
    labels/           part-*.parquet, one row per (image_id, set_index), appended as tasks finish
    card.json         written last: its presence means the build finished

Every file is written to a temporary name and renamed into place, so a killed build leaves only
whole files; a rerun reads the parts, skips the (image_id, set_index) pairs they hold and appends.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from svgai.dataset.render import RenderedIcon
from svgai.errors import SvgaiError
from svgai.files import write_atomically
from svgai.params import SPACE, Choice

IMAGES = "images.parquet"
LABELS = "labels"
CARD = "card.json"
SETTINGS = "build.json"
RENDER_COUNTS_KEY = b"svgai.render_counts"

IMAGE_SCHEMA = pa.schema(
    [
        ("image_id", pa.string()),
        ("source", pa.string()),
        ("name", pa.string()),
        ("license", pa.string()),
        ("kind", pa.string()),
        ("split", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("has_alpha", pa.bool_()),
        ("degradation", pa.string()),
        ("png", pa.binary()),
        ("original_svg", pa.string()),
        ("reference_png", pa.binary()),
    ]
)
IMAGE_FACTS = ("width", "height", "has_alpha")
"""Image columns repeated on every label row (the predictor sees the input's size and alpha)."""


def _param_type(spec: Any) -> pa.DataType:
    if isinstance(spec, Choice):
        return pa.string()
    return pa.int64() if spec.kind is int else pa.float64()


LABEL_SCHEMA = pa.schema(
    [
        ("image_id", pa.string()),
        ("set_index", pa.int32()),
        *((spec.name, _param_type(spec)) for spec in SPACE),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("has_alpha", pa.bool_()),
        ("status", pa.string()),
        ("quality", pa.float64()),
        ("edge_fidelity", pa.float64()),
        ("ssim_scaled", pa.float64()),
        ("ssim_1x", pa.float64()),
        ("ssim", pa.float64()),
        ("quality_proxy", pa.float64()),
        ("reference", pa.string()),
        ("svg_bytes", pa.int64()),
        ("path_count", pa.int64()),
        ("convert_ms", pa.float64()),
        ("measure_ms", pa.float64()),
        ("error", pa.string()),
    ]
)


def _write_table(table: pa.Table, path: Path) -> None:
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer)
    write_atomically(path, buffer.getvalue().to_pybytes())


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON, atomically."""
    write_atomically(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def check_settings(out: Path, settings: dict[str, Any]) -> bool:
    """Record the build's settings, or check that a resumed build uses the same ones.

    A build may *grow*: with every other setting the same, a larger ``limit_images`` (or none) is
    accepted and ``True`` returned, the settings not yet recorded — the caller chooses the images again
    (the first ones stay the same, see ``svgai.dataset.build.select_images``), keeps the labels it has,
    and records the settings with ``write_json`` once the new images are written.
    """
    path = out / SETTINGS
    if path.is_file():
        before = json.loads(path.read_text(encoding="utf-8"))
        if before == settings:
            return False
        changed = sorted(k for k in settings.keys() | before.keys() if before.get(k) != settings.get(k))
        if "measure" in changed:
            check_measure(out)
        old, new = before.get("limit_images"), settings.get("limit_images")
        if changed == ["limit_images"] and old is not None and (new is None or new > old):
            return True
        raise SvgaiError(
            f"{out} holds a build with other settings ({', '.join(changed)} differ: "
            f"{ {k: before.get(k) for k in changed} }); rerun with the same settings to resume (or a larger "
            "--limit-images to grow it), or choose another --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    write_json(path, settings)
    return False


def write_images(out: Path, images: Iterable[RenderedIcon], render_counts: dict[str, int]) -> pa.Table:
    """Write ``images.parquet`` (once, atomically; ``render_counts`` kept in its metadata) and return it."""
    columns: dict[str, list[Any]] = {name: [] for name in IMAGE_SCHEMA.names}
    for image in images:
        for name in IMAGE_SCHEMA.names:
            columns[name].append(getattr(image, name))
    schema = IMAGE_SCHEMA.with_metadata({RENDER_COUNTS_KEY: json.dumps(render_counts).encode()})
    table = pa.table(columns, schema=schema)
    _write_table(table, out / IMAGES)
    return table


def render_counts(images: pa.Table) -> dict[str, int]:
    """How many icons were rendered, blank, duplicate or unrenderable when the images were chosen."""
    counts: dict[str, int] = json.loads((images.schema.metadata or {}).get(RENDER_COUNTS_KEY, b"{}"))
    return counts


def read_images(out: Path) -> pa.Table | None:
    """``images.parquet`` of ``out``, or ``None`` when the build has not written it yet."""
    path = out / IMAGES
    return pq.read_table(path) if path.is_file() else None


def check_measure(out: Path) -> None:
    """Refuse a dataset whose labels were measured by another version of the quality measure.

    Its ``build.json`` records the version (``svgai.quality.MEASURE``); a build from before versions were
    recorded was measured by quality-v2.0. A predictor or a method fitted to another measure's labels
    would predict a score the router no longer computes. A dataset assembled by hand, without a
    ``build.json``, is taken as it is.
    """
    from svgai.quality import MEASURE

    path = out / SETTINGS
    if not path.is_file():
        return
    measured = json.loads(path.read_text(encoding="utf-8")).get("measure", "quality-v2.0")
    if measured != MEASURE:
        raise SvgaiError(
            f"{out} was labelled with the measure {measured}; this svgai measures {MEASURE}, and what is learned from "
            f"those labels would predict another score. Relabel its images: copy {out / IMAGES} into a new folder and "
            "run `svgai dataset build --out <that folder>` with the settings in its build.json (docs/data.md)"
        )


def read_labels(out: Path) -> pa.Table:
    """Every label row written so far (all parts), sorted by image_id then set_index."""
    parts = sorted((out / LABELS).glob("part-*.parquet"))
    if not parts:
        return LABEL_SCHEMA.empty_table()
    table = pa.concat_tables(pq.read_table(part, schema=LABEL_SCHEMA) for part in parts)
    return table.sort_by([("image_id", "ascending"), ("set_index", "ascending")])


def image_facts(images: pa.Table) -> dict[str, dict[str, Any]]:
    """``{image_id: {width, height, has_alpha}}``: what ``LabelWriter`` adds to each image's rows."""
    columns = images.select(["image_id", *IMAGE_FACTS]).to_pydict()
    return {image: {name: columns[name][i] for name in IMAGE_FACTS} for i, image in enumerate(columns["image_id"])}


def finished_sets(out: Path) -> dict[str, set[int]]:
    """``{image_id: {set_index, ...}}`` for every label already on disk."""
    labels = read_labels(out).select(["image_id", "set_index"]).to_pydict()
    done: dict[str, set[int]] = {}
    for image, index in zip(labels["image_id"], labels["set_index"], strict=True):
        done.setdefault(image, set()).add(index)
    return done


class LabelWriter:
    """Buffers label rows and appends them as Parquet part files (every ``rows`` rows or ``seconds``).

    ``facts`` (``image_facts``) fills each row's image columns.
    """

    def __init__(self, out: Path, facts: dict[str, dict[str, Any]], *, rows: int = 256, seconds: float = 10.0) -> None:
        self.folder = out / LABELS
        self.folder.mkdir(parents=True, exist_ok=True)
        for stale in self.folder.glob(".*.tmp"):  # half-written by a killed build
            stale.unlink()
        self.rows, self.seconds = rows, seconds
        self.facts = facts
        self.buffer: list[dict[str, Any]] = []
        self.flushed_at = time.monotonic()
        self.written = 0

    def add(self, row: dict[str, Any]) -> None:
        """Buffer one row; write a part when the buffer is full or old enough."""
        self.buffer.append({**row, **self.facts.get(row["image_id"], {})})
        if len(self.buffer) >= self.rows or time.monotonic() - self.flushed_at >= self.seconds:
            self.flush()

    def add_all(self, rows: Iterable[dict[str, Any]], bar: Any) -> None:
        """Add every row, advancing the progress ``bar``; what was measured is written even on interruption."""
        try:
            for row in rows:
                self.add(row)
                bar.update()
        finally:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as a new part file."""
        self.flushed_at = time.monotonic()
        if not self.buffer:
            return
        table = pa.Table.from_pylist(self.buffer, schema=LABEL_SCHEMA)
        name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        _write_table(table, self.folder / name)
        self.written += len(self.buffer)
        self.buffer = []
