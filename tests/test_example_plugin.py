"""The third-party seam, end to end: pip-install plugins/svgai-example, see the router use it, remove it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "plugins" / "svgai-example"


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "-q", *args], check=True, capture_output=True, timeout=300)


def svgai(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The real command in a fresh process (entry points are read at start-up)."""
    env = os.environ | {"SVGAI_LOG_LEVEL": "INFO", "SVGAI_LOG_FORMAT": "json"}
    return subprocess.run([sys.executable, "-m", "svgai.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=env)


def plugin_rows() -> dict[str, dict[str, object]]:
    done = svgai("plugins", "--json")
    assert done.returncode == 0, done.stderr
    return {row["name"]: row for row in json.loads(done.stdout)}


@pytest.fixture
def example_installed() -> Iterator[None]:
    pip("install", "--no-deps", "--no-build-isolation", "-e", str(EXAMPLE))
    try:
        yield
    finally:
        pip("uninstall", "-y", "svgai-example")  # a no-op when the test removed it already


@pytest.mark.slow
def test_an_installed_plugin_is_consulted_and_removing_it_leaves_the_router_working(
    example_installed: None, two_colour_path: Path, tmp_path: Path
) -> None:
    rows = plugin_rows()
    assert rows["example"]["source"].startswith("svgai-example 0.1.0")  # type: ignore[union-attr]
    assert rows["example"]["hooks"] == ["get_performance_info", "predict_quality", "propose_params"]

    routed = svgai("convert", two_colour_path, "-o", tmp_path / "auto.svg", "--json")
    assert routed.returncode == 0, routed.stderr
    ranked = [json.loads(line) for line in routed.stderr.splitlines() if '"methods_ranked"' in line]
    assert ranked and "example" in ranked[0]["order"]  # its measured performance info was read and ranked

    forced = svgai("convert", two_colour_path, "-o", tmp_path / "example.svg", "--method", "example", "--json")
    assert forced.returncode == 0, forced.stderr
    report = json.loads(forced.stdout)
    assert report["method"] == "example" and report["ssim"] > 0.9 and (tmp_path / "example.svg").is_file()

    pip("uninstall", "-y", "svgai-example")
    assert "example" not in plugin_rows()
    after = svgai("convert", two_colour_path, "-o", tmp_path / "after.svg", "--json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["ssim"] > 0.9
    gone = svgai("convert", two_colour_path, "-o", tmp_path / "gone.svg", "--method", "example")
    assert gone.returncode == 2 and "no method named 'example'" in gone.stderr
