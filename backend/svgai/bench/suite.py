"""One ``svgai bench`` run: the real loop and the predictor on the same images, in one report."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from svgai import __version__
from svgai.bench.corpus import load_corpus
from svgai.bench.loop import real_loop
from svgai.bench.prediction import (
    Bench,
    graph_optimization_figures,
    predictor_figures,
    thread_figures,
    variant_figures,
)
from svgai.errors import ModelUnavailable
from svgai.log import get_logger
from svgai.model_folder import find_model_dir
from svgai.system import environment
from svgai_quality.predictor import read_manifest

log = get_logger("bench")


def probe(mode: str, model_dir: Path, image: Path, *extra: str) -> dict[str, Any]:
    """Run ``svgai.bench.probe`` in a fresh Python process and return its JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "svgai.bench.probe", mode, "--model-dir", str(model_dir), "--image", str(image), *extra],
        capture_output=True, text=True, timeout=600, env={**os.environ, "SVGAI_LOG_LEVEL": "ERROR"},
    )
    if done.returncode != 0:
        return {"unavailable": f"probe {mode} failed: {done.stderr.strip().splitlines()[-1:]}"}
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def fresh_process_figures(model_dir: Path, image: Path, repeats: int) -> dict[str, Any]:
    """Peak RSS of a new process that loads the predictor and predicts 1024 candidates (torch never
    imported), and — when torch is installed — the same process with torch imported first."""
    runs = [probe("predict", model_dir, image) for _ in range(repeats)]
    out: dict[str, Any] = {"runtime": runs}
    if importlib.util.find_spec("torch") is not None:
        out["with_torch_imported"] = [probe("predict", model_dir, image, "--import-torch")]
    else:
        out["with_torch_imported"] = {"unavailable": "torch is not installed"}
    return out


def torchscript_figures(model_dir: Path, image: Path, repeats: int) -> dict[str, Any]:
    if importlib.util.find_spec("torch") is None:
        return {"unavailable": "torch is not installed (pip install -e '.[train]')"}
    return probe("torchscript", model_dir, image, "--repeats", str(repeats), "--count", "20")


def speed_up(loop: dict[str, Any], predictor: dict[str, Any]) -> dict[str, float]:
    """How many times cheaper one candidate is to score than to convert and measure."""
    real_ms = loop["per_candidate"]["p50_ms"]
    batched_ms = predictor["batch"]["1024"]["p50_ms"] / 1024
    return {
        "real_loop_ms_per_candidate": real_ms,
        "batched_1024_ms_per_candidate": batched_ms,
        "batched_speed_up": real_ms / batched_ms,
        "cached_predict_quality_speed_up": real_ms / predictor["cached_image"]["p50_ms"],
        "new_image_predict_quality_speed_up": real_ms / predictor["new_image"]["p50_ms"],
    }


def run_bench(
    *, image_count: int, candidates: int, repeats: int, images: Path | None, model_dir: Path | None,
    command: str = "svgai bench",
) -> dict[str, Any]:
    """Measure everything ``svgai bench`` reports; sections needing the model say why they are missing."""
    started = time.perf_counter()
    corpus = load_corpus(image_count, images)
    report: dict[str, Any] = {
        "svgai": __version__,
        "command": command,
        "environment": environment(),
        "settings": {"images": len(corpus.images), "candidates": candidates, "repeats": repeats},
        "images": {"origin": corpus.origin, "names": [f"{i.source}/{i.name}" for i in corpus.images],
                   "sizes": sorted({f"{i.rgb.shape[1]}x{i.rgb.shape[0]}" for i in corpus.images})},
    }
    report["load_average_start"] = os.getloadavg()[0]  # other work on the machine skews every figure
    steps = tqdm(total=8, desc="svgai bench", unit="part", disable=None)
    report["real_loop"] = real_loop(corpus.images, candidates, repeats)
    steps.update()
    try:
        folder = find_model_dir(model_dir)
        manifest = read_manifest(folder)
    except ModelUnavailable as e:
        log.warning("model_unavailable", reason=str(e))
        report["model"] = {"unavailable": str(e)}
        steps.close()
        return _finish(report, started)
    validation = manifest.get("validation") or {}
    report["model"] = {"dir": str(folder), "version": manifest.get("version"),
                       "accuracy": {k: (validation.get("figures") or {}).get(k) for k in ("pearson", "mae")},
                       "accuracy_source": f"{folder / 'config.json'} ({validation.get('command') or 'not validated'})"}
    bench = Bench(folder, corpus.images, repeats)
    sections = (
        ("predictor", lambda: predictor_figures(bench)),
        ("variants", lambda: variant_figures(bench)),
        ("threads", lambda: thread_figures(bench)),
        ("graph_optimization", lambda: graph_optimization_figures(bench)),
        ("fresh_process", lambda: fresh_process_figures(folder, corpus.images[0].path, repeats)),
        ("torchscript", lambda: torchscript_figures(folder, corpus.images[0].path, repeats)),
    )
    for name, run in sections:
        try:
            report[name] = run()
        except ModelUnavailable as e:
            report[name] = {"unavailable": str(e)}
        steps.update()
    if "unavailable" not in report["predictor"]:
        report["speed_up"] = speed_up(report["real_loop"], report["predictor"])
    steps.update()
    steps.close()
    return _finish(report, started)


def _finish(report: dict[str, Any], started: float) -> dict[str, Any]:
    report["load_average_end"] = os.getloadavg()[0]
    report["elapsed_s"] = time.perf_counter() - started
    return report
