"""``svgai dataset mine``: label the parameter sets the current predictor likes best (one active-learning round).

The build's sets are spread over the whole space, so few of them sit where the router actually
chooses — and there the predictor is most often wrong (it picks what it overrates). Mining scores the
predictor-guided search pool of every train and validation image with the shipped predictor, takes
the best few sets by the router's objective at several size prices, converts them for real and
appends them to the dataset's labels with set indexes from ``MINED_BASE`` up. Retraining on the
result teaches the model where its choices go wrong. Test-split images are never mined, so the
validation figures of models trained before and after stay comparable. Reruns resume.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from svgai.dataset import store
from svgai.dataset.executors import make_executor
from svgai.dataset.jobs import Task
from svgai.errors import ModelUnavailable, SvgaiError
from svgai.hookspecs import Constraints
from svgai.images import load_image
from svgai.log import get_logger
from svgai.methods import search
from svgai.methods.objective import rank
from svgai.params import VTracerParams

log = get_logger("dataset.mine")
MINED_BASE = 1000
"""Set index of an image's first mined set (the build's sets are 0..K-1)."""
PRICES = (0.0, 0.0005, 0.002)
"""Size prices (SSIM per kB) whose favourite sets are mined, taken in turn."""


def favourites(ssim: np.ndarray, svg_bytes: np.ndarray, pool: Sequence[VTracerParams], count: int,
               prices: Sequence[float] = PRICES) -> list[VTracerParams]:
    """``count`` distinct sets of ``pool``: the best-ranked by each price in turn (pool[0] = the defaults)."""
    orders = [rank(ssim, svg_bytes, Constraints(ssim_per_kb=p, max_bytes_ratio=None), float(svg_bytes[0]))
              for p in prices]
    chosen: list[int] = []
    for depth in range(len(pool)):
        for order in orders:
            if len(chosen) == count:
                return [pool[i] for i in chosen]
            if order[depth] not in chosen and order[depth] != 0:
                chosen.append(int(order[depth]))
    return [pool[i] for i in chosen]


def mine(dataset: Path, *, sets: int, workers: int | None, task_timeout_s: float, command: str,
         splits: Sequence[str] = ("train", "val"), limit: int | None = None) -> dict[str, Any]:
    """Mine ``sets`` sets per image of ``splits``; returns (and records in card.json) what was done."""
    from svgai.plugins import get_plugins, implementers, performance_of
    from svgai.scoring import build_scorer

    card_path = dataset / store.CARD
    images = store.read_images(dataset)
    if images is None or not card_path.is_file():
        raise SvgaiError(f"{dataset}: not a finished dataset (no images.parquet or card.json); run `svgai dataset build`")
    store.check_measure(dataset)
    if "test" in splits:
        raise SvgaiError("test-split images are never mined: the model's validation figures come from them")
    manager = get_plugins().manager
    predictors = implementers(manager, "predict_candidates")
    infos = {name: performance_of(manager, name) for name in predictors}
    if not any(info["available"] for info in infos.values()):
        raise ModelUnavailable(f"mining ranks candidates with a batch quality predictor and none is available: {infos}")
    used: set[str] = set()
    columns = ["image_id", "split", "png", "reference_png"]
    rows = [r for r in images.select(columns).to_pylist() if r["split"] in splits][:limit]
    done = store.finished_sets(dataset)
    pool, encoded = search.candidates(), search.encoded_candidates()
    tasks = []
    for row in tqdm(rows, desc="rank candidates", unit="image"):
        todo = [MINED_BASE + k for k in range(sets) if MINED_BASE + k not in done.get(row["image_id"], set())]
        if not todo:
            continue
        scorer = build_scorer(manager, infos, load_image(row["png"]), None, lambda name, why: log.warning(
            "predictor_skipped", predictor=name, reason=why))
        if scorer is None:
            raise ModelUnavailable("no quality predictor is available to rank the candidates")
        scores = scorer(pool, encoded)
        used.add(scorer.name)
        picked = favourites(scores.quality, scores.svg_bytes, pool, sets)
        tasks.append(Task(row["image_id"], row["png"], tuple((MINED_BASE + k, picked[k]) for k in range(len(picked))
                                                             if MINED_BASE + k in todo), row["reference_png"]))
    executor = make_executor("process", workers=workers, address=None, timeout_s=task_timeout_s)
    writer = store.LabelWriter(dataset, store.image_facts(images))
    started = time.monotonic()
    with tqdm(total=sum(len(t.sets) for t in tasks), desc="mine", unit="label") as bar:
        writer.add_all(executor.run(tasks), bar)
    labels = store.read_labels(dataset).to_pydict()
    mined = [s for s, i in zip(labels["status"], labels["set_index"], strict=True) if i >= MINED_BASE]
    record = {
        "command": command, "splits": list(splits), "sets_per_image": sets, "prices_ssim_per_kb": list(PRICES),
        "predictors": sorted(used), "predictor_quality": {n: infos[n]["quality_source"] for n in sorted(used)},
        "labels": len(mined), "status": {s: mined.count(s) for s in sorted(set(mined))},
        "labels_this_run": writer.written, "seconds_this_run": round(time.monotonic() - started, 1),
    }
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["mined"] = record
    store.write_json(card_path, card)
    log.info("mined", labels=record["labels"], labels_this_run=writer.written, status=record["status"])
    return record
