"""Rendering an SVG back and measuring it: the label of docs/quality.md, on real traces."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from svgai.errors import RenderError
from svgai.images import load_image
from svgai.quality import Conversion, convert, path_count, psnr, render, ssim
from svgai.vectorize import vectorize

SQUARE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">'
    '<path d="M0 0 H2 V2 H0 Z" fill="#ff0000"/></svg>'
)


def test_render_draws_at_exactly_the_asked_size_on_white() -> None:
    rendered = render(SQUARE, 4, 4)
    assert rendered.shape == (4, 4, 3) and rendered.dtype == np.uint8
    assert rendered[0, 0].tolist() == [255, 0, 0]
    assert rendered[3, 3].tolist() == [255, 255, 255]


def test_render_scales_an_svg_without_view_box_to_the_raster_size() -> None:
    assert render(SQUARE, 8, 6).shape == (6, 8, 3)


@pytest.mark.parametrize("svg", ["", "<svg", "not svg at all"])
def test_unrenderable_svg_raises_render_error(svg: str) -> None:
    with pytest.raises(RenderError, match="could not render"):
        render(svg, 16, 16)


def test_ssim_is_the_labels_scikit_image_call(icon_paths: list[Path]) -> None:
    rgb = load_image(icon_paths[0])
    traced = render(vectorize(rgb, {"color_precision": 2, "mode": "polygon"}), 96, 96)
    expected = structural_similarity(
        rgb.astype(np.float32), traced.astype(np.float32), channel_axis=2, data_range=255
    )
    assert ssim(rgb, traced) == pytest.approx(float(expected), abs=1e-9)
    assert ssim(rgb, rgb) == pytest.approx(1.0)


def test_ssim_on_images_smaller_than_the_window_counts_equal_pixels() -> None:
    a = np.zeros((2, 2, 3), np.uint8)
    b = a.copy()
    b[0, 0, 0] = 9
    assert ssim(a, b) == pytest.approx(11 / 12)


def test_psnr_is_infinite_for_identical_rasters_and_finite_otherwise() -> None:
    a = np.zeros((8, 8, 3), np.uint8)
    assert math.isinf(psnr(a, a))
    assert psnr(a, a + 1) == pytest.approx(20 * math.log10(255), abs=1e-6)


def test_path_count_counts_vtracer_paths() -> None:
    assert path_count(SQUARE) == 1
    assert path_count(SQUARE.replace("</svg>", '<path d="M0 0"/></svg>')) == 2


def test_convert_measures_a_real_conversion(two_colour_path: Path) -> None:
    result = convert(two_colour_path, {"mode": "polygon"})
    assert isinstance(result, Conversion)
    assert result.params["mode"] == "polygon"
    assert 0.95 <= result.ssim <= 1.0
    assert result.svg_bytes == len(result.svg.encode()) and result.path_count == path_count(result.svg)
    assert result.vectorize_ms > 0 and result.measure_ms > 0
    summary = result.summary()
    assert "svg" not in summary and json.loads(json.dumps(summary))["params"]["mode"] == "polygon"


def test_more_colours_do_not_lower_quality_on_a_logo(example_logo: Path) -> None:
    coarse = convert(example_logo, {"color_precision": 1, "mode": "polygon"})
    fine = convert(example_logo, {"color_precision": 8, "mode": "polygon"})
    assert fine.ssim >= coarse.ssim - 1e-6
