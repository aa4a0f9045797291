"""Export a trained student for shipping: ONNX (encoder and head, dynamic batch), TorchScript, safetensors.

The runtime uses ONNX: ``*.encoder.onnx`` maps (pixels, features) to an embedding and
``*.head.onnx`` maps (embedding, params) to (ssim, log_svg_bytes), both with a dynamic batch axis.
``optimize`` derives the int8 and pruned variants. Every ONNX graph is checked against the torch
module it came from on ONNX Runtime (max absolute difference, recorded in the manifest). The
manifest ``config.json`` written here lists each artifact's bytes and sha256; ``svgai model
validate`` adds the measured figures.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from svgai import __version__
from svgai.errors import ModelUnavailable
from svgai.files import write_atomically
from svgai.log import get_logger
from svgai.model_folder import MANIFEST, PREFERENCE
from svgai.params import ENCODED_DIM, ENCODED_FEATURES
from svgai.training.models import Architecture, QualityModel, example_inputs
from svgai.training.optimize import prune_l1, quantize_onnx, quantize_torch
from svgai_quality.features import FEATURE_DIM, FEATURE_NAMES, IMAGE_SIZE

log = get_logger(__name__)


def load_checkpoint(path: Path) -> QualityModel:
    """Rebuild a model from a safetensors checkpoint written by training (no unpickling)."""
    if not path.is_file():
        raise ModelUnavailable(f"{path}: no such checkpoint; run `svgai model train` first")
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata() or {}
    model = QualityModel(Architecture.from_dict(json.loads(metadata["architecture"])))
    model.load_state_dict(load_file(str(path)))
    return model.eval()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_onnx(model: QualityModel, prefix: Path) -> dict[str, str]:
    """Write ``<prefix>.encoder.onnx`` and ``<prefix>.head.onnx``; return the two file names."""
    pixels, features, params = example_inputs(4)
    batch = torch.export.Dim("batch", min=1, max=1 << 20)
    with torch.no_grad():
        embedding = model.encoder(pixels, features)
    files = {"encoder": f"{prefix.name}.encoder.onnx", "head": f"{prefix.name}.head.onnx"}
    jobs: list[tuple[torch.nn.Module, tuple[torch.Tensor, ...], list[str], list[str], str]] = [
        (model.encoder, (pixels, features), ["pixels", "features"], ["embedding"], files["encoder"]),
        (model.head, (embedding, params), ["embedding", "params"], ["ssim", "log_svg_bytes"], files["head"]),
    ]
    for module, args, inputs, outputs, name in jobs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                args,
                str(prefix.parent / name),
                input_names=inputs,
                output_names=outputs,
                dynamic_shapes={k: {0: batch} for k in inputs},
                dynamo=True,
                external_data=False,
                verbose=False,
            )
    return files


def onnx_outputs(folder: Path, files: dict[str, str], args: tuple[torch.Tensor, ...]) -> list[np.ndarray]:
    """Run an encoder + head pair on ONNX Runtime: [embedding, ssim, log_svg_bytes]."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    encoder = ort.InferenceSession(
        str(folder / files["encoder"]), options, providers=["CPUExecutionProvider"]
    )
    head = ort.InferenceSession(str(folder / files["head"]), options, providers=["CPUExecutionProvider"])
    pixels, features, params = (a.numpy() for a in args)
    (embedding,) = encoder.run(None, {"pixels": pixels, "features": features})
    ssim, log_bytes = head.run(None, {"embedding": embedding, "params": params})
    return [embedding, ssim, log_bytes]


