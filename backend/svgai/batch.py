"""Many images in one run: inputs expanded, outputs mirrored, a process pool or Ray, one record each.

``plan`` turns the command line's inputs (files, folders, glob patterns) into ``Job``s: with one
input the output is ``-o`` (default: the image with ``.svg``); with several, ``-o`` is a folder and
each SVG keeps its image's name there (its path below the folder given, with ``--recursive``).
``run_batch`` converts them on ``workers`` processes (each builds one ``IntelligentRouter`` when it
starts) or as Ray tasks, skips outputs newer than their image unless forced, and yields one
``ImageRecord`` per image in completion order — the lines of the ``--manifest`` file.

Failures are recorded, never raised: the command exits 0 when every image converted or was up to
date and ``EXIT_FAILED`` when any failed (``svgai convert --help`` says so).
"""

from __future__ import annotations

import glob
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from svgai.errors import InvalidImage, InvalidOutput, InvalidParams
from svgai.files import check_output_folder, check_output_path, same_file, save
from svgai.manifest import STDIO, ImageRecord, record

if TYPE_CHECKING:
    from svgai.router import IntelligentRouter

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff"})
"""What a folder's files must end with to be converted (files named on the command line need not)."""
EXIT_FAILED = 1
RAY_JOB_TIMEOUT_S = 600.0
"""A job on Ray that has not finished after this long is cancelled and recorded as failed."""


@dataclass(frozen=True)
class Options:
    """How every image of a batch is converted: ``svgai.conversion.run_conversion``'s keywords."""

    params: tuple[str, ...] = ()
    method: str | None = None
    target_ssim: float | None = None
    budget_ms: float | None = None
    ssim_per_kb: float | None = None
    quality_per_trace: float | None = None
    timeout_s: float | None = None
    preset_name: str | None = None
    background: str | None = None


@dataclass(frozen=True)
class Job:
    """One image to convert and where its SVG goes (``-``: standard input / output)."""

    input: str
    output: str
    options: Options = field(default_factory=Options)


