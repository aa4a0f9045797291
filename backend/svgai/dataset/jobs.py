"""The labelling work: one task is one image with its K parameter sets, each one real conversion.

Set 0 is VTracer's defaults; sets 1..K-1 are a scrambled Sobol sample over the whole space, seeded
by the image id and the build's seed — so an image always gets the same sets, whichever executor
or worker labels it. ``convert_ms`` is VTracer's time; ``measure_ms`` the render + SSIM after it.
Every set becomes a row, failures included (status ``panic``, ``error`` or
``timeout``), with the label (docs/quality.md) measured by ``svgai.quality.convert``.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from svgai.errors import SvgaiError, VectorizeError
from svgai.images import load_image
from svgai.params import VTracerParams, defaults, sample
from svgai.quality import convert

STATUSES = ("ok", "panic", "timeout", "error")
"""Every status a label row can have: the conversion succeeded, VTracer panicked, ran out of time, or failed."""


@dataclass(frozen=True)
class Task:
    """One image and the parameter sets still to label for it (``(set_index, params)`` pairs)."""

    image_id: str
    png: bytes
    sets: tuple[tuple[int, VTracerParams], ...]


def parameter_sets(image_id: str, count: int, seed: int) -> list[VTracerParams]:
    """The ``count`` parameter sets of an image: defaults first, then a Sobol sample seeded per image."""
    if count < 1:
        raise ValueError("count must be >= 1")
    image_seed = int(hashlib.sha256(f"{seed}:{image_id}".encode()).hexdigest()[:16], 16)
    with warnings.catch_warnings():
        # Sobol prefers powers of two; for K-1 points it still spreads them far better than random.
        warnings.simplefilter("ignore", UserWarning)
        return [defaults(), *sample(count - 1, method="sobol", seed=image_seed)]


def task_for(image_id: str, png: bytes, count: int, seed: int, done: set[int] | frozenset[int] = frozenset()) -> Task:
    """The task labelling the sets of ``image_id`` whose index is not in ``done``."""
    sets = parameter_sets(image_id, count, seed)
    return Task(image_id, png, tuple((i, p) for i, p in enumerate(sets) if i not in done))


def label_row(image_id: str, set_index: int, params: VTracerParams, **measured: Any) -> dict[str, Any]:
    """A label row; unmeasured fields stay ``None`` (a failed conversion has a status and an error)."""
    row: dict[str, Any] = {"image_id": image_id, "set_index": set_index, **params}
    row.update(status="ok", ssim=None, svg_bytes=None, path_count=None, convert_ms=None, measure_ms=None, error=None)
    row.update(measured)
    return row


def label(image_id: str, rgb: Any, set_index: int, params: VTracerParams) -> dict[str, Any]:
    """One real conversion of ``rgb`` with ``params`` as a label row; VTracer failures become rows."""
    try:
        done = convert(rgb, params)
    except VectorizeError as e:
        status = "panic" if "PanicException" in str(e) else "error"
        return label_row(image_id, set_index, params, status=status, error=str(e)[:500])
    except SvgaiError as e:
        return label_row(image_id, set_index, params, status="error", error=f"{type(e).__name__}: {e}"[:500])
    return label_row(
        image_id,
        set_index,
        params,
        ssim=done.ssim,
        svg_bytes=done.svg_bytes,
        path_count=done.path_count,
        convert_ms=done.vectorize_ms,
        measure_ms=done.measure_ms,
    )


def run_task(task: Task) -> Iterator[dict[str, Any]]:
    """Label every set of ``task`` in order, yielding each row as soon as it is measured."""
    rgb = load_image(task.png)
    for set_index, params in task.sets:
        yield label(task.image_id, rgb, set_index, params)
