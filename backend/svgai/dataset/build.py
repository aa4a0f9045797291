"""``svgai dataset build`` as a function: fetch, render, label, write the card.

The images are chosen once (deterministic for the seed: each source's icons in a seeded hash
order, taken in turn from every source so a small build still holds every set) and written to
``images.parquet``; the labels are appended as they are measured; ``card.json`` comes last.
Rerunning with the same settings resumes; rerunning with a larger ``--limit-images`` grows the build
(the images chosen first stay, with their labels, and the new ones are labelled).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
from tqdm import tqdm

from svgai.dataset import store
from svgai.dataset.canvas import ALL_SIDES
from svgai.dataset.card import Throughput, make_card
from svgai.dataset.executors import make_executor
from svgai.dataset.jobs import Task, task_for
from svgai.dataset.render import RenderCounts, RenderedIcon, render_unique
from svgai.dataset.sources import DEFAULT_CACHE, DEFAULT_HOLDOUT, ICON_SETS, Icon, read_icons, resolve
from svgai.errors import SvgaiError
from svgai.log import get_logger
from svgai.quality import MEASURE

log = get_logger("dataset.build")


@dataclass(frozen=True)
class BuildConfig:
    """Everything a build needs. ``sources``, ``limit_images``, ``sets`` and ``seed`` fix the content."""

    out: Path
    sources: tuple[str, ...] = tuple(ICON_SETS)
    limit_images: int | None = None
    holdout: tuple[str, ...] | None = None
    """Sources whose images all go to the "heldout" split; ``None``: those of ``DEFAULT_HOLDOUT`` in ``sources``."""
    sets: int = 16
    seed: int = 0
    max_side: int = ALL_SIDES[1]
    """Cap on the rasters' long side (quick builds and tests use a small one)."""
    workers: int | None = None
    executor: str = "process"
    address: str | None = None
    cache: Path = DEFAULT_CACHE
    task_timeout_s: float = 60.0
    part_rows: int = 512
    progress: bool = True

    def settings(self) -> dict[str, Any]:
        """The settings a resumed build must share with the first run."""
        return {"sources": list(self.sources), "holdout": list(self.holdout or ()), "limit_images": self.limit_images,
                "sets": self.sets, "seed": self.seed, "max_side": self.max_side, "measure": MEASURE}


@dataclass
class _Selection:
    images: list[RenderedIcon] = field(default_factory=list)
    counts: RenderCounts = field(default_factory=RenderCounts)


def held_out(holdout: tuple[str, ...] | None, sources: list[str]) -> tuple[str, ...]:
    """The held-out sources of a build of ``sources`` (checked: each must be one of them)."""
    if holdout is None:
        return tuple(s for s in DEFAULT_HOLDOUT if s in sources)
    unknown = sorted(set(holdout) - set(sources))
    if unknown:
        raise SvgaiError(f"--holdout {', '.join(unknown)}: not a source of this build; accepted: {', '.join(sources)}")
    if set(holdout) == set(sources):
        raise SvgaiError("--holdout names every source; at least one must be left for train/val/test")
    return tuple(sorted(set(holdout)))


def _seeded_order(icons: list[Icon], seed: int) -> Iterator[Icon]:
    return iter(sorted(icons, key=lambda i: hashlib.sha256(f"{seed}:{i.source}:{i.name}".encode()).digest()))


def select_images(resolved: list[tuple[str, Path, str | None]], limit: int | None, seed: int,
                  holdout: tuple[str, ...] = (), max_side: int = ALL_SIDES[1]) -> _Selection:
    """Render icons taken in turn from each source until ``limit`` unique, non-blank images (or all)."""
    queues = [_seeded_order(read_icons(source, path), seed) for source, path, _ in resolved]
    turns = (icon for round_ in itertools.zip_longest(*queues) for icon in round_ if icon is not None)
    selection = _Selection()
    rendered = render_unique(turns, selection.counts, seed=seed, holdout=holdout, max_side=max_side)
    selection.images = list(itertools.islice(rendered, limit) if limit is not None else rendered)
    return selection


