"""The ``svgai bench`` command group: the benchmark report and the sustained-load test."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from svgai.log import get_logger

log = get_logger("bench")
DEFAULT_OUT = Path("out") / "bench"


@contextmanager
def _use_model_dir(model_dir: Path | None) -> Iterator[None]:
    """Point the router's quality plugin (which finds its model like everything else) at ``model_dir``.

    The variable is restored afterwards, so a bench run inside a longer-lived process (a test, a
    notebook) leaves no other predictor looking at its folder.
    """
    if model_dir is None:
        yield
        return
    from svgai.model_folder import MODEL_DIR_ENV

    previous = os.environ.get(MODEL_DIR_ENV)
    os.environ[MODEL_DIR_ENV] = str(model_dir)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(MODEL_DIR_ENV, None)
        else:
            os.environ[MODEL_DIR_ENV] = previous


def _write(out: Path, name: str, result: dict[str, Any], text: str) -> None:
    from svgai.files import write_atomically

    out.mkdir(parents=True, exist_ok=True)
    write_atomically(out / f"{name}.json", json.dumps(result, indent=2) + "\n")
    write_atomically(out / f"{name}.md", text)


def _command() -> str:
    return "svgai " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["bench"] else "svgai bench"


model_dir_option = click.option(
    "--model-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Model folder with config.json (default: $SVGAI_MODEL_DIR, then the repository's models/).",
)
images_option = click.option(
    "--images", "images", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
    help="A dataset folder (images.parquet: its test split) or a folder of images (default: data/dataset's test split, else the shipped fixtures).",
)
out_option = click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT, show_default=True,
    help="Folder for the JSON and Markdown reports.",
)


@click.group(invoke_without_command=True)
@click.option("--image-count", type=click.IntRange(1, 1000), default=8, show_default=True, help="Images to run on.")
@click.option("--candidates", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Parameter sets per image for the real loop.")
@click.option("--repeats", type=click.IntRange(2, 50), default=3, show_default=True,
              help="Repeats of every measurement (their spread is reported).")
@images_option
@model_dir_option
@out_option
@click.pass_context
def bench(ctx: click.Context, image_count: int, candidates: int, repeats: int, images: Path | None,
          model_dir: Path | None, out: Path) -> None:
    """Measure the quality predictor against the real VTracer → render → SSIM loop, on the same images.

    Writes OUT/bench.json and OUT/bench.md and prints the Markdown. Parts that need the trained
    model are reported as unavailable (with the reason) when there is none.
    """
    if ctx.invoked_subcommand is not None:
        return
    from svgai.bench.report import markdown
    from svgai.bench.suite import run_bench

    with _use_model_dir(model_dir):
        report = run_bench(image_count=image_count, candidates=candidates, repeats=repeats, images=images,
                           model_dir=model_dir, command=_command())
    text = markdown(report)
    _write(out, "bench", report, text)
    click.echo(text)
    click.echo(f"wrote {out / 'bench.json'} and {out / 'bench.md'}")


@bench.command("load")
@click.option("--duration", "duration_s", type=click.FloatRange(1, 3600), default=10.0, show_default=True,
              help="Seconds of load.")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Concurrent callers.")
@click.option("--interval", "interval_s", type=click.FloatRange(0.5, 600), default=None,
              help="Seconds per reported interval (default: duration / 10, at least 1).")
@click.option("--image-count", type=click.IntRange(1, 1000), default=16, show_default=True, help="Images in the mix.")
@images_option
@model_dir_option
@out_option
def load_command(duration_s: float, threads: int, interval_s: float | None, image_count: int,
                 images: Path | None, model_dir: Path | None, out: Path) -> None:
    """Concurrent predict_quality and router calls for DURATION seconds: throughput, latency, errors, RSS.

    Exits with status 1 if any call failed.
    """
    from svgai.bench.corpus import load_corpus
    from svgai.bench.load import load_markdown, run_load

    corpus = load_corpus(image_count, images)
    with _use_model_dir(model_dir):
        result = run_load(corpus.images, duration_s=duration_s, threads=threads,
                          interval_s=interval_s or max(1.0, duration_s / 10), model_dir=model_dir)
    result["command"] = _command()
    result["images"] = corpus.origin
    text = load_markdown(result, result["command"], corpus.origin)
    _write(out, "load", result, text)
    click.echo(text)
    click.echo(f"wrote {out / 'load.json'} and {out / 'load.md'}")
    if result["errors"]:
        raise SystemExit(1)


@bench.command("batch")
@click.option("--count", type=click.IntRange(1, 1000), default=30, show_default=True, help="Logos in the batch.")
@click.option("--jobs", type=click.IntRange(1, 256), default=2, show_default=True, help="Worker processes.")
@click.option("--repeats", type=click.IntRange(1, 20), default=3, show_default=True, help="Runs of each (medians).")
@click.option("--images", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="A folder of logos (default: examples/ and tests/fixtures/, rendered at several sizes).")
@out_option
def batch_command(count: int, jobs: int, repeats: int, images: Path | None, out: Path) -> None:
    """COUNT logos through `svgai convert` on JOBS workers vs plain VTracer defaults in a loop.

    Writes OUT/batch.json and OUT/batch.md; the target is a ratio of medians ≤ 3×.
    """
    from svgai.bench.batch import batch_markdown, bench_batch

    result = bench_batch(count=count, jobs=jobs, repeats=repeats, images=images)
    result["command"] = _command()
    text = batch_markdown(result)
    _write(out, "batch", result, text)
    click.echo(text)
    click.echo(f"wrote {out / 'batch.json'} and {out / 'batch.md'}")


@bench.command("startup")
@click.option("--repeats", type=click.IntRange(1, 100), default=10, show_default=True, help="Fresh processes per command.")
@out_option
def startup_command(repeats: int, out: Path) -> None:
    """Time `svgai --help` and `svgai convert --help` in fresh processes (target ≤ 0.5 s) and list heavy imports.

    Writes OUT/startup.json and OUT/startup.md.
    """
    from svgai.bench.startup import bench_startup, startup_markdown

    result = bench_startup(repeats)
    text = startup_markdown(result)
    _write(out, "startup", result, text)
    click.echo(text)
