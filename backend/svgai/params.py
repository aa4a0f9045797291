"""The conversion's parameter space: the one source of truth for names, types, ranges and defaults.

All 11 options of VTracer are here, plus one of svgai's own, ``upscale``: the factor by which the
raster is enlarged with sharp edges (``svgai.images.sharp_upscale``) before VTracer traces it, capped
so the traced long side stays within ``svgai.vectorize.MAX_UPSCALED_SIDE``. VTracer fits its curves
to pixel corners, so a small raster traced as it is gives lumpy curves, or staircases in pixel mode;
traced from a 2–4× sharp upscale, the same shapes come out smooth (docs/quality.md measures it).
``upscale=1`` is VTracer as it is, the default, so ``defaults()`` and the presets are VTracer's own;
in pixel mode (``mode="none"``) it does not apply and is always 1.
Everything else in svgai (validation, the dataset sampler, the models' input encoding, the router's
checks) reads this table instead of repeating it.

Model encoding (fixed; models trained on one encoding must see the same one):
``encode`` maps a parameter set to ``ENCODED_DIM`` float32 values in ``ENCODED_FEATURES`` order —
a one-hot block per categorical parameter (in ``CHOICES`` order), then every numeric parameter
min-max scaled to [0, 1] over its range, then one indicator per numeric parameter with an ``off``
value (``SWITCHES``): 1.0 when the parameter sits at the value where VTracer switches the feature off.
``filter_speckle=0`` is such a value: speckle filtering stops and the SVG gets about ten times
larger (``tests/test_params.py::test_filter_speckle_zero_is_a_switch`` measures it), while 0 → 1 is
a small step in the min-max column. ``decode`` inverts the encoding (argmax per one-hot block, clip,
rescale, round integers; an indicator ≥ 0.5 sets its parameter to the off value, so a regression that
predicts "mostly off" gets off rather than a small number); ``refresh_switches`` recomputes the
indicators after a numeric column was moved.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import numpy as np

from svgai.errors import InvalidParams


class VTracerParams(TypedDict):
    """A complete, validated VTracer parameter set, passed to VTracer by name."""

    colormode: str
    hierarchical: str
    mode: str
    filter_speckle: int
    color_precision: int
    layer_difference: int
    corner_threshold: int
    length_threshold: float
    max_iterations: int
    splice_threshold: int
    path_precision: int
    upscale: int


@dataclass(frozen=True)
class Choice:
    """A categorical parameter."""

    name: str
    choices: tuple[str, ...]
    default: str
    aliases: tuple[tuple[str, str], ...] = ()
    """Other names accepted for a choice, ``(alias, choice)`` pairs: VTracer's CLI spells some differently."""

    def describe(self) -> str:
        named = ", ".join(repr(c) for c in self.choices)
        return "one of " + named + "".join(f" ({alias!r} = {choice!r})" for alias, choice in self.aliases)


@dataclass(frozen=True)
class Number:
    """A numeric parameter with an inclusive range."""

    name: str
    kind: type  # int or float
    low: float
    high: float
    default: float
    off: float | None = None
    """The value at which VTracer switches the feature off (its behaviour jumps there), if any."""
    note: str = ""
    """What the parameter does, where its name alone does not say (shown by ``svgai params``)."""

    def describe(self) -> str:
        what = "an integer" if self.kind is int else "a number"
        return f"{what} from {_fmt(self.low)} to {_fmt(self.high)}" + (f" ({self.note})" if self.note else "")


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


Spec = Choice | Number

