"""Tracing with real VTracer: good results on flat logos, typed errors instead of panics, time limits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import vtracer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from svgai import vectorize as vectorize_module
from svgai.errors import InvalidParams, SvgaiError, VectorizeError, VectorizeTimeout
from svgai.images import encode_png, load_image
from svgai.measures import ssim
from svgai.params import NAMES, defaults
from svgai.quality import Reference, render
from svgai.vectorize import vectorize

Strategy = st.SearchStrategy[dict[str, Any]]
SVG_SIZE = re.compile(r'<svg[^>]*width="(\d+)"[^>]*height="(\d+)"')
property_settings = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def test_a_flat_two_colour_logo_traces_at_defaults_with_ssim_at_least_0_95(two_colour_path: Path) -> None:
    rgb = load_image(two_colour_path)
    svg = vectorize(rgb)
    assert ssim(rgb, render(svg, rgb.shape[1], rgb.shape[0])[..., :3], 255.0) >= 0.95


def test_the_svg_has_the_raster_size(icon_paths: list[Path]) -> None:
    for path in icon_paths:
        match = SVG_SIZE.search(vectorize(path))
        assert match is not None and match.groups() == ("96", "96")


# A small drawing with curves and slants: its vector original is the ground truth at any size.
DRAWING = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40">'
    '<circle cx="10" cy="10" r="6" fill="#d62828"/><circle cx="28" cy="12" r="4" fill="#2a9d8f"/>'
    '<path d="M4 36 L36 22 L37 30 Z" fill="#1d3557"/><circle cx="14" cy="28" r="3" fill="#e9c46a"/></svg>'
)


def test_upscale_traces_small_rasters_closer_to_their_original_and_keeps_their_size() -> None:
    raster = render(DRAWING, 40, 40)
    truth = Reference.of(raster, DRAWING)
    quality = {}
    for upscale in (1, 2, 3):
        svg = vectorize(raster, {"upscale": upscale})
        match = SVG_SIZE.search(svg)
        assert match is not None and match.groups() == ("40", "40")
        quality[upscale] = truth.measure(svg)[0]
    # VTracer fits curves to pixel corners: at 40 px small circles come out lumpy, from a sharp upscale round
    assert quality[3] > quality[2] > quality[1] + 0.03


def test_upscale_stops_at_the_size_conversions_are_judged_at() -> None:
    raster = np.zeros((300, 600, 4), np.uint8)
    assert vectorize_module.upscaled(raster, 4).shape == (512, vectorize_module.MAX_UPSCALED_SIDE, 4)
    assert vectorize_module.upscaled(raster, 1) is raster
    large = np.zeros((1100, 20, 4), np.uint8)
    assert vectorize_module.upscaled(large, 4) is large


def test_a_trace_at_the_proxys_size_traces_the_proxy_without_enlarging_again(two_colour_path: Path) -> None:
    proxy = Reference.of(two_colour_path)  # 128 px: judged at 4×, so upscale=4 asks for the proxy's size
    assert vectorize_module.upscaled(proxy.raster, 4, proxy.scaled) is proxy.scaled
    assert vectorize_module.upscaled(proxy.raster, 2, proxy.scaled).shape[0] == proxy.scaled.shape[0] // 2
    for upscale in (2, 4):  # the shortcut traces the very pixels an enlargement would give
        assert (vectorize(proxy.raster, {"upscale": upscale}, enlarged=proxy.scaled)
                == vectorize(proxy.raster, {"upscale": upscale}))


def test_parameters_change_the_trace(two_colour_path: Path) -> None:
    spline = vectorize(two_colour_path, {"mode": "spline"})
    polygon = vectorize(two_colour_path, {"mode": "polygon"})
    assert " C" in spline and " C" not in polygon


def test_invalid_parameters_are_refused_before_vtracer_runs(
    two_colour_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    real_convert = vtracer.convert_raw_image_to_svg

    def counting_convert(*args: Any, **kwargs: Any) -> str:
        calls.append(kwargs)
        return str(real_convert(*args, **kwargs))

    monkeypatch.setattr(vectorize_module.vtracer, "convert_raw_image_to_svg", counting_convert)
    with pytest.raises(InvalidParams, match="color_precision"):
        vectorize(two_colour_path, {"color_precision": 0})
    assert calls == []
    vectorize(two_colour_path, {"color_precision": 1})
    assert len(calls) == 1


@pytest.mark.parametrize(
    "trap", [{"color_precision": 0}, {"mode": "spline", "max_iterations": 0}, {"color_precision": -3}]
)
def test_a_vtracer_panic_or_overflow_becomes_vectorize_error(two_colour_path: Path, trap: dict[str, Any]) -> None:
    # Values that make VTracer panic or overflow, fed past validation on purpose: the guard itself must hold.
    png = encode_png(load_image(two_colour_path))
    with pytest.raises(VectorizeError, match="VTracer failed"):
        vectorize_module._trace(png, {**defaults(), **trap})  # type: ignore[typeddict-item]


def test_a_panic_inside_the_time_limited_process_is_a_vectorize_error(two_colour_path: Path) -> None:
    png = encode_png(load_image(two_colour_path))
    with pytest.raises(VectorizeError, match="VTracer failed") as caught:
        vectorize_module._trace_with_time_limit(png, {**defaults(), "color_precision": 0}, 30.0)  # type: ignore[typeddict-item]
    assert not isinstance(caught.value, VectorizeTimeout)


def test_the_time_limit_stops_a_long_trace() -> None:
    noise = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    with pytest.raises(VectorizeTimeout, match=r"did not finish within 0\.05 s"):
        vectorize(noise, timeout_s=0.05)


def test_a_trace_within_its_time_limit_is_the_same_svg(two_colour_path: Path) -> None:
    assert vectorize(two_colour_path, timeout_s=30.0) == vectorize(two_colour_path)


@property_settings
@given(data=st.data())
def test_any_parameter_set_from_the_space_traces(
    data: st.DataObject, parameter_sets: Strategy, small_logo: np.ndarray
) -> None:
    """Every point of the space gives an SVG or a typed error; nothing else escapes."""
    chosen = data.draw(parameter_sets)
    try:
        svg = vectorize(small_logo, chosen)
    except SvgaiError:
        return
    assert svg.startswith("<?xml") and "</svg>" in svg


@property_settings
@given(
    key=st.sampled_from(NAMES),
    value=st.one_of(
        st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=8),
        st.lists(st.integers(), max_size=2),
    ),
)
def test_any_value_for_any_parameter_traces_or_raises_invalid_params(
    key: str, value: Any, small_logo: np.ndarray
) -> None:
    """Hostile values never reach VTracer: each either is valid or is refused with InvalidParams."""
    try:
        svg = vectorize(small_logo, {key: value})
    except InvalidParams as e:
        assert e.key == key
        return
    assert "</svg>" in svg