def _images(config: BuildConfig, resolved: list[tuple[str, Path, str | None]], *, grow: bool = False) -> pa.Table:
    """The build's images: those chosen before, else chosen now; ``grow`` chooses again for a larger
    ``limit_images`` and checks that every image chosen before (and so labelled) is still among them."""
    images = store.read_images(config.out)
    if images is not None and not grow:
        return images
    before = set() if images is None else set(images["image_id"].to_pylist())
    started = time.monotonic()
    selection = select_images(resolved, config.limit_images, config.seed, config.holdout or (), config.max_side)
    if not selection.images:
        raise SvgaiError(f"no usable images in sources {', '.join(config.sources)} (all blank or unrenderable)")
    lost = before - {image.image_id for image in selection.images}
    if lost:
        raise SvgaiError(f"{config.out}: a larger selection leaves out {len(lost)} image(s) already labelled (the "
                         "sources changed since the first run); build into another --out")
    counts = asdict(selection.counts)
    log.info("images_rendered", **counts, kept=len(before), seconds=round(time.monotonic() - started, 2))
    return store.write_images(config.out, selection.images, counts)


def _tasks(config: BuildConfig, images: pa.Table) -> list[Task]:
    done = store.finished_sets(config.out)
    tasks = []
    columns = images.select(["image_id", "png", "reference_png"]).to_pydict()
    for image_id, png, reference in zip(columns["image_id"], columns["png"], columns["reference_png"], strict=True):
        task = task_for(image_id, png, config.sets, config.seed, done.get(image_id, set()), reference)
        if task.sets:
            tasks.append(task)
    return tasks


def build(config: BuildConfig, command: str) -> dict[str, Any]:
    """Build (or resume) the dataset in ``config.out`` and return its card."""
    if config.sets < 1:
        raise SvgaiError(f"--sets must be at least 1 (got {config.sets})")
    if not ALL_SIDES[0] <= config.max_side <= ALL_SIDES[1]:
        raise SvgaiError(f"--max-side must be within {ALL_SIDES[0]}..{ALL_SIDES[1]} px (got {config.max_side})")
    if config.limit_images is not None and config.limit_images < 1:
        raise SvgaiError(f"--limit-images must be at least 1 (got {config.limit_images})")
    resolved = [resolve(token, config.cache) for token in config.sources]
    config = replace(config, holdout=held_out(config.holdout, [source for source, _, _ in resolved]))
    card_path = config.out / store.CARD
    grow = store.check_settings(config.out, config.settings())
    if card_path.is_file() and not grow:
        log.info("already_built", out=str(config.out))
        finished: dict[str, Any] = json.loads(card_path.read_text(encoding="utf-8"))
        return finished
    images = _images(config, resolved, grow=grow)
    if grow:  # the new images are written: the old card is void and the larger limit is the build's
        card_path.unlink(missing_ok=True)
        store.write_json(config.out / store.SETTINGS, config.settings())
    tasks = _tasks(config, images)
    total = images.num_rows * config.sets
    todo = sum(len(t.sets) for t in tasks)
    executor = make_executor(
        config.executor, workers=config.workers, address=config.address, timeout_s=config.task_timeout_s
    )
    log.info("labelling", images=images.num_rows, labels=total, todo=todo, workers=executor.workers)
    writer = store.LabelWriter(config.out, store.image_facts(images), rows=config.part_rows)
    started = time.monotonic()
    with tqdm(total=total, initial=total - todo, unit="label", disable=not config.progress, smoothing=0.05) as bar:
        writer.add_all(executor.run(tasks), bar)
    wall = time.monotonic() - started
    labels = store.read_labels(config.out)
    _check_complete(labels, total)
    card = make_card(
        images,
        labels,
        settings=config.settings(),
        set_versions={source: version for source, _, version in resolved},
        render_counts=store.render_counts(images),
        throughput=Throughput(writer.written, wall, executor.workers, config.executor),
        command=command,
    )
    store.write_json(card_path, card)
    return card


def _check_complete(labels: pa.Table, total: int) -> None:
    keys = set(zip(labels["image_id"].to_pylist(), labels["set_index"].to_pylist(), strict=True))
    if labels.num_rows != total or len(keys) != total:
        raise SvgaiError(
            f"the labels hold {labels.num_rows} rows ({len(keys)} distinct) where {total} were expected; "
            "rerun the same command to finish the build"
        )
