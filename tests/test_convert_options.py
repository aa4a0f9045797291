"""The vtracer CLI's vocabulary (`--preset`, `pixel`) and a `--help` that imports nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from svgai.cli import cli
from svgai.params import PRESETS, defaults, preset, validate

HEAVY = ("numpy", "skimage", "scipy", "onnxruntime")


def test_pixel_is_vtracers_name_for_mode_none() -> None:
    assert validate({"mode": "pixel"}) == validate({"mode": "none"})
    with pytest.raises(Exception, match="'pixel' = 'none'"):
        validate({"mode": "pixels"})


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_a_preset_converts_with_exactly_its_parameters(name: str, two_colour_path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["convert", str(two_colour_path), "-o", str(tmp_path / "x.svg"),
                                      "--preset", name, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["params"] == dict(preset(name)) and report["method"] == f"preset {name}"
    assert report["fallbacks"] == [] and report["svg_bytes"] == (tmp_path / "x.svg").stat().st_size


def test_param_overrides_a_preset_and_a_method_cannot_join_them(two_colour_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.svg"
    result = CliRunner().invoke(cli, ["convert", str(two_colour_path), "-o", str(out), "--preset", "photo",
                                      "--param", "mode=pixel", "--json"])
    assert result.exit_code == 0, result.output
    params = json.loads(result.output)["params"]
    assert params["mode"] == "none" and params["filter_speckle"] == PRESETS["photo"]["filter_speckle"] != defaults()["filter_speckle"]
    refused = CliRunner().invoke(cli, ["convert", str(two_colour_path), "-o", str(out), "--preset", "bw", "--method", "ppo"])
    assert refused.exit_code == 2 and "not both" in refused.stderr
    unknown = CliRunner().invoke(cli, ["convert", str(two_colour_path), "-o", str(out), "--preset", "vivid"])
    assert unknown.exit_code == 2 and unknown.stderr == "error: unknown preset 'vivid'; accepted: defaults, bw, poster, photo\n"


@pytest.mark.parametrize("args", [["--help"], ["convert", "--help"]])
def test_help_imports_no_numerical_library(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "svgai.cli", *args],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Usage: svgai" in done.stdout
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "svgai.log" in imported and not imported & set(HEAVY)
    assert "report" in done.stdout if args == ["--help"] else "--preset bw|poster|photo" in done.stdout
