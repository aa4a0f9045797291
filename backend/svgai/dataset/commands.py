"""``svgai dataset``: build the labelled dataset."""

from __future__ import annotations

import shlex
import signal
from pathlib import Path
from types import FrameType

import click

from svgai.dataset.build import BuildConfig, build
from svgai.dataset.sources import DEFAULT_CACHE, DEFAULT_HOLDOUT, ICON_SETS


@click.group()
def dataset() -> None:
    """Build the labelled dataset of (image, VTracer parameters) -> measured quality."""


def _command_line(ctx: click.Context) -> str:
    """The command with every option spelled out, so it rebuilds the same dataset wherever it is run."""
    words = ["svgai", *ctx.command_path.split()[1:]]
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if not isinstance(param, click.Option) or value is None or value is False or value == ():
            continue
        for one in value if param.multiple else (value,):
            words.append(param.opts[0])
            if not param.is_flag:
                words.append(str(one))
    return shlex.join(words)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Raising unwinds the build, so the labels measured so far are written before the process ends.
    raise SystemExit(128 + signum)


@dataset.command("build")
@click.option("--out", type=click.Path(path_type=Path), default=Path("data/dataset"), show_default=True,
              help="Dataset folder (rerun with the same settings to resume).")
@click.option("--limit-images", type=int, default=None, help="Use at most N images, taken in turn from each source.")
@click.option("--sets", type=int, default=16, show_default=True, help="Parameter sets per image (set 0 = defaults).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the image choice and the samples.")
@click.option("--max-side", type=int, default=1024, show_default=True,
              help="Cap on the rasters' long side in px (sizes are drawn from about 32-1024).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: one per CPU core).")
@click.option("--executor", type=click.Choice(["process", "ray"]), default="process", show_default=True,
              help="A local process pool, or Ray (pip install 'svgai[ray]').")
@click.option("--address", default=None, help="Ray cluster address (default: start a local Ray).")
@click.option("--sources", default=",".join(ICON_SETS), show_default=True,
              help="Comma-separated icon sets, local npm tarballs or folders of .svg files.")
@click.option("--holdout", multiple=True,
              help=f"A source whose images all go to the 'heldout' split (repeatable; default: {', '.join(DEFAULT_HOLDOUT)} "
                   "when among --sources).")
@click.option("--cache", type=click.Path(path_type=Path), default=DEFAULT_CACHE, show_default="~/.cache/svgai/npm",
              help="Where npm tarballs are kept.")
@click.option("--task-timeout", type=float, default=60.0, show_default=True,
              help="Seconds one conversion may run before its worker is killed (recorded as 'timeout').")
@click.option("--part-rows", type=int, default=512, show_default=True,
              help="Labels per Parquet part file (a part is also written every 10 s).")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
def build_command(
    out: Path, limit_images: int | None, sets: int, seed: int, max_side: int, workers: int | None, executor: str,
    address: str | None, sources: str, holdout: tuple[str, ...], cache: Path, task_timeout: float, part_rows: int,
    no_progress: bool,
) -> None:
    """Fetch the icon sets, render them, label each image with real conversions, write the card."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    config = BuildConfig(
        out=out,
        sources=tuple(s.strip() for s in sources.split(",") if s.strip()),
        limit_images=limit_images,
        holdout=holdout or None,
        sets=sets,
        seed=seed,
        max_side=max_side,
        workers=workers,
        executor=executor,
        address=address,
        cache=cache,
        task_timeout_s=task_timeout,
        part_rows=max(1, part_rows),
        progress=not no_progress,
    )
    card = build(config, command=_command_line(click.get_current_context()))
    rate = card["throughput"]["labels_per_s"]
    click.echo(
        f"{out}: {card['images']} images, {card['labels']} labels "
        f"(status { {k: v for k, v in card['status'].items() if v} }); last run labelled {card['throughput']['labels_this_run']}"
        + (f" at {rate:.1f} labels/s" if rate else "")
        + f"; card: {out / 'card.json'}"
    )


@dataset.command("throughput")
@click.option("--dataset", "path", type=click.Path(path_type=Path, exists=True), default=Path("data/dataset"),
              show_default=True, help="A built dataset whose images are relabelled (nothing is written).")
@click.option("--images", type=click.IntRange(1), default=40, show_default=True)
@click.option("--sets", type=click.IntRange(1), default=8, show_default=True)
@click.option("--repeats", type=click.IntRange(1), default=2, show_default=True)
def throughput(path: Path, images: int, sets: int, repeats: int) -> None:
    """Labels/s of a plain single-process loop vs the process pool, on the same tasks, in one run.

    The loop's labels per CPU-second are reported too: on a machine shared with other jobs they
    compare code versions where wall-clock rates cannot.
    """
    import json
    import os
    import time

    from svgai.dataset import load_dataset
    from svgai.dataset.executors import ProcessExecutor
    from svgai.dataset.jobs import run_task, task_for

    rows = load_dataset(path).images.slice(0, images).select(["image_id", "png", "reference_png"]).to_pylist()
    tasks = [task_for(row["image_id"], row["png"], sets, 0, reference_png=row["reference_png"]) for row in rows]
    runs: dict[str, list[float]] = {"single_process_loop": [], "pool_1_worker": [], "pool_2_workers": []}
    per_cpu_second: list[float] = []
    load_before = os.getloadavg()[0]
    for _ in range(repeats):
        for name, label in (
            ("single_process_loop", lambda: [r for task in tasks for r in run_task(task)]),
            ("pool_1_worker", lambda: list(ProcessExecutor(workers=1).run(tasks))),
            ("pool_2_workers", lambda: list(ProcessExecutor(workers=2).run(tasks))),
        ):
            started, cpu = time.perf_counter(), time.process_time()
            count = len(label())
            runs[name].append(round(count / (time.perf_counter() - started), 2))
            if name == "single_process_loop":
                per_cpu_second.append(round(count / max(time.process_time() - cpu, 1e-9), 2))
    report = {
        "labels_per_run": len(tasks) * sets,
        "labels_per_s": runs,
        "single_process_labels_per_cpu_s": per_cpu_second,
        "load_average_before_after": [load_before, os.getloadavg()[0]],
        "cpus": os.cpu_count(),
    }
    click.echo(json.dumps(report, indent=2))


@dataset.command("mine")
@click.option("--dataset", "path", type=click.Path(path_type=Path, exists=True, file_okay=False),
              default=Path("data/dataset"), show_default=True, help="A built dataset; mined labels are appended to it.")
@click.option("--sets", type=click.IntRange(1, 999), default=8, show_default=True, help="Mined sets per image.")
@click.option("--limit-images", type=click.IntRange(1), default=None, help="Mine at most N images.")
@click.option("--workers", type=int, default=None, help="Worker processes (default: one per CPU core).")
@click.option("--task-timeout", type=float, default=60.0, show_default=True,
              help="Seconds one conversion may run before its worker is killed (recorded as 'timeout').")
def mine_command(path: Path, sets: int, limit_images: int | None, workers: int | None, task_timeout: float) -> None:
    """Label the train/val sets the current predictor ranks best (retrain afterwards)."""
    from svgai.dataset.mine import mine

    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    record = mine(path, sets=sets, workers=workers, task_timeout_s=task_timeout, limit=limit_images,
                  command=_command_line(click.get_current_context()))
    click.echo(f"{path}: {record['labels']} mined labels (status {record['status']}); "
               f"{record['labels_this_run']} this run in {record['seconds_this_run']:.0f} s")
