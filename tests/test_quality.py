"""The quality measure (docs/quality.md), on real traces: alpha kept, judged at 4×, staircases lose."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage.metrics import structural_similarity

from svgai import measures
from svgai.errors import RenderError
from svgai.images import load_image
from svgai.quality import Conversion, Reference, comparison_size, convert, path_count, render
from svgai.vectorize import vectorize

SQUARE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">'
    '<path d="M0 0 H2 V2 H0 Z" fill="#ff0000"/></svg>'
)


def test_render_keeps_transparency_at_exactly_the_asked_size() -> None:
    rendered = render(SQUARE, 4, 4)
    assert rendered.shape == (4, 4, 4) and rendered.dtype == np.uint8
    assert rendered[0, 0].tolist() == [255, 0, 0, 255]
    assert rendered[3, 3, 3] == 0
    assert render(SQUARE, 8, 6).shape == (6, 8, 4)


@pytest.mark.parametrize("svg", ["", "<svg", "not svg at all"])
def test_unrenderable_svg_raises_render_error(svg: str) -> None:
    with pytest.raises(RenderError, match="could not render"):
        render(svg, 16, 16)


def test_ssim_agrees_with_scikit_image(icon_paths: list[Path]) -> None:
    rgb = load_image(icon_paths[0])
    traced = render(vectorize(rgb, {"color_precision": 2, "mode": "polygon"}), 96, 96)[..., :3]
    expected = structural_similarity(rgb.astype(np.float32), traced.astype(np.float32), channel_axis=2, data_range=255)
    assert measures.ssim(rgb, traced, 255.0) == pytest.approx(float(expected), abs=1e-5)
    assert measures.ssim(rgb, rgb, 255.0) == pytest.approx(1.0)


def test_comparison_is_at_4x_capped_at_1024_px() -> None:
    assert comparison_size(96, 64) == (384, 256, 4.0)
    assert comparison_size(1024, 512) == (1024, 512, 1.0)
    assert comparison_size(2048, 1024)[:2] == (1024, 512)


def test_path_count_counts_vtracer_paths() -> None:
    assert path_count(SQUARE) == 1
    assert path_count(SQUARE.replace("</svg>", '<path d="M0 0"/></svg>')) == 2


def test_convert_measures_a_real_conversion_with_its_parts(two_colour_path: Path) -> None:
    result = convert(two_colour_path, {"mode": "polygon"})
    assert isinstance(result, Conversion)
    assert result.params["mode"] == "polygon" and result.reference == "proxy"
    assert set(result.measures) == {"edge_fidelity", "ssim_scaled", "ssim_1x", "scale"}
    assert 0.9 <= result.quality <= 1.0 and result.ssim == result.measures["ssim_1x"] >= 0.95
    assert result.svg_bytes == len(result.svg.encode()) and result.path_count == path_count(result.svg)
    summary = json.loads(json.dumps(result.summary()))
    assert "svg" not in summary and summary["params"]["mode"] == "polygon" and summary["quality"] == result.quality


def test_staircases_lose_to_curves_on_a_logo(example_logo: Path) -> None:
    reference = Reference.of(example_logo)
    curves = convert(reference, {"mode": "spline"})
    staircase = convert(reference, {"mode": "none"})
    # SSIM at 1x cannot see the staircase (it even prefers it); the score must.
    assert staircase.ssim > curves.ssim
    assert curves.quality > staircase.quality + 0.005
    assert curves.measures["edge_fidelity"] > staircase.measures["edge_fidelity"]


def _transparent_badge() -> bytes:
    image = Image.new("RGBA", (240, 160), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((20, 20, 220, 140), fill=(200, 30, 30, 255))
    buffer = io.BytesIO()
    image.resize((120, 80), Image.Resampling.LANCZOS).save(buffer, format="PNG")
    return buffer.getvalue()


def test_transparency_is_kept_and_an_added_background_costs_quality() -> None:
    badge = _transparent_badge()
    kept = convert(badge)
    assert kept.has_alpha
    corner = render(kept.svg, 120, 80)[0, 0]
    assert corner[3] == 0, "the transparent corner must stay transparent"
    flattened = Image.open(io.BytesIO(badge)).convert("RGBA")
    on_white = Image.new("RGBA", flattened.size, "white")
    on_white.alpha_composite(flattened)
    opaque_svg = vectorize(np.asarray(on_white.convert("RGB")))
    _, opaque_parts = Reference.of(badge).measure(opaque_svg)
    assert opaque_parts["ssim_scaled"] < kept.measures["ssim_scaled"] - 0.1


def test_original_reference_is_the_vector_drawing_at_scale() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#123"/></svg>'
    raster = render(svg, 64, 64)
    reference = Reference.of(raster, original_svg=svg)
    assert reference.kind == "original" and reference.scaled.shape == (256, 256, 4)
    quality, parts = reference.measure(vectorize(raster))
    assert quality > 0.9 and parts["edge_fidelity"] > 0.9


def test_pixel_mode_is_right_for_pixel_art() -> None:
    sprite = Path(__file__).parent / "fixtures" / "pixelart_heart.png"
    reference = Reference.of(sprite)
    pixels = convert(reference, {"mode": "none"})
    curves = convert(reference, {"mode": "spline"})
    # A sprite's staircases are its drawing: pixel mode loses nothing and is the smaller SVG.
    assert pixels.quality >= curves.quality - 1e-6
    assert pixels.svg_bytes < curves.svg_bytes
    assert pixels.measures["edge_fidelity"] > 0.97


def test_an_edge_between_colours_of_equal_luminance_counts() -> None:
    # A red letter on a purple square: both ~0.36 in luminance, plainly different to the eye.
    red, purple = (237, 24, 70), (92, 80, 150)
    assert abs(float(np.dot(red, measures.LUMA)) - float(np.dot(purple, measures.LUMA))) < 3
    image = Image.new("RGB", (64, 64), purple)
    ImageDraw.Draw(image).ellipse((14, 14, 50, 50), fill=red)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    reference = Reference.of(buffer.getvalue())
    traced = convert(reference)
    square_only = ('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
                   '<rect width="64" height="64" fill="rgb(92,80,150)"/></svg>')
    _, lost = reference.measure(square_only)
    # The trace keeps the disc; the bare square loses it, and the edge term sees that, not only SSIM.
    assert traced.measures["edge_fidelity"] > 0.9
    assert lost["edge_fidelity"] < 0.1
    # Luminance alone has (next to) no edge there: what `svgai quality edges` counts in a dataset.
    colour, luminance = (measures.edge_mass(reference.scaled, reference.scale, by_colour=b) for b in (True, False))
    assert luminance < 0.05 * colour


def test_on_a_grey_drawing_colour_edges_are_the_luminance_edges() -> None:
    image = Image.new("RGB", (64, 64), (230, 230, 230))
    ImageDraw.Draw(image).polygon([(8, 50), (32, 10), (56, 50)], fill=(40, 40, 40))
    scaled = np.asarray(image.convert("RGBA").resize((256, 256), Image.Resampling.LANCZOS))
    assert measures.edge_mass(scaled, 4.0) == pytest.approx(measures.edge_mass(scaled, 4.0, by_colour=False), rel=1e-3)
