"""Hostile amounts of work: huge images, SVGs too big to measure, and a conversion stopped by a signal.

Each test names the probe's case it covers (issue 11's reliability list; issue 12's hostile sizes).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import resvg_py
from click.testing import CliRunner
from PIL import Image, ImageDraw

from svgai.cli import cli
from svgai.exits import TERMINATED, UNMEASURED
from svgai.measures import ssim
from svgai.quality import convert
from svgai.vectorize import TRACE_MAX_PIXELS

ROOT = Path(__file__).resolve().parents[1]
PYTHONPATH = os.pathsep.join(
    str(ROOT / p) for p in ("backend", "plugins/svgai-quality", "plugins/svgai-example")
)
NO_SPECKLE_FILTER = ["--param", "filter_speckle=0"]  # every noise pixel becomes a path: ~1 M paths, seconds of work


def noise_png(path: Path, side: int = 1010) -> Path:
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)).save(path)
    return path


def rendered(svg: str, width: int, height: int) -> np.ndarray:
    png = resvg_py.svg_to_bytes(svg_string=svg, width=width, height=height, background="white")
    return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGB"))


def fills(svg: str) -> set[tuple[int, int, int]]:
    return {tuple(int(h[i : i + 2], 16) for i in (0, 2, 4)) for h in re.findall(r'fill="#([0-9A-Fa-f]{6})"', svg)}  # type: ignore[misc]


# issue 11 case 14 / issue 12 item 4: a colour region over 2**32 / 255 pixels came out black


def test_a_huge_white_image_is_traced_white_at_its_own_size(tmp_path: Path) -> None:
    side = 4200  # 17.6 M pixels of one colour: VTracer alone answers a #0B0B0B square
    assert side * side > 2**32 / 255 and side * side > TRACE_MAX_PIXELS
    image = tmp_path / "white.png"
    Image.new("RGB", (side, side), "white").save(image, compress_level=1)
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["convert", str(image), "--json", "--param", "color_precision=6"])
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 30
    report = json.loads(result.stdout)
    svg = image.with_suffix(".svg").read_text()
    assert (report["width"], report["height"]) == (side, side) and report["ssim"] > 0.99
    assert f'width="{side}" height="{side}" viewBox="0 0 {side} {side}"' in svg
    assert all(min(colour) >= 0xF0 for colour in fills(svg))
    assert rendered(svg, 420, 420).min() >= 0xF0  # white everywhere, at any size


def test_a_huge_logo_keeps_its_colours_and_shape() -> None:
    side, radius = 4400, 800  # the white background alone is 17.3 M pixels
    image = Image.new("RGB", (side, side), "white")
    ImageDraw.Draw(image).ellipse((side / 2 - radius, side / 2 - radius, side / 2 + radius, side / 2 + radius),
                                  fill=(220, 30, 30))
    conversion = convert(image, {"color_precision": 6})
    assert conversion.ssim > 0.99
    colours = fills(conversion.svg)
    assert any(r > 200 and g < 60 for r, g, _ in colours) and all(max(c) >= 0xC0 for c in colours)
    small = np.asarray(image.resize((440, 440), Image.Resampling.BOX))
    assert ssim(small, rendered(conversion.svg, 440, 440), 255.0) > 0.95


# issue 11 case 8: VTracer succeeded, measuring failed: the SVG is kept and the failure reported


@pytest.mark.slow
def test_an_svg_too_big_to_measure_is_written_and_reported(tmp_path: Path) -> None:
    image = noise_png(tmp_path / "noise.png")
    result = CliRunner().invoke(cli, ["convert", str(image), "--json", *NO_SPECKLE_FILTER])
    assert result.exit_code == UNMEASURED, result.output
    report = json.loads(result.stdout)
    assert report["ssim"] is None and report["target_met"] is None
    assert "nodes limit reached" in report["measure_error"]
    assert "measuring it failed" in result.stderr
    svg = image.with_suffix(".svg").read_text()
    assert len(svg.encode()) == report["svg_bytes"] and svg.count("<path") > 1_000_000


# issue 11 case 7: SIGTERM during a --timeout conversion leaves no process behind


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_stopped_conversion_leaves_no_process_behind(tmp_path: Path, signum: int) -> None:
    image = noise_png(tmp_path / "noise.png")
    command = [sys.executable, "-m", "svgai.cli", "convert", str(image), "--timeout", "30", *NO_SPECKLE_FILTER]
    cli_process = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": PYTHONPATH},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    descendants: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(descendants) < 3:  # resource tracker, fork server, worker
            descendants = psutil.Process(cli_process.pid).children(recursive=True)
            time.sleep(0.1)
        assert len(descendants) >= 3, f"VTracer's worker never started: {descendants}"
        time.sleep(0.5)  # the worker is inside VTracer now
        cli_process.send_signal(signum)
        status = cli_process.wait(10)
        _, alive = psutil.wait_procs(descendants, timeout=5)
        assert alive == [], f"left behind: {[(p.pid, p.name()) for p in alive]}"
        assert status == (TERMINATED if signum == signal.SIGTERM else -signum)
        assert not image.with_suffix(".svg").exists()
    finally:
        for process in descendants:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        if cli_process.poll() is None:
            cli_process.kill()