SPACE: tuple[Spec, ...] = (
    Choice("colormode", ("color", "binary"), "color"),
    Choice("hierarchical", ("stacked", "cutout"), "stacked"),
    Choice("mode", ("spline", "polygon", "none"), "spline", aliases=(("pixel", "none"),)),
    Number("filter_speckle", int, 0, 16, 4, off=0),
    Number("color_precision", int, 1, 8, 6),
    Number("layer_difference", int, 1, 64, 16),
    Number("corner_threshold", int, 0, 180, 60),
    Number("length_threshold", float, 3.5, 10.0, 4.0),
    Number("max_iterations", int, 1, 20, 10),
    Number("splice_threshold", int, 0, 180, 45),
    Number("path_precision", int, 1, 10, 8),
    Number("upscale", int, 1, 4, 1, note="svgai's own: trace a sharp N-times enlargement, up to 1024 px"),
)
SPECS: dict[str, Spec] = {s.name: s for s in SPACE}
NAMES: tuple[str, ...] = tuple(SPECS)
CHOICES: tuple[Choice, ...] = tuple(s for s in SPACE if isinstance(s, Choice))
NUMBERS: tuple[Number, ...] = tuple(s for s in SPACE if isinstance(s, Number))
VTRACER_NAMES: tuple[str, ...] = tuple(name for name in NAMES if name != "upscale")
"""The parameters VTracer itself takes (every one but ``upscale``)."""

SWITCHES: tuple[Number, ...] = tuple(n for n in NUMBERS if n.off is not None)
ENCODED_FEATURES: tuple[str, ...] = tuple(
    [f"{c.name}={v}" for c in CHOICES for v in c.choices]
    + [n.name for n in NUMBERS]
    + [f"{n.name}={_fmt(n.off)}" for n in SWITCHES]  # type: ignore[arg-type]
)
ENCODED_DIM = len(ENCODED_FEATURES)
COLUMNS: dict[str, int] = {c.name: ENCODED_FEATURES.index(f"{c.name}={c.choices[0]}") for c in CHOICES} | {
    n.name: ENCODED_FEATURES.index(n.name) for n in NUMBERS
}
"""Where each parameter starts in the encoding: its one-hot block (``len(choices)`` wide) or its column."""


def defaults() -> VTracerParams:
    """VTracer's own defaults, as a fresh dict."""
    return _typed({s.name: (int(s.default) if isinstance(s, Number) and s.kind is int else s.default) for s in SPACE})


PRESETS: dict[str, dict[str, str | int | float]] = {
    "bw": {"colormode": "binary"},
    "poster": {"color_precision": 8},
    "photo": {"filter_speckle": 10, "color_precision": 8, "layer_difference": 48, "corner_threshold": 180},
}
"""VTracer's own command-line presets (``vtracer --preset bw|poster|photo``, its cmdapp ``config.rs``),
as differences from ``defaults()``: what a careful user would try by hand, so evaluations compare with them."""


def preset(name: str) -> VTracerParams:
    """The full parameter set of one of VTracer's presets (``PRESETS``); ``"defaults"`` gives ``defaults()``."""
    if name == "defaults":
        return defaults()
    if name not in PRESETS:
        raise InvalidParams(f"unknown preset {name!r}; accepted: defaults, {', '.join(PRESETS)}", key="preset")
    return validate({**defaults(), **PRESETS[name]})


