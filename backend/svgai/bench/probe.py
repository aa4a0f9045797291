"""Measurements that need a fresh process, run as ``python -m svgai.bench.probe MODE ...``.

``predict``: load the predictor, predict for one image, and report the process's peak RSS and
whether torch was imported (it must not be). ``--import-torch`` imports torch first, to measure
what keeping torch out of the runtime saves. ``torchscript``: time the exported TorchScript models
(torch is imported only in this mode, only in this process). Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import sys
import time
import warnings
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    """This process's peak RSS since it started its program (VmHWM).

    Not ``getrusage``'s ``ru_maxrss``: on Linux that keeps the high-water mark of the parent's
    memory inherited through fork() across exec(), so a probe started by a big process would
    report the parent's size.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    kib_or_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib_or_bytes / (2**20 if sys.platform == "darwin" else 1024.0)


def predict(model_dir: Path, image: Path, variant: str | None, import_torch: bool) -> dict[str, Any]:
    if import_torch:
        import torch  # noqa: F401  (the point: measure what importing it costs)
    from svgai.params import encode_many, sample
    from svgai_quality.predictor import LocalQualityPredictor

    candidates = encode_many(sample(1024, method="uniform", seed=0))  # uniform: no scipy import
    started = time.perf_counter()
    predictor = LocalQualityPredictor(model_dir, variant=variant)
    loaded = time.perf_counter()
    predictor.predict(image, candidates)
    return {
        "variant": predictor.variant,
        "load_ms": (loaded - started) * 1e3,
        "first_predict_ms": (time.perf_counter() - loaded) * 1e3,
        "peak_rss_mb": peak_rss_mb(),
        "torch_imported": "torch" in sys.modules,
    }


def torchscript(model_dir: Path, image: Path, count: int, repeats: int) -> dict[str, Any]:
    import torch

    from svgai.bench.timing import measure
    from svgai.images import load_image
    from svgai.params import encode_many, sample
    from svgai_quality.features import prepare
    from svgai_quality.predictor import read_manifest, verified_bytes

    torch.set_num_threads(1)
    manifest = read_manifest(model_dir)
    prepared = prepare(load_image(image))
    results: dict[str, Any] = {"torch": torch.__version__, "threads": 1}
    for precision, name in manifest.get("torchscript", {}).items():
        verified_bytes(model_dir, name, manifest)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit is deprecated upstream; the shipped TorchScript files are still measured
            model = torch.jit.load(str(model_dir / name)).eval()
        for batch in (1, 64):
            inputs = (
                torch.from_numpy(prepared.pixels[None]).repeat(batch, 1, 1, 1),
                torch.from_numpy(prepared.features[None]).repeat(batch, 1),
                torch.from_numpy(encode_many(sample(batch, method="uniform", seed=1))),
            )
            with torch.inference_mode():
                results[f"{precision}_batch_{batch}"] = measure(functools.partial(_forward, model, inputs), count, repeats)
    return results


def _forward(model: Any, inputs: tuple[Any, ...], _: int) -> Any:
    return model(*inputs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m svgai.bench.probe")
    parser.add_argument("mode", choices=["predict", "torchscript"])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--image", type=Path, required=True)
    parser.add_argument("--variant", default=None)
    parser.add_argument("--import-torch", action="store_true")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.mode == "predict":
        result = predict(args.model_dir, args.image, args.variant, args.import_torch)
    else:
        result = torchscript(args.model_dir, args.image, args.count, args.repeats)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
