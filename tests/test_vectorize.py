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
from svgai.quality import render
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
