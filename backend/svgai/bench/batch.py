"""``svgai bench batch``: a batch of logos on a few cores against plain VTracer defaults, in one run.

The baseline is what a user would write without svgai: ``vtracer.convert_raw_image_to_svg`` with
its defaults, one image after another, on the PNG files' bytes. The batch is ``svgai.batch.run_batch``
on a fresh process pool (its start and every worker's router included), forced to convert every
image. Both run ``repeats`` times, alternately, on the same files; the ratio is of their medians.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image

from svgai.bench.corpus import SHIPPED
from svgai.bench.timing import median
from svgai.errors import InvalidImage

TARGET_RATIO = 3.0
SIZES = (256, 224, 192, 160, 128, 96)
"""The sizes the shipped logos are rendered at when a folder holds fewer logos than asked for."""


def logo_files(count: int, images: Path | None, out: Path) -> tuple[list[Path], str]:
    """``count`` PNG logos: the images of ``images`` (or the shipped ones) at ``SIZES``, written to ``out``."""
    sources = (sorted(p for p in images.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg"})
               if images is not None else [p for p in SHIPPED if p.is_file()])
    if not sources:
        raise InvalidImage(f"no PNG or JPEG logos in {images}; pass --images a folder of logos")
    files = []
    for i in range(count):
        source, size = sources[i % len(sources)], SIZES[(i // len(sources)) % len(SIZES)]
        with Image.open(source) as logo:
            file = out / f"{i:03d}-{source.stem}-{size}.png"
            logo.convert("RGBA").resize((size, size), Image.Resampling.LANCZOS).save(file)
        files.append(file)
    origin = f"{len(sources)} logos from {images or 'examples/ and tests/fixtures/'} rendered at {', '.join(map(str, SIZES))} px"
    return files, origin


def _plain_vtracer(files: list[Path]) -> float:
    import vtracer

    started = time.perf_counter()
    for file in files:
        vtracer.convert_raw_image_to_svg(file.read_bytes(), img_format="png")
    return time.perf_counter() - started


def _svgai_batch(files: list[Path], out: Path, jobs: int) -> tuple[float, list[Any]]:
    from svgai.batch import Job, run_batch

    todo = [Job(str(f), str(out / f.with_suffix(".svg").name)) for f in files]
    started = time.perf_counter()
    records = list(run_batch(todo, workers=jobs, force=True))
    return time.perf_counter() - started, records


def bench_batch(*, count: int, jobs: int, repeats: int, images: Path | None) -> dict[str, Any]:
    """Time both ``repeats`` times on the same ``count`` logos; medians, their ratio and the target."""
    with tempfile.TemporaryDirectory(prefix="svgai-bench-batch-") as folder:
        root = Path(folder)
        files, origin = logo_files(count, images, root)
        plain_s, batch_s, failed, qualities = [], [], 0, []
        for _ in range(repeats):
            plain_s.append(_plain_vtracer(files))
            seconds, records = _svgai_batch(files, root, jobs)
            batch_s.append(seconds)
            failed = max(failed, sum(r["status"] == "failed" for r in records))
            qualities = [r["quality"] for r in records if r["quality"] is not None]
    ratio = median(batch_s) / median(plain_s)
    return {
        "images": count, "origin": origin, "jobs": jobs, "repeats": repeats,
        "plain_vtracer_s": [round(s, 3) for s in plain_s], "svgai_batch_s": [round(s, 3) for s in batch_s],
        "plain_vtracer_median_s": round(median(plain_s), 3), "svgai_batch_median_s": round(median(batch_s), 3),
        "ratio": round(ratio, 2), "target_ratio": TARGET_RATIO, "target_met": ratio <= TARGET_RATIO,
        "failed": failed, "mean_quality": sum(qualities) / len(qualities) if qualities else None,
    }


def batch_markdown(result: dict[str, Any]) -> str:
    """The result as a short Markdown report."""
    verdict = "met" if result["target_met"] else "NOT met"
    return "\n".join([
        f"# svgai batch vs plain VTracer ({result['images']} logos, {result['jobs']} workers)",
        "",
        f"Images: {result['origin']}. Repeats: {result['repeats']} (medians).",
        "",
        "| run | median (s) | every repeat (s) |",
        "|---|---:|---|",
        f"| plain VTracer defaults, one loop | {result['plain_vtracer_median_s']:.3f} | {result['plain_vtracer_s']} |",
        f"| svgai convert batch, {result['jobs']} workers | {result['svgai_batch_median_s']:.3f} | {result['svgai_batch_s']} |",
        "",
        f"Ratio {result['ratio']:.2f}× (target ≤ {result['target_ratio']:g}×: {verdict}); "
        f"failed images: {result['failed']}; mean quality of the batch: {result['mean_quality']:.4f}.",
        "",
    ])
