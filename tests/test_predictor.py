"""The runtime quality predictor: loads exported ONNX models, refuses tampered ones, never imports torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from svgai.errors import InvalidParams, ModelUnavailable
from svgai.images import load_image, load_rgba
from svgai.params import encode_many, sample
from svgai_quality import LocalQualityPredictor
from svgai_quality.features import prepare
from test_training import FIXTURES, ROOT, tiny_model

SHIPPED = ROOT / "models"


@pytest.fixture(scope="session")
def model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny model trained and exported from real labels (shared with test_training)."""
    return tiny_model(tmp_path_factory)


def test_predictions_are_in_range_and_match_torch(model: dict[str, Path]) -> None:
    import torch

    from svgai.training.export import load_checkpoint

    predictor = LocalQualityPredictor(model["models"])
    assert predictor.variant == "distilled"
    candidates = sample(16, seed=3)
    prediction = predictor.predict(FIXTURES[0], candidates)
    assert prediction.quality.shape == prediction.svg_bytes.shape == (16,)
    assert np.all((prediction.quality >= 0) & (prediction.quality <= 1)) and np.all(prediction.svg_bytes > 0)
    prepared = prepare(load_rgba(FIXTURES[0]))
    student = load_checkpoint(model["models"] / "student.safetensors")
    with torch.no_grad():
        ssim, log_bytes = student(
            torch.from_numpy(prepared.pixels[None]).expand(16, -1, -1, -1),
            torch.from_numpy(prepared.features[None]).expand(16, -1),
            torch.from_numpy(encode_many(candidates)),
        )
    assert np.allclose(prediction.quality, ssim.numpy(), atol=1e-5)
    assert np.allclose(np.log(prediction.svg_bytes), log_bytes.numpy(), atol=1e-4)
    assert predictor.predict_quality(FIXTURES[0], candidates[2]) == pytest.approx(
        float(prediction.quality[2]), abs=1e-6
    )
    assert predictor.predict_svg_bytes(FIXTURES[0], candidates[2]) == pytest.approx(
        float(prediction.svg_bytes[2]), rel=1e-5
    )


def test_every_variant_loads_and_agrees_roughly(model: dict[str, Path]) -> None:
    candidates = encode_many(sample(8, seed=5))
    results = {
        v: LocalQualityPredictor(model["models"], variant=v).predict(FIXTURES[1], candidates)
        for v in ("distilled", "quantized", "pruned")
    }
    for prediction in results.values():
        assert np.all(np.isfinite(prediction.quality)) and np.all(np.isfinite(prediction.svg_bytes))


def test_embeddings_are_cached_by_image_content_in_a_bounded_lru(model: dict[str, Path]) -> None:
    predictor = LocalQualityPredictor(model["models"], cache_size=2)
    from_path = predictor.embed(FIXTURES[0])
    assert predictor.embed(load_image(FIXTURES[0])) is from_path
    for fixture in FIXTURES[1:]:
        predictor.embed(fixture)
    assert len(predictor._cache) == 2
    assert np.array_equal(predictor.embed(FIXTURES[0]), from_path)


def test_predicting_from_many_threads_matches_serial(model: dict[str, Path]) -> None:
    predictor = LocalQualityPredictor(model["models"], cache_size=2)
    candidates = sample(32, seed=9)
    serial = [predictor.predict(f, candidates).quality for f in FIXTURES]
    predictor.clear_cache()
    results: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        results[i] = predictor.predict(FIXTURES[i % len(FIXTURES)], candidates).quality

    threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(np.allclose(results[i], serial[i % len(FIXTURES)], atol=1e-6) for i in range(20))


def test_bad_parameter_sets_are_refused(model: dict[str, Path]) -> None:
    predictor = LocalQualityPredictor(model["models"])
    with pytest.raises(InvalidParams, match="color_precision"):
        predictor.predict_quality(FIXTURES[0], {"color_precision": 0})
    with pytest.raises(InvalidParams, match="encoded"):
        predictor.predict(FIXTURES[0], np.zeros((3, 5), np.float32))


def test_a_tampered_artifact_is_refused(model: dict[str, Path], tmp_path: Path) -> None:
    models = shutil.copytree(model["models"], tmp_path / "models")
    head = models / "student.head.onnx"
    data = bytearray(head.read_bytes())
    data[len(data) // 2] ^= 0x01
    head.write_bytes(bytes(data))
    with pytest.raises(ModelUnavailable, match="sha256"):
        LocalQualityPredictor(models, variant="distilled")
    assert LocalQualityPredictor(models, variant="quantized").variant == "quantized"


def test_missing_files_and_wrong_graphs_are_refused(model: dict[str, Path], tmp_path: Path) -> None:
    models = shutil.copytree(model["models"], tmp_path / "models")
    (models / "student.encoder.onnx").unlink()
    with pytest.raises(ModelUnavailable, match=r"student\.encoder\.onnx"):
        LocalQualityPredictor(models, variant="distilled")
    assert LocalQualityPredictor(models).variant == "quantized"
    manifest = json.loads((models / "config.json").read_text())
    manifest["variants"]["quantized"]["encoder"] = manifest["variants"]["quantized"]["head"]
    (models / "config.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelUnavailable, match="input"):
        LocalQualityPredictor(models, variant="quantized")
    with pytest.raises(ModelUnavailable, match="no variant"):
        LocalQualityPredictor(models, variant="teacher")


def test_model_folder_comes_from_the_environment(
    model: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SVGAI_MODEL_DIR", str(model["models"]))
    assert LocalQualityPredictor().model_dir == model["models"]
    monkeypatch.setenv("SVGAI_MODEL_DIR", str(tmp_path))
    with pytest.raises(ModelUnavailable, match=r"config\.json"):
        LocalQualityPredictor()


def test_a_predicting_process_never_imports_torch(model: dict[str, Path]) -> None:
    code = (
        "import sys; from svgai_quality import LocalQualityPredictor; "
        f"p = LocalQualityPredictor({str(model['models'])!r}); "
        f"print(p.predict_quality({str(FIXTURES[0])!r}, {{'mode': 'polygon'}})); "
        "print('torch' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    value, torch_loaded = done.stdout.split()
    assert 0.0 <= float(value) <= 1.0
    assert torch_loaded == "False"


@pytest.mark.skipif(
    not (SHIPPED / "config.json").is_file(), reason="models/config.json not produced yet (svgai model export)"
)
def test_the_shipped_model_loads_with_no_configuration_and_predicts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SVGAI_MODEL_DIR", raising=False)
    predictor = LocalQualityPredictor()
    assert predictor.model_dir.resolve() == SHIPPED.resolve()
    ssim = predictor.predict(ROOT / "examples/logo.png", sample(64, seed=1)).quality
    assert np.all((ssim >= 0) & (ssim <= 1)) and np.ptp(ssim) > 0