def _expand(argument: str, recursive: bool) -> list[tuple[Path, Path]]:
    """``(image, name to mirror)`` pairs for one command-line input."""
    path = Path(argument)
    if path.is_dir():
        found = path.rglob("*") if recursive else path.iterdir()
        images = sorted(p for p in found if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        return [(p, p.relative_to(path)) for p in images]
    if not path.exists() and glob.has_magic(argument):
        matches = sorted(Path(m) for m in glob.glob(argument, recursive=recursive))
        return [(p, Path(p.name)) for p in matches if p.is_file()]
    return [(path, Path(path.name))]


def one_image(arguments: Sequence[str], pairs: Sequence[tuple[Path, Path]] | None = None) -> bool:
    """Whether the inputs name exactly one image file (or ``-``): then ``-o`` is that image's output."""
    if list(arguments) == [STDIO]:
        return True
    if len(arguments) != 1 or Path(arguments[0]).is_dir():
        return False
    return len(pairs if pairs is not None else _expand(arguments[0], recursive=False)) == 1


def plan(arguments: Sequence[str], output: str | None, options: Options, *, recursive: bool = False) -> list[Job]:
    """The jobs for the command line's inputs; raises ``InvalidImage`` when they name no image."""
    if not arguments:
        raise InvalidImage("no input given; accepted: image files, folders of images, glob patterns or - (stdin)")
    if output == "":
        raise InvalidOutput("the output path is empty; accepted: a file, a folder or - (standard output)")
    if list(arguments) == [STDIO]:
        return [Job(STDIO, output or STDIO, options)]
    if STDIO in arguments:
        raise InvalidImage("- (standard input) cannot be mixed with other inputs")
    pairs = [pair for argument in arguments for pair in _expand(argument, recursive)]
    if not pairs:
        raise InvalidImage(f"no images in {', '.join(arguments)}; accepted suffixes: {', '.join(sorted(IMAGE_SUFFIXES))}")
    if one_image(arguments, pairs):
        image = pairs[0][0]
        target = STDIO if output == STDIO else str(check_output_path(output or image.with_suffix(".svg"), source=image))
        return [Job(str(image), target, options)]
    if output == STDIO:
        raise InvalidImage("several images cannot all be written to - (standard output); give -o a folder")
    if output is not None:
        check_output_folder(output)
    jobs = [
        Job(str(image), str(Path(output) / name.with_suffix(".svg")) if output else str(image.with_suffix(".svg")), options)
        for image, name in pairs
    ]
    _refuse_collisions(jobs)
    return jobs


def _refuse_collisions(jobs: list[Job]) -> None:
    seen: dict[str, str] = {}
    for job in jobs:
        if same_file(Path(job.output), Path(job.input)):
            raise InvalidOutput(f"{job.output}: is the input image itself; refusing to overwrite it "
                                "(give -o a folder)")
        other = seen.setdefault(os.path.abspath(job.output), job.input)
        if other != job.input:
            raise InvalidImage(f"{other} and {job.input} would both be written to {job.output}; "
                               "convert them into different folders")


def is_up_to_date(job: Job) -> bool:
    """Whether the job's output exists and is newer than its image (a resumed batch skips it)."""
    if STDIO in (job.input, job.output):
        return False
    try:
        return os.stat(job.output).st_mtime >= os.stat(job.input).st_mtime
    except OSError:
        return False


def convert_job(job: Job, router: IntelligentRouter | None = None) -> tuple[dict[str, Any], ImageRecord]:
    """Convert one job and write its SVG; return the full report (no SVG text) and its record. Raises."""
    from svgai.conversion import run_conversion

    started = time.perf_counter()
    image: str | bytes = sys.stdin.buffer.read() if job.input == STDIO else job.input
    report = run_conversion(image, router=router, **vars(job.options))
    svg = report.pop("svg")
    if job.output == STDIO:
        sys.stdout.write(svg)
        sys.stdout.flush()
    else:
        save(job.output, svg)
    report["output"] = job.output
    report["total_ms"] = round((time.perf_counter() - started) * 1e3, 1)
    return report, record(job.input, job.output, "ok", report["total_ms"], report)


def attempt(job: Job, router: IntelligentRouter | None = None) -> ImageRecord:
    """``convert_job`` that records a failure instead of raising it."""
    started = time.perf_counter()
    try:
        return convert_job(job, router)[1]
    except Exception as e:
        return record(job.input, job.output, "failed", (time.perf_counter() - started) * 1e3, error=_describe(e))


def _describe(error: BaseException) -> str:
    from svgai.errors import SvgaiError

    return str(error) if isinstance(error, SvgaiError) else f"{type(error).__name__}: {error}"


_router: IntelligentRouter | None = None


def worker_router() -> IntelligentRouter:
    """This process's router, built on first use: one per pool worker or Ray worker."""
    global _router
    if _router is None:
        from svgai.router import IntelligentRouter

        _router = IntelligentRouter()
        _router.warm_up()  # plugins that load a model when first asked do so now, not within one image's budget
    return _router


def _start_worker() -> None:
    """A pool worker: it dies with the batch (even one killed by SIGKILL), then builds its router."""
    from svgai.vectorize import die_with_parent

    die_with_parent()
    worker_router()


def _attempt_in_worker(job: Job) -> ImageRecord:
    return attempt(job, worker_router())


def _ensure_valid(options: Options) -> None:
    from svgai.conversion import check_request

    check_request(**vars(options))


def run_batch(jobs: Sequence[Job], *, workers: int | None = None, force: bool = False, executor: str = "process",
              address: str | None = None) -> Iterator[ImageRecord]:
    """Convert every job and yield its record as it finishes (skipped ones first).

    Raises ``InvalidParams`` before any work when the options are invalid for every image.
    """
    if executor not in ("process", "ray"):
        raise InvalidParams(f"unknown executor {executor!r}; accepted: process, ray", key="executor")
    if jobs:
        _ensure_valid(jobs[0].options)
    todo = []
    for job in jobs:
        if not force and is_up_to_date(job):
            yield record(job.input, job.output, "skipped", 0.0)
        else:
            Path(job.output).parent.mkdir(parents=True, exist_ok=True)
            todo.append(job)
    yield from _on_ray(todo, workers, address) if executor == "ray" else _in_processes(todo, workers)


def _in_processes(jobs: list[Job], workers: int | None) -> Iterator[ImageRecord]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from svgai.dataset.executors import default_workers

    count = min(workers or default_workers(), len(jobs))
    if count <= 1:
        yield from (_attempt_in_worker(job) for job in jobs)
        return
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context: Any = multiprocessing.get_context(method)
    if method == "forkserver":
        # Workers fork from a server that already imported the router: each starts in milliseconds.
        context.set_forkserver_preload(["svgai.router", "svgai.conversion", __name__])
    pool = ProcessPoolExecutor(count, mp_context=context, initializer=_start_worker)
    finished = False
    try:
        futures = {pool.submit(_attempt_in_worker, job): job for job in jobs}
        for future in as_completed(futures):
            try:
                yield future.result()
            except BrokenProcessPool as e:
                job = futures[future]
                yield record(job.input, job.output, "failed", 0.0, error=f"the worker process died ({e})")
        finished = True
    finally:
        # Interrupted (SIGTERM, Ctrl-C, the caller stopped reading): queued images are dropped, and the
        # images in flight are killed with their workers rather than traced to the end (up to minutes).
        if not finished:
            for process in list(pool._processes.values()):  # no public way to stop workers before Python 3.14
                process.kill()
        pool.shutdown(wait=True, cancel_futures=True)


def _on_ray(jobs: list[Job], workers: int | None, address: str | None) -> Iterator[ImageRecord]:
    from svgai.dataset.executors import connect_ray, ray_map

    ray = connect_ray(address, workers)
    remote = ray.remote(num_cpus=1, max_retries=0)(_attempt_in_worker)
    in_flight = int(ray.cluster_resources().get("CPU", 1))
    for job, done, status, why in ray_map(ray, remote, jobs, in_flight=in_flight,
                                            deadline_s=lambda job: RAY_JOB_TIMEOUT_S):
        yield done if status == "ok" else record(job.input, job.output, "failed", 0.0, error=why)


def with_progress(records: Iterable[ImageRecord], total: int) -> Iterator[ImageRecord]:
    """``records`` with a progress bar on stderr (shown only on a terminal)."""
    from tqdm import tqdm

    with tqdm(total=total, unit="image", file=sys.stderr, disable=None) as bar:
        for record in records:
            bar.update()
            yield record


