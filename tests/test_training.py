"""Training, export and validation of the quality predictor on a tiny real labelled dataset.

The dataset is built here the way the real one is: fixture logos (and mirrored copies, which VTracer
treats as new images), a few parameter sets each from ``svgai.params.sample``, labels measured by
``svgai.quality.convert`` (real VTracer, real rendering, real SSIM), written in the dataset contract.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from svgai.errors import SvgaiError
from svgai.images import encode_png, load_image
from svgai.params import NAMES, defaults, sample

if TYPE_CHECKING:
    from svgai.training.train import TrainConfig
from svgai.quality import MEASURE, convert

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = [
    ROOT / "tests/fixtures" / f"{n}.png" for n in ("python", "github", "firefoxbrowser", "two_colour")
]
FIXTURES.append(ROOT / "examples/logo.png")
SETS_PER_IMAGE = 8


def build_tiny_dataset(path: Path) -> Path:
    """Write a 10-image labelled dataset in the contract format (images, labels, card.json last)."""
    path.mkdir(parents=True, exist_ok=True)
    rasters = []
    for fixture in FIXTURES:
        rgb = load_image(fixture)
        rasters += [(fixture.stem, rgb), (f"{fixture.stem}-mirrored", np.ascontiguousarray(rgb[:, ::-1]))]
    splits = ["train"] * 6 + ["val"] * 2 + ["test"] * 2
    images, labels = [], []
    for index, ((name, rgb), split) in enumerate(zip(rasters, splits, strict=True)):
        image_id = hashlib.sha256(rgb.tobytes()).hexdigest()
        images.append(
            {
                "image_id": image_id,
                "source": "fixtures",
                "name": name,
                "license": "CC0-1.0",
                "split": split,
                "png": encode_png(rgb),
            }
        )
        # set 0 is VTracer's defaults, as in `svgai dataset build`
        for set_index, params in enumerate([defaults(), *sample(SETS_PER_IMAGE - 1, method="sobol", seed=index)]):
            result = convert(rgb, params)
            labels.append(
                {
                    "image_id": image_id,
                    "set_index": set_index,
                    **params,
                    "status": "ok",
                    "quality": result.quality,
                    "ssim": result.ssim,
                    "svg_bytes": result.svg_bytes,
                    "path_count": result.path_count,
                    "convert_ms": result.vectorize_ms,
                }
            )
    pq.write_table(pa.Table.from_pylist(images), path / "images.parquet")
    pq.write_table(pa.Table.from_pylist(labels), path / "labels.parquet")
    card = {"name": "tiny-test", "images": len(images), "rows": len(labels), "parameters": list(NAMES)}
    (path / "card.json").write_text(json.dumps(card))
    return path


def tiny_config(dataset: Path, out: Path) -> TrainConfig:
    """The short training run every test here uses (torch imported only when a test trains)."""
    from svgai.training.train import TrainConfig

    return TrainConfig(dataset=str(dataset), out=str(out), teacher_epochs=3, student_epochs=3, batch_images=3,
                       threads=1, patience=2)


_BUILT: dict[str, Path] = {}


def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Dataset → trained teacher and student → exported models folder; built once per test session."""
    if not _BUILT:
        from svgai.training.export import export
        from svgai.training.train import train

        root = tmp_path_factory.mktemp("quality-model")
        dataset = build_tiny_dataset(root / "dataset")
        train(tiny_config(dataset, root / "train"))
        export(root / "train", root / "models", command="pytest")
        _BUILT.update(root=root, dataset=dataset, train=root / "train", models=root / "models")
    return _BUILT


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return tiny_model(tmp_path_factory)


def test_loader_keeps_only_ok_rows_and_splits_by_image(tmp_path: Path) -> None:
    from svgai.training.data import load_splits

    dataset = build_tiny_dataset(tmp_path / "d")
    labels = pq.read_table(dataset / "labels.parquet").to_pylist()
    labels[0]["status"] = "timeout"
    pq.write_table(pa.Table.from_pylist(labels), dataset / "labels.parquet")
    splits = load_splits(dataset)
    assert [len(splits[s]) for s in ("train", "val", "test")] == [6, 2, 2]
    assert sum(s.rows for s in splits.values()) == len(labels) - 1
    assert not set(splits["train"].image_ids) & set(splits["test"].image_ids)
    assert splits["train"].pixels.shape[1:] == (128, 128, 3)


def test_labels_of_another_measure_are_refused_for_training_and_fitting(tmp_path: Path) -> None:
    from svgai.training.data import load_splits
    from svgai.training.methods import read_dataset

    dataset = build_tiny_dataset(tmp_path / "d")
    (dataset / "build.json").write_text(json.dumps({"sets": SETS_PER_IMAGE, "measure": "quality-v2.0"}))
    for read in (lambda: load_splits(dataset), lambda: read_dataset(dataset, "train", None)):
        with pytest.raises(SvgaiError, match=f"labelled with the measure quality-v2.0; this svgai measures {MEASURE}"):
            read()
    (dataset / "build.json").write_text(json.dumps({"sets": SETS_PER_IMAGE, "measure": MEASURE}))
    assert len(load_splits(dataset)["train"]) == 6


