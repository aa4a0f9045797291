"""The parameter space: validation with typed errors, the model encoding, and sampling."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from svgai import params
from svgai.errors import InvalidParams
from svgai.params import CHOICES, ENCODED_DIM, NAMES, NUMBERS, SPACE, SPECS, Number
from svgai.quality import convert

Strategy = st.SearchStrategy[dict[str, Any]]


def test_the_space_has_all_eleven_vtracer_options_with_vtracer_defaults_and_upscale() -> None:
    assert params.VTRACER_NAMES == (
        "colormode", "hierarchical", "mode", "filter_speckle", "color_precision", "layer_difference",
        "corner_threshold", "length_threshold", "max_iterations", "splice_threshold", "path_precision",
    )
    assert (*params.VTRACER_NAMES, "upscale") == NAMES
    assert params.defaults() == {
        "colormode": "color", "hierarchical": "stacked", "mode": "spline", "filter_speckle": 4,
        "color_precision": 6, "layer_difference": 16, "corner_threshold": 60, "length_threshold": 4.0,
        "max_iterations": 10, "splice_threshold": 45, "path_precision": 8, "upscale": 1,
    }


def test_a_partial_set_is_completed_from_defaults() -> None:
    checked = params.validate({"color_precision": 3, "mode": "polygon"})
    assert checked["color_precision"] == 3
    assert checked["mode"] == "polygon"
    assert checked["layer_difference"] == params.defaults()["layer_difference"]
    assert params.validate(None) == params.validate({}) == params.defaults()


def test_values_come_back_with_the_declared_types() -> None:
    checked = params.validate({"length_threshold": 5, "filter_speckle": np.int64(3)})
    assert type(checked["length_threshold"]) is float
    assert type(checked["filter_speckle"]) is int


@pytest.mark.parametrize(
    ("given_params", "key", "says"),
    [
        ({"colour_precision": 3}, "colour_precision", "unknown parameter"),
        ({"color_precision": "6"}, "color_precision", "of type str"),
        ({"color_precision": 6.5}, "color_precision", "not an integer"),
        ({"color_precision": True}, "color_precision", "of type bool"),
        ({"length_threshold": math.nan}, "length_threshold", "not a finite number"),
        ({"length_threshold": math.inf}, "length_threshold", "not a finite number"),
        ({"color_precision": 0}, "color_precision", "out of range"),
        ({"max_iterations": 21}, "max_iterations", "out of range"),
        ({"filter_speckle": -1}, "filter_speckle", "out of range"),
        ({"mode": "bezier"}, "mode", "not a known choice"),
        ({"mode": None}, "mode", "of type NoneType"),
        ({"path_precision": None}, "path_precision", "of type NoneType"),
    ],
)
def test_bad_values_raise_invalid_params_naming_key_value_and_what_is_accepted(
    given_params: dict[str, Any], key: str, says: str
) -> None:
    with pytest.raises(InvalidParams, match=says) as caught:
        params.validate(given_params)
    assert caught.value.key == key
    assert key in str(caught.value)
    assert "accepted" in str(caught.value)


def test_a_non_mapping_is_refused() -> None:
    with pytest.raises(InvalidParams, match="mapping"):
        params.validate([("mode", "spline")])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("color_precision=3", ("color_precision", 3)),
        ("length_threshold=4.5", ("length_threshold", 4.5)),
        (" mode = polygon ", ("mode", "polygon")),
        ("max_iterations=10.0", ("max_iterations", 10)),
    ],
)
def test_command_line_assignments_are_typed_from_the_space(text: str, expected: tuple[str, Any]) -> None:
    assert params.parse_assignment(text) == expected


@pytest.mark.parametrize(
    "text", ["color_precision", "colour_precision=3", "=3", "color_precision=abc", "color_precision=2.5"]
)
def test_unreadable_assignments_raise_invalid_params(text: str) -> None:
    with pytest.raises(InvalidParams, match=r"accepted|expected key=value"):
        params.parse_assignment(text)


def test_the_encoding_is_one_hot_categories_then_min_max_numbers_then_switches() -> None:
    vector = params.encode(params.defaults())
    assert vector.shape == (ENCODED_DIM,) and vector.dtype == np.float32
    assert ENCODED_DIM == sum(len(c.choices) for c in CHOICES) + len(NUMBERS) + 1 == 17
    named = dict(zip(params.ENCODED_FEATURES, vector.tolist(), strict=True))
    assert named["colormode=color"] == 1.0 and named["colormode=binary"] == 0.0
    assert named["mode=spline"] == 1.0 and named["mode=none"] == 0.0
    assert named["color_precision"] == pytest.approx((6 - 1) / (8 - 1))
    assert named["length_threshold"] == pytest.approx((4.0 - 3.5) / (10.0 - 3.5))
    assert params.ENCODED_FEATURES[-1] == "filter_speckle=0" and named["filter_speckle=0"] == 0.0
    assert params.encode({"filter_speckle": 0})[-1] == 1.0


def test_filter_speckle_zero_is_a_switch(icon_paths: list[Path]) -> None:
    """Why the encoding has a ``filter_speckle=0`` column: VTracer stops filtering speckles there, the
    SVG jumps several-fold in size, while 1, 2 and 4 hardly differ (measured on a real logo)."""
    sizes = {fs: convert(icon_paths[0], {"filter_speckle": fs}).svg_bytes for fs in (0, 1, 2, 4)}
    assert sizes[0] > 3 * max(sizes[1], sizes[2], sizes[4])
    assert max(sizes[1], sizes[2], sizes[4]) < 2 * min(sizes[1], sizes[2], sizes[4])


def test_a_mostly_on_switch_decodes_to_the_off_value() -> None:
    """A regression that predicts filter_speckle=0 for 60% of similar images means "off", not "small"."""
    vector = params.encode({"filter_speckle": 6})
    vector[-1] = 0.6
    assert params.decode(vector)["filter_speckle"] == 0
    vector[-1] = 0.4
    assert params.decode(vector)["filter_speckle"] == 6


@given(st.lists(st.floats(-1, 2, allow_nan=False), min_size=ENCODED_DIM, max_size=ENCODED_DIM))
def test_refreshed_switches_encode_what_decode_gives(vector: list[float]) -> None:
    refreshed = params.refresh_switches(np.asarray(vector, dtype=np.float32))
    switches = slice(ENCODED_DIM - len(params.SWITCHES), ENCODED_DIM)
    assert refreshed[switches].tolist() == params.encode(params.decode(refreshed))[switches].tolist()


@given(data=st.data())
def test_decode_inverts_encode(data: st.DataObject, parameter_sets: Strategy) -> None:
    parameter_set = params.validate(data.draw(parameter_sets))  # canonical: no upscale in pixel mode
    decoded = params.decode(params.encode(parameter_set))
    for name in NAMES:
        if isinstance(SPECS[name], Number) and SPECS[name].kind is float:  # type: ignore[union-attr]
            assert decoded[name] == pytest.approx(parameter_set[name], abs=1e-5)  # type: ignore[literal-required]
        else:
            assert decoded[name] == parameter_set[name]  # type: ignore[literal-required]


@given(st.lists(st.floats(-10, 10, allow_nan=False), min_size=ENCODED_DIM, max_size=ENCODED_DIM))
def test_any_finite_vector_decodes_to_valid_parameters(vector: list[float]) -> None:
    decoded = params.decode(np.asarray(vector))
    assert params.validate(decoded) == decoded


@pytest.mark.parametrize("vector", [np.zeros(ENCODED_DIM - 1), np.full(ENCODED_DIM, np.nan)])
def test_a_malformed_vector_raises_invalid_params(vector: np.ndarray) -> None:
    with pytest.raises(InvalidParams, match=str(ENCODED_DIM)):
        params.decode(vector)


@given(data=st.data())
def test_encode_many_validates_and_stacks_rows(data: st.DataObject, partial_parameter_sets: Strategy) -> None:
    parameter_set = data.draw(partial_parameter_sets)
    matrix = params.encode_many([parameter_set, {}])
    assert matrix.shape == (2, ENCODED_DIM)
    assert np.all((matrix >= 0.0) & (matrix <= 1.0))
    np.testing.assert_array_equal(matrix[1], params.encode(params.defaults()))


def test_encode_many_refuses_invalid_sets() -> None:
    with pytest.raises(InvalidParams, match="color_precision"):
        params.encode_many([{}, {"color_precision": 0}])


def _outcome(encode: Any, batch: list[Any]) -> tuple[Any, ...]:
    """What an encoder does with ``batch``: its exact float32 bytes, or the error it raises."""
    try:
        matrix = encode(batch)
    except (InvalidParams, OverflowError) as e:
        return type(e), str(e), getattr(e, "key", None)
    return matrix.dtype, matrix.shape, matrix.tobytes()


@pytest.mark.parametrize(("method", "n", "seed"), [("uniform", 1024, 1), ("sobol", 64, 0), ("lhs", 33, 5)])
def test_encode_many_fast_path_equals_validating_each_set(method: params.SamplingMethod, n: int, seed: int) -> None:
    drawn = params.sample(n, method=method, seed=seed)
    plain = [  # Python floats and the alias 'pixel' (= 'none') instead of the sampler's np.float64 and 'none'
        {**p, "length_threshold": float(p["length_threshold"]), "mode": "pixel" if p["mode"] == "none" else p["mode"]}
        for p in drawn
    ]
    for batch in (drawn, plain):
        fast = params._encode_plain(batch)
        assert fast is not None  # what the sampler gives takes the fast path
        assert (fast.dtype, fast.shape, fast.tobytes()) == _outcome(params._encode_each, batch)


@settings(max_examples=60)
@given(data=st.data())
def test_encode_many_fast_path_equals_validating_each_set_for_any_values(
    data: st.DataObject, parameter_sets: Strategy
) -> None:
    """Full sets with some values swapped for anything: the same matrix or the same refusal as ``validate``."""
    anything = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
        st.sampled_from(["pixel", "none", np.int64(3), np.float64(5.0), np.float32(math.nan), np.bool_(True), 10**400]),
    )
    batch = data.draw(st.lists(parameter_sets, min_size=1, max_size=8))
    for _ in range(data.draw(st.integers(0, 2))):
        row, key = data.draw(st.integers(0, len(batch) - 1)), data.draw(st.sampled_from([*NAMES, "colour_precision"]))
        batch[row][key] = data.draw(anything)
    if data.draw(st.booleans()):
        del batch[0][data.draw(st.sampled_from(NAMES))]  # a partial set
    assert _outcome(params.encode_many, batch) == _outcome(params._encode_each, batch)


@pytest.mark.parametrize(
    ("key", "value"),
    [("colour_precision", 3), ("color_precision", True), ("color_precision", 6.5), ("length_threshold", math.nan),
     ("length_threshold", -math.inf), ("max_iterations", 21), ("mode", "bezier"), ("mode", None)],
)
def test_an_invalid_set_in_a_batch_raises_what_validate_raises(key: str, value: Any) -> None:
    batch: list[dict[str, Any]] = [dict(p) for p in params.sample(100, method="uniform", seed=3)]
    batch[57][key] = value
    with pytest.raises(InvalidParams) as expected:
        params.validate(batch[57])
    with pytest.raises(InvalidParams) as caught:
        params.encode_many(batch)
    assert (str(caught.value), caught.value.key) == (str(expected.value), expected.value.key)


@pytest.mark.parametrize("method", ["sobol", "lhs", "uniform"])
def test_sampling_is_deterministic_for_a_seed_and_valid(method: params.SamplingMethod) -> None:
    first = params.sample(32, method=method, seed=7)
    assert first == params.sample(32, method=method, seed=7)
    assert first != params.sample(32, method=method, seed=8)
    assert all(params.validate(p) == p for p in first)


@pytest.mark.parametrize("method", ["sobol", "lhs"])
def test_space_filling_samples_cover_every_choice_and_every_range(method: params.SamplingMethod) -> None:
    drawn = params.sample(64, method=method, seed=0)
    for choice in CHOICES:
        assert {p[choice.name] for p in drawn} == set(choice.choices)  # type: ignore[literal-required]
    for number in NUMBERS:
        values = np.array([p[number.name] for p in drawn], dtype=float)  # type: ignore[literal-required]
        quarters = np.floor((values - number.low) / (number.high - number.low) * 4).clip(0, 3)
        assert set(quarters.tolist()) == {0.0, 1.0, 2.0, 3.0}, number.name


def test_sampling_edge_cases() -> None:
    assert params.sample(0) == []
    with pytest.raises(ValueError):
        params.sample(-1)


def test_from_unit_reaches_both_ends_of_every_range() -> None:
    low, high = params.from_unit(np.zeros(len(SPACE))), params.from_unit(np.ones(len(SPACE)))
    assert high["mode"] == "none" and high["upscale"] == 1  # upscale does not apply in pixel mode ...
    polygon = params.from_unit(np.ones(len(SPACE)) - np.eye(len(SPACE))[NAMES.index("mode")] * 0.5)
    assert polygon["mode"] == "polygon"  # ... and reaches its top in the others
    for number in NUMBERS:
        assert low[number.name] == number.low  # type: ignore[literal-required]
        assert polygon[number.name] == pytest.approx(number.high, abs=1e-3)  # type: ignore[literal-required]
    for choice in CHOICES:
        assert low[choice.name] == choice.choices[0]  # type: ignore[literal-required]
        assert high[choice.name] == choice.choices[-1]  # type: ignore[literal-required]


@settings(max_examples=50)
@given(st.text(max_size=12), st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text()))
def test_validation_accepts_or_raises_invalid_params_for_anything(key: str, value: Any) -> None:
    try:
        checked = params.validate({key: value})
    except InvalidParams as e:
        assert e.key == key
    else:
        assert params.validate(checked) == checked


@pytest.mark.parametrize("name", ["bw", "poster", "photo"])
def test_presets_are_vtracer_cli_presets_over_the_defaults(name: str) -> None:
    chosen = params.preset(name)
    changed = {k for k in params.NAMES if chosen[k] != params.defaults()[k]}  # type: ignore[literal-required]
    assert changed == set(params.PRESETS[name])


def test_unknown_preset_names_the_accepted_ones() -> None:
    with pytest.raises(InvalidParams, match="accepted: defaults, bw, poster, photo"):
        params.preset("vivid")


def test_upscale_does_not_apply_in_pixel_mode_and_such_labels_are_not_canonical() -> None:
    pixel = params.validate({"mode": "pixel", "upscale": 4})
    assert pixel["mode"] == "none" and pixel["upscale"] == 1
    assert params.validate({"mode": "polygon", "upscale": 4})["upscale"] == 4
    full = dict(params.defaults()) | {"mode": "none", "upscale": 3}
    assert np.array_equal(params.encode_many([full] * 3), params.encode_many([params.validate(full)] * 3))
    assert params.decode(params.encode(full))["upscale"] == 1
    assert not params.is_canonical(full) and params.is_canonical(params.validate(full))
    assert all(p["upscale"] == 1 for p in params.sample(256, seed=3) if p["mode"] == "none")
