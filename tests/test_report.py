"""The HTML report of real conversions, opened in headless Chromium (the system's, driven by Selenium)."""

from __future__ import annotations

import base64
import importlib.util
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from svgai.cli import cli
from svgai.manifest import read_manifest
from svgai.report import edge_window, heat_map

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "out" / "test-artifacts"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from the system (no browser download), with a fresh profile."""
    missing = [name for name, found in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER),
                                        ("selenium", importlib.util.find_spec("selenium"))) if not found]
    if missing and os.environ.get("CI") == "true":
        pytest.fail(f"CI must open the report in a browser, but {', '.join(missing)} is missing "
                    "(apt-get install chromium chromium-driver; pip install -e '.[dev]')")
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver; "
                    "pip install -e '.[dev]'); CI=true makes this a failure")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="svgai-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report of three real conversions (two icons and the two-colour logo), one of them broken."""
    folder = tmp_path_factory.mktemp("report")
    images = folder / "logos"
    images.mkdir()
    fixtures = ROOT / "tests" / "fixtures"
    for name in ("github.png", "two_colour.png", "firefoxbrowser.png"):
        shutil.copy(fixtures / name, images / name)
    (images / "broken.png").write_bytes((fixtures / "python.png").read_bytes()[:100])
    page = folder / "out" / "report.html"
    result = CliRunner().invoke(cli, ["convert", str(images), "-o", str(folder / "svg"), "--jobs", "1",
                                      "--manifest", str(folder / "run.jsonl"), "--report", str(page)])
    assert result.exit_code == 1, result.output  # the broken image
    return page


def test_the_report_is_one_self_contained_file(report: Path) -> None:
    text = report.read_text()
    sources = re.findall(r'<img src="([^"]*)"', text)
    assert len(sources) == 3 * 6 and all(s.startswith("data:image/") for s in sources)
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        "http://www.w3.org/2000/svg", "")
    svg = next(s for s in sources if s.startswith("data:image/svg+xml"))
    assert base64.b64decode(svg.split(",", 1)[1]).decode().rstrip().endswith("</svg>")
    assert "truncated or corrupt" in text and "3 converted" in text and "1 failed" in text


def test_the_command_rebuilds_the_report_from_the_manifest(report: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.html"
    result = CliRunner().invoke(cli, ["report", str(report.parent.parent / "run.jsonl"), "-o", str(again)])
    assert result.exit_code == 0, result.output
    assert again.read_text() == report.read_text()
    records = read_manifest(report.parent.parent / "run.jsonl")
    assert sorted(r["status"] for r in records) == ["failed", "ok", "ok", "ok"]


def test_every_image_decodes_in_chromium_and_the_table_sorts_by_quality(browser: Any, report: Path) -> None:
    browser.get(report.as_uri())
    sizes = browser.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight, i.alt]);")
    assert len(sizes) == 18
    assert all(done and width > 0 and height > 0 for done, width, height, _ in sizes), sizes
    header = browser.find_element("xpath", "//th[text()='quality']")
    header.click()
    values = browser.execute_script(
        "return Array.from(document.querySelectorAll('#images tbody tr')).map(r => Number(r.cells[6].dataset.value));")
    assert values == sorted(values, reverse=True) and values[-1] == -1.0  # the failed image last
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    (ARTIFACTS / "report.png").write_bytes(base64.b64decode(shot["data"]))
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_the_heat_map_and_the_edge_window_point_at_what_differs() -> None:
    flat = np.full((40, 40, 4), 255, dtype=np.uint8)
    edged = flat.copy()
    edged[20:, 30:, :3] = 0  # one dark corner block: its edges are the only ones
    top, left = edge_window(edged[..., :3], 8)
    assert 12 <= top <= 20 and 22 <= left <= 30
    heat = heat_map(flat, edged)
    assert heat.shape == (40, 40, 4) and heat[..., 3].max() == 255 and heat[:20, :, 3].max() == 0
    transparent = flat.copy()
    transparent[:5, :5, 3] = 0  # white on white, but lost opacity is a difference too
    assert heat_map(flat, transparent)[:5, :5, 3].min() == 255
