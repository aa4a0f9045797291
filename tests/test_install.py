"""A plain, non-editable install works: the wheel carries the models, and without them svgai says so once."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


IGNORED = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")


def _wheel(source: Path, parts: tuple[str, ...], name: str, folder: Path) -> Path:
    """Build distribution ``name`` from a copy of ``parts`` of ``source`` (the checkout stays clean)."""
    tree = folder / name
    tree.mkdir()
    for part in parts:
        if (source / part).is_dir():
            shutil.copytree(source / part, tree / part, symlinks=True, ignore=IGNORED)
        else:
            shutil.copy(source / part, tree / part)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(tree),
                    "-w", str(folder / "wheels")], check=True, timeout=300, capture_output=True)
    return next((folder / "wheels").glob(f"{name}-*.whl"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """svgai and its predictor plugin built as wheels and installed, non-editable, into a fresh folder."""
    folder = tmp_path_factory.mktemp("install")
    wheels = [
        _wheel(ROOT, ("pyproject.toml", "setup.cfg", "README.md", "backend", "models"), "svgai", folder),
        _wheel(ROOT / "plugins" / "svgai-quality", ("pyproject.toml", "setup.cfg", "svgai_quality"), "svgai_quality", folder),
    ]
    target = folder / "site" / "packages"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), *map(str, wheels)],
                   check=True, timeout=300, capture_output=True)
    return target


def _svgai(target: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SVGAI_") and k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-m", "svgai.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=target.parent, env={**clean, "PYTHONPATH": str(target), **env})


@pytest.mark.slow
def test_the_wheel_carries_the_runtime_models_with_their_recorded_sha256(installed: Path) -> None:
    wheel = next((installed.parents[1] / "wheels").glob("svgai-*.whl"))
    manifest = json.loads((ROOT / "models" / "config.json").read_text())
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        onnx = {n for n in names if n.startswith("svgai/models/") and n.endswith(".onnx")}
        assert {"svgai/models/config.json", "svgai/models/methods/regression.npz", "svgai/templates/report.html"} <= names
        assert len(onnx) >= 6 and not any(n.endswith((".pt", ".safetensors")) for n in names)
        for name in onnx - {n for n in onnx if "/methods/" in n}:
            expected = manifest["artifacts"][name.removeprefix("svgai/models/")]["sha256"]
            assert hashlib.sha256(archive.read(name)).hexdigest() == expected


@pytest.mark.slow
def test_a_plain_install_converts_with_the_predictor_and_the_methods(installed: Path, icon_paths: list[Path]) -> None:
    # the python icon: the predictor puts a method's choice well ahead of VTracer's defaults, so it is converted
    python_icon = next(p for p in icon_paths if p.stem == "python")
    done = _svgai(installed, "convert", str(python_icon), "-o", str(installed.parent / "logo.svg"), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    # the methods proposed (the defaults may still be measured best and chosen: they are converted too)
    assert report["predictor"] is not None and any(c["method"] != "defaults" for c in report["conversions"])
    assert not [f for f in report["fallbacks"] if "unavailable" in f["reason"]] and "warning" not in done.stderr


@pytest.mark.slow
def test_missing_models_are_one_plain_line_with_the_fix(installed: Path, two_colour_path: Path) -> None:
    nowhere = str(installed.parent / "no-models")
    done = _svgai(installed, "convert", str(two_colour_path), "-o", str(installed.parent / "logo.svg"),
                  SVGAI_MODEL_DIR=nowhere, SVGAI_METHODS_DIR=nowhere)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("warning: no trained models: ")
    assert "pip install . plugins/svgai-quality" in done.stderr and "SVGAI_MODEL_DIR" in done.stderr
    assert done.stdout.count("\n") == 1 and "(method: defaults)" in done.stdout