def _canonical(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with ``upscale`` at 1 in pixel mode (``mode="none"``), where it does not apply.

    Pixel mode traces the raster's own pixels: traced from an enlargement it would hand back a finer
    staircase — still no curves and a much larger SVG — rather than a drawing (docs/quality.md).
    """
    if values.get("mode") == "none":
        values["upscale"] = 1
    return values


def is_canonical(params: Mapping[str, Any]) -> bool:
    """False for a set ``validate`` would change: pixel mode with ``upscale`` above 1.

    Readers of a dataset skip such labels: they measure a pixel trace of an enlargement, which no
    conversion produces any more.
    """
    return _canonical(dict(params)).get("upscale", 1) == params.get("upscale", 1)


def _typed(values: dict[str, Any]) -> VTracerParams:
    return VTracerParams(**values)  # type: ignore[typeddict-item]


def _check_value(spec: Spec, value: Any) -> str | int | float:
    # Fast path for plain Python numbers (the router validates thousands of sets per image):
    # exact type checks avoid the slower numbers.* ABC checks below.
    if isinstance(spec, Number):
        kind = type(value)
        plain = kind is int or (kind is float and spec.kind is float)
        if plain and spec.low <= value <= spec.high:  # the comparison is False for NaN
            return float(value) if spec.kind is float else value

    def refuse(why: str) -> InvalidParams:
        return InvalidParams(
            f"parameter {spec.name}={value!r} is {why}; accepted: {spec.describe()}", key=spec.name
        )

    if isinstance(spec, Choice):
        if not isinstance(value, str):
            raise refuse(f"of type {type(value).__name__}")
        value = dict(spec.aliases).get(value, value)
        if value not in spec.choices:
            raise refuse("not a known choice")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise refuse(f"of type {type(value).__name__}")
    if spec.kind is int:
        if not isinstance(value, numbers.Integral):
            raise refuse(f"of type {type(value).__name__}, not an integer")
        number: int | float = int(value)
    else:
        number = float(value)
        if not math.isfinite(number):
            raise refuse("not a finite number")
    if not spec.low <= number <= spec.high:
        raise refuse("out of range")
    return number


def validate(params: Mapping[str, Any] | None = None) -> VTracerParams:
    """Check a (possibly partial) parameter set and complete it from VTracer's defaults.

    Raises ``InvalidParams`` naming the key, the value and what is accepted for an unknown key, a
    wrong type (a bool where an int is expected included), NaN/inf, a value out of range or an
    unknown choice. Runs before VTracer ever sees the values: VTracer itself panics or silently
    substitutes defaults on several of these.
    """
    if params is None:
        return defaults()
    if not isinstance(params, Mapping):
        raise InvalidParams(
            f"parameters must be a mapping of name to value, not {type(params).__name__}; "
            f"accepted names: {', '.join(NAMES)}"
        )
    values: dict[str, Any] = dict(defaults())
    for key, value in params.items():
        spec = SPECS.get(key) if isinstance(key, str) else None
        if spec is None:
            raise InvalidParams(
                f"unknown parameter {key!r}; accepted names: {', '.join(NAMES)}", key=str(key)
            )
        values[key] = _check_value(spec, value)
    return _typed(_canonical(values))


def parse_assignment(text: str) -> tuple[str, str | int | float]:
    """Parse ``key=value`` from the command line into a typed pair (still to be validated)."""
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    spec = SPECS.get(key)
    if not sep or spec is None:
        raise InvalidParams(
            f"cannot read parameter {text!r}; expected key=value with key one of {', '.join(NAMES)}",
            key=key or None,
        )
    if isinstance(spec, Choice):
        return key, raw
    try:
        number = float(raw)
    except ValueError:
        raise InvalidParams(
            f"parameter {key}={raw!r} is not a number; accepted: {spec.describe()}", key=key
        ) from None
    if spec.kind is int:
        if not number.is_integer():
            raise InvalidParams(
                f"parameter {key}={raw!r} is not an integer; accepted: {spec.describe()}", key=key
            )
        return key, int(number)
    return key, number


def encode(params: Mapping[str, Any]) -> np.ndarray:
    """Encode one validated parameter set as ``ENCODED_DIM`` float32 values (see module doc)."""
    return encode_many([params])[0]


PLAIN_BATCH = 8
"""Sets from which the column-wise path pays: it costs ~50 µs however few sets, one set alone ~8 µs."""


def encode_many(many: Iterable[Mapping[str, Any]]) -> np.ndarray:
    """Encode parameter sets into an ``(n, ENCODED_DIM)`` float32 matrix; each set is validated."""
    many = list(many)
    fast = _encode_plain(many) if len(many) >= PLAIN_BATCH else None
    return fast if fast is not None else _encode_each(many)


def _encode_each(many: list[Mapping[str, Any]]) -> np.ndarray:
    """The reference path: ``validate`` each set, then encode it row by row."""
    rows = []
    for params in many:
        p = validate(params)
        row = [1.0 if p[c.name] == v else 0.0 for c in CHOICES for v in c.choices]  # type: ignore[literal-required]
        row += [(float(p[n.name]) - n.low) / (n.high - n.low) for n in NUMBERS]  # type: ignore[literal-required]
        row += [1.0 if p[n.name] == n.off else 0.0 for n in SWITCHES]  # type: ignore[literal-required]
        rows.append(row)
    return np.asarray(rows, dtype=np.float32).reshape(-1, ENCODED_DIM)


_ALL_VALUES = operator.itemgetter(*NAMES)
_CHOICE_INDEX: dict[str, dict[str, int]] = {
    c.name: {v: i for i, v in enumerate(c.choices)} | {a: c.choices.index(v) for a, v in c.aliases} for c in CHOICES
}
_INTEGERS: set[type] = {int, np.int32, np.int64}
_PLAIN_TYPES: dict[str, set[type]] = {
    n.name: _INTEGERS if n.kind is int else _INTEGERS | {float, np.float32, np.float64} for n in NUMBERS
}
"""What ``_encode_plain`` takes per numeric parameter: exact types, so no bool (which ``validate`` refuses)
and no float for an integer; numpy's too, as ``sample`` gives ``length_threshold`` as ``np.float64``."""


def _encode_plain(many: list[Any]) -> np.ndarray | None:
    """``_encode_each``'s matrix, built column by column with numpy, or ``None`` unless every set is a
    plain ``dict`` of all the parameters with plain, valid values (what ``sample`` and the search produce).

    Why: scoring 1,024 dicts on a cached image spent ~95% of its time validating and encoding them one
    value at a time in Python (7.4 ms against 0.43 ms for an encoded array). Whatever this path does not
    take (a partial set, a bool, a float for an integer, NaN, a value out of range, an unknown key or
    choice) goes through ``_encode_each``, so ``validate`` alone writes every refusal. The checks mirror
    ``_check_value``: exact types (see ``_PLAIN_TYPES``), inclusive ranges, choices and their aliases.
    """
    if not many or set(map(type, many)) != {dict} or sum(map(len, many)) != len(many) * len(NAMES):
        return None
    try:  # every set holds every name and (by the sum of lengths) nothing else
        columns = dict(zip(NAMES, zip(*map(_ALL_VALUES, many), strict=True), strict=True))
    except KeyError:
        return None
    out = np.zeros((len(many), ENCODED_DIM), dtype=np.float32)
    rows = np.arange(len(many))
    for c in CHOICES:
        column = columns[c.name]
        if not set(map(type, column)) <= {str, np.str_}:
            return None
        index = list(map(_CHOICE_INDEX[c.name].get, column))
        if None in index:
            return None
        out[rows, COLUMNS[c.name] + np.array(index)] = 1.0
    numeric: dict[str, np.ndarray] = {}
    for n in NUMBERS:
        column = columns[n.name]
        if not set(map(type, column)) <= _PLAIN_TYPES[n.name]:
            return None
        try:
            values = np.array(column, dtype=np.float64)  # exact for every in-range value
        except OverflowError:  # an int beyond float64: out of range, for validate to say so
            return None
        if not np.all((n.low <= values) & (values <= n.high)):  # False for NaN
            return None
        out[:, COLUMNS[n.name]] = (values - n.low) / (n.high - n.low)
        numeric[n.name] = values
    for i, n in enumerate(SWITCHES, start=ENCODED_DIM - len(SWITCHES)):
        out[:, i] = numeric[n.name] == n.off
    pixel_mode = out[:, ENCODED_FEATURES.index("mode=none")] == 1.0
    out[pixel_mode, COLUMNS["upscale"]] = 0.0  # upscale 1: it does not apply in pixel mode (``_canonical``)
    return out


def refresh_switches(encoded: np.ndarray) -> np.ndarray:
    """Recompute the off-indicators of encoded rows ``(..., ENCODED_DIM)`` from their numeric columns.

    A numeric column counts as "off" when it decodes to the off value (integers round), so a moved
    row encodes what ``decode`` would give. Works in place and returns ``encoded``.
    """
    for i, n in enumerate(SWITCHES, start=ENCODED_DIM - len(SWITCHES)):  # the switches close the encoding
        value = n.low + np.clip(encoded[..., COLUMNS[n.name]], 0.0, 1.0) * (n.high - n.low)
        if n.kind is int:
            value = np.round(value)
        encoded[..., i] = (value == n.off).astype(encoded.dtype)
    return encoded


def decode(vector: np.ndarray) -> VTracerParams:
    """Turn an encoded vector (or any real vector of that length) back into valid parameters."""
    v = np.asarray(vector, dtype=np.float64).reshape(-1)
    if v.shape[0] != ENCODED_DIM or not np.all(np.isfinite(v)):
        raise InvalidParams(f"an encoded parameter vector has {ENCODED_DIM} finite values, got {v.shape[0]}")
    values: dict[str, Any] = {}
    i = 0
    for c in CHOICES:
        block = v[i : i + len(c.choices)]
        values[c.name] = c.choices[int(np.argmax(block))]
        i += len(c.choices)
    for n in NUMBERS:
        x = n.low + float(np.clip(v[i], 0.0, 1.0)) * (n.high - n.low)
        values[n.name] = round(x) if n.kind is int else round(x, 6)  # drops float32 noise (4.0000000186)
        i += 1
    for n in SWITCHES:
        if v[i] >= 0.5:
            values[n.name] = int(n.off) if n.kind is int else n.off  # type: ignore[arg-type]
        i += 1
    return _typed(_canonical(values))


def from_unit(u: np.ndarray) -> VTracerParams:
    """Map a point of the unit cube [0, 1)^12 (one coordinate per parameter, ``NAMES`` order) to params.

    Categories and integers get equal-width bins, so uniform points give uniform values.
    """
    values: dict[str, Any] = {}
    for spec, x in zip(SPACE, np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0 - 1e-12), strict=True):
        if isinstance(spec, Choice):
            values[spec.name] = spec.choices[int(x * len(spec.choices))]
        elif spec.kind is int:
            values[spec.name] = int(spec.low + math.floor(x * (spec.high - spec.low + 1)))
        else:
            values[spec.name] = round(spec.low + x * (spec.high - spec.low), 4)
    return _typed(_canonical(values))


