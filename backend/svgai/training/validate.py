"""``svgai model validate``: measure the shipped predictor on the test split and the held-out sources.

Accuracy of every model (teacher and student in torch; the distilled, quantized and pruned ONNX
variants through the real runtime ``LocalQualityPredictor``), latency of the runtime, artifact sizes
and the peak memory of a fresh predicting process (which must not import torch). The figures go
into ``models/config.json`` with the command and dataset card that produced them.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from svgai.images import load_rgba
from svgai.log import get_logger
from svgai.model_folder import MANIFEST
from svgai.params import defaults, encode_many, sample
from svgai.system import environment
from svgai.targets import PREDICTOR, check
from svgai.training.data import Split, load_splits, read_card
from svgai.training.export import load_checkpoint, write_manifest
from svgai.training.metrics import accuracy, by_source
from svgai.training.models import QualityModel
from svgai_quality.predictor import LocalQualityPredictor

log = get_logger(__name__)
RSS_PROBE = """
import json, re, sys
from pathlib import Path
import numpy as np
import psutil
from svgai.params import defaults, encode_many, sample
from svgai_quality.predictor import LocalQualityPredictor
predictor = LocalQualityPredictor(sys.argv[1])
prediction = predictor.predict(sys.argv[2], encode_many(sample(1024, method="uniform", seed=7)))
assert np.all(np.isfinite(prediction.quality))
print(json.dumps({
    "peak_rss_mb": int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1]) / 1024,
    "rss_mb": psutil.Process().memory_info().rss / 2**20,
    "torch_imported": "torch" in sys.modules,
    "variant": predictor.variant,
}))
"""


def rows_of(split: Split) -> dict[str, np.ndarray]:
    """Flat per-row arrays of the split's ok labels (truth, image index, source, is VTracer's defaults)."""
    image = np.broadcast_to(np.arange(len(split))[:, None], split.ok.shape)[split.ok]
    plain = encode_many([defaults()])[0]
    return {
        "defaults": np.all(np.isclose(split.params[split.ok], plain), axis=1),
        "quality": split.quality[split.ok],
        "log_bytes": split.log_bytes[split.ok],
        "image": image,
        "source": np.asarray(split.sources)[image],
    }


def split_accuracy(
    split: Split, torch_models: dict[str, QualityModel], predictors: dict[str, LocalQualityPredictor]
) -> dict[str, Any]:
    """Accuracy of every model (torch checkpoints and runtime variants) on one split, overall and per source."""
    truth = rows_of(split)
    models = {name: torch_predictions(model, split) for name, model in torch_models.items()}
    for name, predictor in tqdm(predictors.items(), desc=f"validate {split.name}", unit="variant"):
        models[name] = runtime_predictions(predictor, split)
    return {
        name: accuracy(quality, truth["quality"], log_bytes, truth["log_bytes"], truth["image"], truth["defaults"])
        | {
            "by_source": by_source(
                quality, truth["quality"], log_bytes, truth["log_bytes"], truth["image"], truth["source"],
                truth["defaults"],
            )
        }
        for name, (quality, log_bytes) in models.items()
    }


def torch_predictions(model: QualityModel, split: Split) -> tuple[np.ndarray, np.ndarray]:
    """SSIM and log bytes of a torch model for every ok row, in ``rows_of`` order."""
    from svgai.training.train import raw_rows

    outputs = []
    with torch.no_grad():
        for start in range(0, len(split), 64):
            images = torch.arange(start, min(start + 64, len(split)))
            outputs.append(model.head.finish(raw_rows(model, split, images, torch.device("cpu"))))
    return torch.cat([o[0] for o in outputs]).numpy(), torch.cat([o[1] for o in outputs]).numpy()


def runtime_predictions(predictor: LocalQualityPredictor, split: Split) -> tuple[np.ndarray, np.ndarray]:
    """The same through the shipped runtime (ONNX Runtime), one image and its parameter sets at a time."""
    quality, log_bytes = [], []
    for i in range(len(split)):
        prediction = predictor.predict(split.pngs[i], split.params[i][split.ok[i]])
        quality.append(prediction.quality)
        log_bytes.append(np.log(prediction.svg_bytes))
    return np.concatenate(quality), np.concatenate(log_bytes)


def percentiles(call: Callable[[], object], repeats: int) -> dict[str, float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": float(np.percentile(times, 50)),
        "p95_ms": float(np.percentile(times, 95)),
        "mean_ms": statistics.fmean(times),
        "calls": repeats,
    }


def latency(predictor: LocalQualityPredictor, split: Split, folder: Path, repeats: int) -> dict[str, Any]:
    """Runtime latency: new images from PNG files, cached images, batches of 1 and 1024 sets."""
    paths = []
    for i in range(min(len(split), repeats)):
        paths.append(folder / f"{i}.png")
        paths[-1].write_bytes(split.pngs[i])
    candidates = sample(1024, seed=11)
    encoded = encode_many(candidates)
    predictor.clear_cache()
    fresh = iter(paths * (repeats // max(len(paths), 1) + 1))

    def new_image() -> None:
        predictor.clear_cache()
        predictor.predict_quality(next(fresh), candidates[0])

    def embed_again() -> None:
        predictor.clear_cache()
        predictor.embed(raster)

    counter = iter(range(10**9))
    predictor.predict_quality(paths[0], candidates[0])
    raster = load_rgba(split.pngs[0])
    return {
        "predict_quality_new_image": percentiles(new_image, repeats),
        "predict_quality_cached_image": percentiles(
            lambda: predictor.predict_quality(paths[0], candidates[next(counter) % 1024]), repeats
        ),
        "embed_batch1": percentiles(embed_again, repeats),
        "predict_batch1_encoded": percentiles(lambda: predictor.predict(paths[0], encoded[:1]), repeats),
        "predict_batch1024_encoded": percentiles(lambda: predictor.predict(paths[0], encoded), repeats),
        "predict_batch1024_dicts": percentiles(
            lambda: predictor.predict(paths[0], candidates), max(repeats // 10, 3)
        ),
    }


def process_memory(model_dir: Path, image: Path) -> dict[str, Any]:
    """Peak RSS of a fresh Python process that loads the predictor and scores 1024 sets.

    The peak is the kernel's high-water mark of the new process (VmHWM; ``ru_maxrss`` is not used:
    Linux carries it over from the parent across exec). ``rss_mb`` is psutil's reading at the end.
    """
    done = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, str(model_dir), str(image)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def validate(
    model_dir: Path,
    dataset: Path,
    train_dir: Path | None,
    *,
    repeats: int = 200,
    command: str = "",
    limit: int | None = None,
) -> dict[str, Any]:
    """Measure everything and write it into ``model_dir/config.json``; returns the validation section."""
    torch.set_num_threads(2)
    manifest = json.loads((model_dir / MANIFEST).read_text())
    splits = load_splits(dataset, ("test", "heldout"), limit=limit)
    splits = {name: split for name, split in splits.items() if len(split)}
    test = splits["test"]
    teacher = train_dir / "teacher.safetensors" if train_dir is not None else None
    torch_models = {"student_torch": load_checkpoint(model_dir / manifest["state_dict"])}
    if teacher is not None and teacher.is_file():
        torch_models = {"teacher": load_checkpoint(teacher), **torch_models}
    predictors = {v: LocalQualityPredictor(model_dir, variant=v) for v in manifest["preference"]}
    scores_by_split = {name: split_accuracy(split, torch_models, predictors) for name, split in splits.items()}
    scores = scores_by_split["test"]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        timings = {name: latency(p, test, Path(folder), repeats) for name, p in predictors.items()}
        memory = process_memory(model_dir, Path(folder) / "0.png")
    default = LocalQualityPredictor(model_dir).variant
    sizes = {
        name: sum(manifest["artifacts"][f]["bytes"] for f in files.values())
        for name, files in manifest["variants"].items()
    }
    sizes["onnx_variants"] = sum(sizes[name] for name in manifest["variants"])
    report: dict[str, Any] = {
        "command": command,
        "dataset": read_card(dataset),
        "split": "test",
        "by_split": scores_by_split,
        "default_variant": default,
        "accuracy": scores,
        "latency": timings,
        "memory": memory,
        "sizes_bytes": sizes | {"all_artifacts": sum(a["bytes"] for a in manifest["artifacts"].values())},
        "environment": environment(),
        "load_average_1_5_15": {"before_timing": load_before, "after_timing": os.getloadavg()},
    }
    best = scores[default]
    report["figures"] = {
        "pearson": best["pearson"],
        "mae": best["mae"],
        "within_image_spearman": best["within_image_spearman"],
        "size_median_relative_error": best["size_median_relative_error"],
        **{
            f"heldout_{key}": scores_by_split["heldout"][default][key]
            for key in ("pearson", "mae", "within_image_spearman", "size_median_relative_error")
            if "heldout" in scores_by_split
        },
        "int8_pearson_loss": scores["distilled"]["pearson"] - scores["quantized"]["pearson"],
        "predict_new_image_p50_ms": timings[default]["predict_quality_new_image"]["p50_ms"],
        "predict_new_image_p95_ms": timings[default]["predict_quality_new_image"]["p95_ms"],
        "predict_cached_p50_ms": timings[default]["predict_quality_cached_image"]["p50_ms"],
        "predict_1024_encoded_p50_ms": timings[default]["predict_batch1024_encoded"]["p50_ms"],
        "process_peak_rss_mb": memory["peak_rss_mb"],
        "student_mb": sizes[default] / 1e6,
    }
    report["targets"] = check(PREDICTOR, report["figures"])
    manifest["validation"] = report
    write_manifest(model_dir, manifest)
    log.info("validated", figures=report["figures"], torch_imported=memory["torch_imported"])
    return report
