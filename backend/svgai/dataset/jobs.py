"""The labelling work: one task is one image with its K parameter sets, each one real conversion.

Set 0 is VTracer's defaults, sets 1–3 its presets ``bw``, ``poster`` and ``photo``; the rest are a
scrambled Sobol sample over the whole space, seeded by the image id and the build's seed — so an image
always gets the same sets, whichever executor or worker labels it. Each set is converted and measured
with ``svgai.quality`` against the image's reference, built once per task: the stored ground truth at
the comparison size where the image has one, else the proxy. For images with a ground truth, every
``PROXY_EVERY``-th set is also measured against the proxy (``quality_proxy``), so the card can report
how well the proxy tracks the truth. Every set becomes a row, failures included (status ``panic``,
``error`` or ``timeout``).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from svgai.errors import SvgaiError, VectorizeError
from svgai.images import ImageSource
from svgai.params import PRESETS, VTracerParams, defaults, preset, sample
from svgai.quality import Reference, convert

STATUSES = ("ok", "panic", "timeout", "error")
"""Every status a label row can have: the conversion succeeded, VTracer panicked, ran out of time, or failed."""
PROXY_EVERY = 4
"""Sets whose index is a multiple of this are also measured against the proxy (images with a ground truth)."""
MEASURED = ("quality", "edge_fidelity", "ssim_scaled", "ssim_1x", "ssim", "quality_proxy", "reference",
            "svg_bytes", "path_count", "convert_ms", "measure_ms")
"""The measured fields of a label row (``None`` when the conversion failed; ``ssim`` = ``ssim_1x``)."""


@dataclass(frozen=True)
class Task:
    """One image and the parameter sets still to label for it (``(set_index, params)`` pairs)."""

    image_id: str
    png: bytes
    sets: tuple[tuple[int, VTracerParams], ...]
    reference_png: bytes | None = None
    """The ground truth at the comparison size (``None``: the image is judged against the proxy)."""

    def remaining(self, sets: tuple[tuple[int, VTracerParams], ...]) -> Task:
        """The same image with only ``sets`` left to label."""
        return Task(self.image_id, self.png, sets, self.reference_png)


def parameter_sets(image_id: str, count: int, seed: int) -> list[VTracerParams]:
    """The ``count`` sets of an image: defaults, the presets, then a Sobol sample seeded per image."""
    if count < 1:
        raise ValueError("count must be >= 1")
    fixed = [defaults(), *(preset(name) for name in PRESETS)][:count]
    image_seed = int(hashlib.sha256(f"{seed}:{image_id}".encode()).hexdigest()[:16], 16)
    with warnings.catch_warnings():
        # Sobol prefers powers of two; for K-4 points it still spreads them far better than random.
        warnings.simplefilter("ignore", UserWarning)
        return fixed + (sample(count - len(fixed), method="sobol", seed=image_seed) if count > len(fixed) else [])


def task_for(image_id: str, png: bytes, count: int, seed: int, done: set[int] | frozenset[int] = frozenset(),
             reference_png: bytes | None = None) -> Task:
    """The task labelling the sets of ``image_id`` whose index is not in ``done``."""
    sets = parameter_sets(image_id, count, seed)
    return Task(image_id, png, tuple((i, p) for i, p in enumerate(sets) if i not in done), reference_png)


def label_row(image_id: str, set_index: int, params: VTracerParams, **measured: Any) -> dict[str, Any]:
    """A label row; unmeasured fields stay ``None`` (a failed conversion has a status and an error)."""
    row: dict[str, Any] = {"image_id": image_id, "set_index": set_index, **params, "status": "ok"}
    row.update(dict.fromkeys(MEASURED), error=None)
    row.update(measured)
    return row


@dataclass(frozen=True)
class References:
    """What one image's conversions are judged against: the reference, and the proxy to compare it with."""

    reference: Reference
    proxy: Reference | None

    @classmethod
    def of(cls, task: Task) -> References:
        """The task's ground-truth reference (and proxy), or the proxy alone for raster-origin images."""
        if task.reference_png is None:
            return cls(Reference.of(task.png), None)
        truth = Reference.of(task.png, scaled=task.reference_png)
        return cls(truth, Reference.of(truth.raster))


def label(image_id: str, references: References | ImageSource, set_index: int, params: VTracerParams) -> dict[str, Any]:
    """One real conversion with ``params``, measured, as a label row; VTracer failures become rows.

    ``references`` may also be a plain image (judged against its proxy).
    """
    if not isinstance(references, References):
        references = References(Reference.of(references), None)
    try:
        proxy = references.proxy if set_index % PROXY_EVERY == 0 else None
        done = convert(references.reference, params, proxy=proxy)
    except VectorizeError as e:
        status = "panic" if "PanicException" in str(e) else "error"
        return label_row(image_id, set_index, params, status=status, error=str(e)[:500])
    except SvgaiError as e:
        return label_row(image_id, set_index, params, status="error", error=f"{type(e).__name__}: {e}"[:500])
    if done.measure_error is not None:
        return label_row(image_id, set_index, params, status="error", error=f"measuring failed: {done.measure_error}"[:500])
    return label_row(
        image_id,
        set_index,
        params,
        quality=done.quality,
        edge_fidelity=done.measures["edge_fidelity"],
        ssim_scaled=done.measures["ssim_scaled"],
        ssim_1x=done.measures["ssim_1x"],
        ssim=done.ssim,
        quality_proxy=done.measures.get("quality_proxy"),
        reference=done.reference,
        svg_bytes=done.svg_bytes,
        path_count=done.path_count,
        convert_ms=done.vectorize_ms,
        measure_ms=done.measure_ms,
    )


def run_task(task: Task) -> Iterator[dict[str, Any]]:
    """Label every set of ``task`` in order, yielding each row as soon as it is measured."""
    references = References.of(task)
    for set_index, params in task.sets:
        yield label(task.image_id, references, set_index, params)