SamplingMethod = Literal["uniform", "sobol", "lhs"]


def sample(n: int, *, method: SamplingMethod = "sobol", seed: int = 0) -> list[VTracerParams]:
    """Draw ``n`` parameter sets over the whole space.

    ``uniform`` draws independent points; ``sobol`` (scrambled Sobol) and ``lhs`` (Latin hypercube)
    are space-filling, so a few sets per image still cover every range. Deterministic for a seed.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return []
    if method == "uniform":
        points = np.random.default_rng(seed).random((n, len(SPACE)))
    else:
        from scipy.stats import qmc

        engine: qmc.QMCEngine = (
            qmc.Sobol(d=len(SPACE), scramble=True, seed=seed)
            if method == "sobol"
            else qmc.LatinHypercube(d=len(SPACE), seed=seed)
        )
        points = engine.random(n)
    return [from_unit(p) for p in points]


def describe_space() -> list[dict[str, Any]]:
    """The space as plain rows (name, type, accepted values, default), for `svgai params`."""
    rows = []
    for s in SPACE:
        kind = "choice" if isinstance(s, Choice) else s.kind.__name__
        rows.append({"name": s.name, "type": kind, "accepted": s.describe(), "default": defaults()[s.name]})  # type: ignore[literal-required]
    return rows
