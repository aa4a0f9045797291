"""Benchmarks of the quality predictor on ONNX Runtime: new vs cached images, batches, variants,
threads, graph optimization, model load time — the same images as the real loop."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from svgai.bench.corpus import BenchImage
from svgai.bench.timing import Figure, measure
from svgai.images import load_image
from svgai.params import encode_many, sample
from svgai_quality.features import prepare
from svgai_quality.predictor import LocalQualityPredictor, read_manifest, verified_bytes

BATCHES = (1, 64, 1024)


class Bench:
    """What every predictor benchmark needs: the model folder, the images and the repeat counts."""

    def __init__(self, model_dir: Path, images: list[BenchImage], repeats: int) -> None:
        self.model_dir = model_dir
        self.images = images
        self.repeats = repeats
        self.params = sample(256, method="uniform", seed=1)
        self.encoded = {b: encode_many(sample(b, method="uniform", seed=2)) for b in BATCHES}

    def predictor(self, **options: Any) -> LocalQualityPredictor:
        return LocalQualityPredictor(self.model_dir, **options)

    def image(self, i: int) -> Path:
        return self.images[i % len(self.images)].path

    def new_image(self, predictor: LocalQualityPredictor, calls_per_image: int = 3) -> Figure:
        """``predict_quality`` for an image whose embedding is not cached (file decode included)."""
        return measure(
            lambda i: predictor.predict_quality(self.image(i), self.params[i % len(self.params)]),
            calls_per_image * len(self.images),
            self.repeats,
        )

    def cached(self, predictor: LocalQualityPredictor, count: int = 300) -> Figure:
        """``predict_quality`` for an image seen before, with new parameters each call."""
        for image in self.images:
            predictor.embed(image.path)
        return measure(
            lambda i: predictor.predict_quality(self.image(i), self.params[i % len(self.params)]), count, self.repeats
        )

    def batch(self, predictor: LocalQualityPredictor, size: int, count: int) -> Figure:
        """``predict`` for ``size`` already-encoded parameter sets on a cached image."""
        encoded = self.encoded[size]
        for image in self.images:
            predictor.embed(image.path)
        return measure(lambda i: predictor.predict(self.image(i), encoded), count, self.repeats)

    def load(self, count: int = 3, **options: Any) -> Figure:
        """Constructing the predictor: manifest, sha256 checks, two ONNX Runtime sessions."""
        return measure(lambda _: self.predictor(**options), count, self.repeats, warmup=0)


def predictor_figures(bench: Bench) -> dict[str, Any]:
    """The default predictor: new vs cached image, batches, parameter dicts vs encoded arrays."""
    cached = bench.predictor()
    count = 3 * len(bench.images)
    return {
        "variant": cached.variant,
        "load": bench.load(),
        "new_image": bench.new_image(bench.predictor(cache_size=0)),
        "new_image_decode": measure(lambda i: load_image(bench.image(i)), count, bench.repeats),
        "new_image_features": measure(lambda i: prepare(bench.images[i % len(bench.images)].rgb), count, bench.repeats),
        "cached_image": bench.cached(cached),
        "batch": {str(b): bench.batch(cached, b, count={1: 200, 64: 100, 1024: 30}[b]) for b in BATCHES},
        "batch_1024_as_dicts": measure(
            lambda i: cached.predict(bench.image(i), bench.params * 4), 5, bench.repeats
        ),
    }


def variant_figures(bench: Bench) -> dict[str, Any]:
    """Each exported variant (fp32 "distilled", int8 "quantized", "pruned") side by side."""
    manifest = read_manifest(bench.model_dir)
    out: dict[str, Any] = {}
    for variant, files in manifest["variants"].items():
        if not all((bench.model_dir / f).is_file() for f in files.values()):
            out[variant] = {"unavailable": "files missing"}
            continue
        predictor = bench.predictor(variant=variant)
        out[variant] = {
            "files": files,
            "bytes": sum((bench.model_dir / f).stat().st_size for f in files.values()),
            "load": bench.load(variant=variant),
            "new_image": bench.new_image(bench.predictor(variant=variant, cache_size=0), calls_per_image=2),
            "batch_1024": bench.batch(predictor, 1024, count=20),
        }
    return out


@contextmanager
def one_core_busy() -> Iterator[None]:
    """Another process spinning on one core for the duration (the machine shared with other work)."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def thread_figures(bench: Bench) -> dict[str, Any]:
    """ONNX Runtime intra-op threads 1 vs 2, on an idle machine and with one core taken by another process."""
    out: dict[str, Any] = {}
    for threads in (1, 2):
        for load, context in (("idle", _nothing), ("one_core_busy", one_core_busy)):
            with context():
                out[f"{threads}_threads_{load}"] = {
                    "new_image": bench.new_image(bench.predictor(intra_op_threads=threads, cache_size=0), 2),
                    "batch_1024": bench.batch(bench.predictor(intra_op_threads=threads), 1024, count=20),
                }
    return out


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def graph_optimization_figures(bench: Bench) -> dict[str, Any]:
    """The default variant's graphs with ONNX Runtime's graph optimizations off vs all on."""
    manifest = read_manifest(bench.model_dir)
    files = manifest["variants"][bench.predictor().variant]
    prepared = prepare(bench.images[0].rgb)
    encoder_inputs = {"pixels": prepared.pixels[None], "features": prepared.features[None]}
    out: dict[str, Any] = {}
    for level_name, level in (("disabled", ort.GraphOptimizationLevel.ORT_DISABLE_ALL),
                              ("all", ort.GraphOptimizationLevel.ORT_ENABLE_ALL)):
        options = ort.SessionOptions()
        options.graph_optimization_level = level
        options.log_severity_level = 3
        encoder = ort.InferenceSession(verified_bytes(bench.model_dir, files["encoder"], manifest), options)
        head = ort.InferenceSession(verified_bytes(bench.model_dir, files["head"], manifest), options)
        embedding = encoder.run(None, encoder_inputs)[0]
        head_inputs = {"embedding": np.repeat(embedding, 1024, axis=0), "params": bench.encoded[1024]}
        out[level_name] = {
            "encoder_one_image": measure(_run(encoder, encoder_inputs), 30, bench.repeats),
            "head_1024": measure(_run(head, head_inputs), 30, bench.repeats),
        }
    return out


def _run(session: ort.InferenceSession, inputs: dict[str, np.ndarray]) -> Callable[[int], Any]:
    return lambda _: session.run(None, inputs)