def test_training_keeps_the_best_validation_checkpoint(built: dict[str, Path]) -> None:
    summary = json.loads((built["train"] / "training.json").read_text())
    for name in ("teacher", "student"):
        history = summary[name]["history"]
        best = min(history, key=lambda h: h["val_loss"])
        assert summary[name]["best_epoch"] == best["epoch"]
        assert summary[name]["best_val_loss"] == pytest.approx(best["val_loss"])
    assert summary["rows"]["train"] == 6 * SETS_PER_IMAGE


def test_training_is_deterministic_for_a_seed(built: dict[str, Path], tmp_path: Path) -> None:
    from safetensors.torch import load_file

    from svgai.training.train import train

    train(tiny_config(built["dataset"], tmp_path))
    again, first = (
        load_file(str(tmp_path / "student.safetensors")),
        load_file(str(built["train"] / "student.safetensors")),
    )
    assert again.keys() == first.keys()
    assert all(bool((again[k] == first[k]).all()) for k in first)


def test_export_writes_every_artifact_with_onnx_matching_torch(built: dict[str, Path]) -> None:
    import torch

    from svgai.training.export import load_checkpoint, sha256_of
    from svgai.training.models import example_inputs

    manifest = json.loads((built["models"] / "config.json").read_text())
    for name, record in manifest["artifacts"].items():
        assert sha256_of(built["models"] / name) == record["sha256"]
    for variant in ("distilled", "pruned"):
        assert all(v < 1e-4 for v in manifest["export"]["parity"][variant].values()), manifest["export"][
            "parity"
        ]
    assert manifest["export"]["pruning"]["sparsity"] == pytest.approx(0.3, abs=0.01)
    assert (
        manifest["artifacts"]["student.encoder.int8.onnx"]["bytes"]
        < manifest["artifacts"]["student.encoder.onnx"]["bytes"] / 2
    )
    student = load_checkpoint(built["models"] / "student.safetensors")
    scripted = torch.jit.load(str(built["models"] / "student.torchscript.pt"))
    inputs = example_inputs(5)
    with torch.no_grad():
        expected, got = student(*inputs), scripted(*inputs)
    assert torch.allclose(expected[0], got[0], atol=1e-5) and torch.allclose(expected[1], got[1], atol=1e-4)
    quantized = torch.jit.load(str(built["models"] / "student.int8.torchscript.pt"))
    with torch.no_grad():
        assert torch.all((quantized(*inputs)[0] >= 0) & (quantized(*inputs)[0] <= 1))


def test_validate_measures_and_records_into_the_manifest(built: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    from svgai.training.validate import validate

    models = tmp_path / "models"
    shutil.copytree(built["models"], models)
    report = validate(models, built["dataset"], built["train"], repeats=5, command="pytest")
    manifest = json.loads((models / "config.json").read_text())
    assert manifest["validation"]["figures"] == report["figures"]
    assert set(report["accuracy"]) == {"teacher", "student_torch", "distilled", "quantized", "pruned"}
    test_rows = 2 * SETS_PER_IMAGE
    assert all(a["rows"] == test_rows for a in report["accuracy"].values())
    assert report["accuracy"]["distilled"]["mae"] == pytest.approx(
        report["accuracy"]["student_torch"]["mae"], abs=1e-4
    )
    defaults_rows = {a["defaults_rows"] for a in report["accuracy"].values()}
    assert defaults_rows == {2} and all(a["defaults_median_error"] >= 0 for a in report["accuracy"].values())
    assert report["memory"]["torch_imported"] is False
    assert report["memory"]["peak_rss_mb"] > 0
    assert report["latency"]["distilled"]["predict_batch1024_encoded"]["calls"] == 5


def test_the_within_image_term_sees_only_how_an_images_sets_differ() -> None:
    import torch

    from svgai.training.train import Scales, Targets, loss_terms, quality_logit

    rows = torch.tensor([[True, True, False], [True, True, True]])
    truth = torch.tensor([[0.2, 0.6, 0.0], [0.5, 0.4, 0.8]])
    targets = Targets(logit=quality_logit(truth), quality=truth, bytes=torch.zeros(2, 3))

    def loss(predicted: torch.Tensor, weight: float) -> float:
        raw = torch.stack([quality_logit(predicted[rows]), torch.zeros(int(rows.sum()))], dim=1)
        return float(loss_terms(raw, targets, rows, Scales(logit=1.0, quality=1.0, bytes=1.0, within_weight=weight)))

    shifted = truth + torch.tensor([[0.1], [-0.05]])  # each image off by its own constant: the same differences
    assert loss(shifted, 1.0) == pytest.approx(loss(shifted, 0.0), abs=1e-6)
    swapped = torch.tensor([[0.6, 0.2, 0.0], [0.5, 0.4, 0.8]])  # the first image's two sets in the wrong order
    assert loss(swapped, 1.0) > loss(swapped, 0.0) + 0.01