def parity(model: torch.nn.Module, folder: Path, files: dict[str, str], batch: int = 16) -> dict[str, float]:
    """Max |torch − ONNX Runtime| of embedding, SSIM and log bytes on ``batch`` example rows."""
    args = example_inputs(batch)
    with torch.no_grad():
        embedding = model.encoder(*args[:2])  # type: ignore[operator]
        ssim, log_bytes = model.head(embedding, args[2])  # type: ignore[operator]
    ours = [embedding.numpy(), ssim.numpy(), log_bytes.numpy()]
    theirs = onnx_outputs(folder, files, args)
    names = ("embedding", "ssim", "log_svg_bytes")
    return {
        f"max_abs_diff_{n}": float(np.max(np.abs(a - b))) for n, a, b in zip(names, ours, theirs, strict=True)
    }


def export_torchscript(model: torch.nn.Module, path: Path) -> None:
    """Trace the whole model (pixels, features, params) → (ssim, log bytes) for callers that load TorchScript."""
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.trace(model, example_inputs(4)), str(path))


def input_spec() -> dict[str, Any]:
    return {
        "image_size": IMAGE_SIZE,
        "pixels": {
            "name": "pixels",
            "shape": ["batch", 3, IMAGE_SIZE, IMAGE_SIZE],
            "range": [0.0, 1.0],
            "made_by": "svgai_quality.features.prepare",
        },
        "features": {"name": "features", "shape": ["batch", FEATURE_DIM], "names": list(FEATURE_NAMES)},
        "params": {
            "name": "params",
            "shape": ["batch", ENCODED_DIM],
            "encoding": list(ENCODED_FEATURES),
            "made_by": "svgai.params.encode_many",
        },
        "outputs": {
            "ssim": "predicted SSIM in [0, 1]",
            "log_svg_bytes": "natural log of predicted SVG bytes",
        },
    }


def export(train_dir: Path, out: Path, *, prune_amount: float = 0.3, command: str = "") -> dict[str, Any]:
    """Export the student in ``train_dir`` into ``out`` with its variants; write the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    student = load_checkpoint(train_dir / "student.safetensors")
    pruned, sparsity = prune_l1(student, prune_amount)
    variants = {
        "distilled": export_onnx(student, out / "student"),
        "pruned": export_onnx(pruned, out / "student-pruned"),
    }
    variants["quantized"] = {
        part: quantize_onnx(out / name, out / name.replace(".onnx", ".int8.onnx")).name
        for part, name in variants["distilled"].items()
    }
    checks = {
        "distilled": parity(student, out, variants["distilled"]),
        "pruned": parity(pruned, out, variants["pruned"]),
        "quantized_vs_fp32_torch": parity(student, out, variants["quantized"]),
    }
    export_torchscript(student, out / "student.torchscript.pt")
    export_torchscript(quantize_torch(student), out / "student.int8.torchscript.pt")
    shutil.copyfile(train_dir / "student.safetensors", out / "student.safetensors")
    training = json.loads((train_dir / "training.json").read_text())
    manifest = {
        "format": 1,
        "version": f"{__version__}+{sha256_of(out / 'student.safetensors')[:12]}",
        "input": input_spec(),
        "variants": {name: variants[name] for name in PREFERENCE},
        "preference": list(PREFERENCE),
        "torchscript": {"fp32": "student.torchscript.pt", "int8": "student.int8.torchscript.pt"},
        "state_dict": "student.safetensors",
        "artifacts": {},
        "export": {
            "command": command,
            "parity": checks,
            "pruning": {"amount": prune_amount, "sparsity": sparsity},
        },
        "training": {k: training[k] for k in ("config", "dataset", "rows", "images")}
        | {m: {k: v for k, v in training[m].items() if k != "history"} for m in ("teacher", "student")},
    }
    write_manifest(out, manifest)
    log.info("exported", out=str(out), parity=checks["distilled"])
    return manifest


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Record bytes and sha256 of every shipped file, then write ``config.json``."""
    files = sorted(
        {
            *(f for v in manifest["variants"].values() for f in v.values()),
            *manifest["torchscript"].values(),
            manifest["state_dict"],
        }
    )
    manifest["artifacts"] = {
        f: {"bytes": (folder / f).stat().st_size, "sha256": sha256_of(folder / f)} for f in files
    }
    write_atomically(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")
