"""Transparency through the whole pipeline: a transparent PNG gives an SVG that is transparent there."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from svgai.cli import cli
from svgai.quality import render
from svgai.vectorize import framed, keyed, upscaled, vectorize


@pytest.fixture
def badge(tmp_path: Path) -> Path:
    """A red ellipse with anti-aliased edges on a transparent 120×80 canvas."""
    image = Image.new("RGBA", (480, 320), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((40, 40, 440, 280), fill=(200, 30, 30, 255))
    path = tmp_path / "badge.png"
    image.resize((120, 80), Image.Resampling.LANCZOS).save(path)
    return path


def _convert(path: Path, *args: str) -> tuple[dict, np.ndarray]:
    out = path.with_name(path.stem + "-out.svg")
    result = CliRunner().invoke(cli, ["convert", str(path), "-o", str(out), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), render(out.read_text(), 120, 80)


@pytest.mark.parametrize("args", [(), ("--param", "mode=spline")], ids=["routed", "explicit"])
def test_a_transparent_png_gives_an_svg_transparent_where_the_input_is(badge: Path, args: tuple[str, ...]) -> None:
    report, rendered = _convert(badge, *args)
    source = np.asarray(Image.open(badge).convert("RGBA"))
    assert report["input_has_alpha"] is True
    clear = source[..., 3] == 0
    assert np.mean(rendered[..., 3][clear] == 0) > 0.98
    assert np.mean(rendered[..., 3][source[..., 3] == 255] == 255) > 0.98


def test_background_flattens_on_purpose(badge: Path) -> None:
    report, rendered = _convert(badge, "--background", "#ffeecc", "--param", "mode=spline")
    assert report["background"] == "#ffeecc" and report["has_alpha"] is False
    # VTracer keeps color_precision=6 bits per channel: the colour comes back within 4 levels.
    assert np.abs(rendered[0, 0].astype(int) - [255, 238, 204, 255]).max() <= 4


def test_an_unknown_background_colour_is_a_clear_error(badge: Path) -> None:
    result = CliRunner().invoke(cli, ["convert", str(badge), "--background", "not-a-colour"])
    assert result.exit_code == 2 and "unknown colour 'not-a-colour'" in result.output


def test_faint_edge_pixels_do_not_become_specks(badge: Path) -> None:
    svg = vectorize(badge, {"mode": "spline"})
    assert svg.count("<path") == 1, "one ellipse, no slivers from the anti-aliased fringe"


def test_an_opaque_png_stays_opaque(badge: Path, tmp_path: Path) -> None:
    flat = Image.new("RGB", (120, 80), "white")
    flat.paste(Image.open(badge), mask=Image.open(badge))
    buffer = io.BytesIO()
    flat.save(buffer, format="PNG")
    opaque = tmp_path / "flat.png"
    opaque.write_bytes(buffer.getvalue())
    report, rendered = _convert(opaque, "--param", "mode=spline")
    assert report["input_has_alpha"] is False and rendered[..., 3].min() == 255


FIXTURES = Path(__file__).parent / "fixtures"
# parameters the router chose for this logo; with them VTracer's key colour used to be random
XCODE_PARAMS = {"colormode": "color", "hierarchical": "cutout", "mode": "polygon", "filter_speckle": 12,
                "color_precision": 8, "layer_difference": 60, "corner_threshold": 158, "length_threshold": 5.841,
                "max_iterations": 20, "splice_threshold": 13, "path_precision": 5, "upscale": 3}


def test_keyed_out_pixels_hide_no_colour_for_vtracer_to_avoid() -> None:
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., :3] = (255, 0, 255)  # a colour under transparent and faint pixels (an enlargement's fringe)
    rgba[:2, :, 3] = 255
    rgba[2, :, 3] = 40
    out = keyed(rgba)
    assert (out[:2] == rgba[:2]).all()
    assert (out[2:] == (255, 255, 255, 0)).all(), "transparent white: no key colour, and background in binary mode"


VTRACER_KEYS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255))
"""The key colours VTracer tries in turn for transparent pixels before it draws random ones."""


def test_a_transparent_logo_traced_from_an_enlargement_is_keyed_with_a_fixed_colour_and_stays_transparent() -> None:
    raster = np.asarray(Image.open(FIXTURES / "xcode_transparent.png").convert("RGBA"))
    traced = keyed(upscaled(raster, XCODE_PARAMS["upscale"]))
    colours = set(map(tuple, traced[..., :3].reshape(-1, 3).tolist()))
    # the enlargement's fringe used to hide all six, so VTracer keyed with a random colour that now
    # and then merged the transparent background into the logo's blue
    assert any(key not in colours for key in VTRACER_KEYS)
    rendered = render(vectorize(raster, XCODE_PARAMS), raster.shape[1], raster.shape[0])
    assert (rendered[..., 3] == 0).mean() == pytest.approx((raster[..., 3] == 0).mean(), abs=0.01)


def _vtracer_keys(alpha: np.ndarray) -> bool:
    """VTracer's own test (0.6.x): key an image when the five rows it samples hold 0.4 × width transparent pixels."""
    height, width = alpha.shape
    rows = [0, height // 4, height // 2, 3 * height // 4, height - 1]
    return int((alpha[rows] == 0).sum()) >= int(width * 2 * 0.2)


@pytest.mark.parametrize("params", [{}, {"upscale": 4}, {"mode": "polygon", "filter_speckle": 1}])
def test_the_transparent_corners_of_an_app_icon_stay_transparent(params: dict) -> None:
    # a rounded square that fills its canvas, like an app icon: too little of it is transparent for
    # VTracer to key it, and its corners came back black (or, speckle-filtered, square)
    icon = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    ImageDraw.Draw(icon).rounded_rectangle((0, 0, 255, 255), radius=16, fill=(240, 140, 10, 255))
    raster = np.asarray(icon.resize((64, 64), Image.Resampling.LANCZOS))
    assert not _vtracer_keys(keyed(raster)[..., 3])
    assert _vtracer_keys(framed(keyed(raster))[0][..., 3])
    svg = vectorize(raster, params)
    assert "#000000" not in svg.upper()
    rendered = render(svg, 64, 64)
    corners = rendered[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert (corners[:, 3] == 0).all(), corners
    assert (rendered[8:-8, 8:-8, 3] == 255).all()


def test_binary_mode_leaves_a_transparent_background_transparent(badge: Path) -> None:
    # VTracer's binary mode ignores alpha and draws every pixel whose red is below 128; transparent
    # pixels used to be handed over black, so the `bw` preset filled the background of every
    # transparent logo
    dark = np.asarray(Image.open(badge).convert("RGBA")).copy()
    dark[..., :3] = 20
    rendered = render(vectorize(dark, {"colormode": "binary"}), 120, 80)
    assert np.mean(rendered[..., 3][dark[..., 3] == 0] == 0) > 0.98
    assert np.mean(rendered[..., 3][dark[..., 3] == 255] == 255) > 0.98


def test_an_opaque_raster_is_traced_without_a_frame() -> None:
    opaque = np.full((8, 8, 4), 255, np.uint8)
    raster, inset = framed(opaque)
    assert inset == 0 and raster is opaque
