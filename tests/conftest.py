"""Shared fixtures: the committed fixture images and factories for small images written to tmp_path."""

from __future__ import annotations

import io
import struct
import sys
import textwrap
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st
from PIL import Image

from svgai.params import SPACE, Choice, Number

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
ICONS = ("python", "github", "firefoxbrowser")

ImageWriter = Callable[..., Path]


@pytest.fixture(scope="session")
def two_colour_path() -> Path:
    """128×128 flat two-colour logo (an ellipse and a rectangle on white)."""
    return FIXTURES / "two_colour.png"


@pytest.fixture(scope="session")
def icon_paths() -> list[Path]:
    """The three 96×96 simple-icons logos (CC0)."""
    return [FIXTURES / f"{name}.png" for name in ICONS]


@pytest.fixture(scope="session")
def example_logo() -> Path:
    """The 256×256 example image shipped for `make demo`."""
    return ROOT / "examples" / "logo.png"


@pytest.fixture(scope="session")
def small_logo() -> np.ndarray:
    """The python icon scaled to 48×48 RGB: big enough to trace, small enough for property tests."""
    with Image.open(FIXTURES / "python.png") as image:
        return np.asarray(image.convert("RGB").resize((48, 48), Image.Resampling.LANCZOS))


def _valid_values(spec: Choice | Number) -> st.SearchStrategy[Any]:
    if isinstance(spec, Choice):
        return st.sampled_from(spec.choices)
    if spec.kind is int:
        return st.integers(int(spec.low), int(spec.high))
    return st.floats(spec.low, spec.high, allow_nan=False)


@pytest.fixture(scope="session")
def parameter_sets() -> st.SearchStrategy[dict[str, Any]]:
    """A hypothesis strategy over the whole space: every parameter, any valid value (built from SPACE)."""
    return st.fixed_dictionaries({s.name: _valid_values(s) for s in SPACE})


@pytest.fixture(scope="session")
def partial_parameter_sets() -> st.SearchStrategy[dict[str, Any]]:
    """Like ``parameter_sets`` but any subset of the parameters (the rest take VTracer's defaults)."""
    return st.fixed_dictionaries({}, optional={s.name: _valid_values(s) for s in SPACE})


def _encode(image: Image.Image, format: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def encode_image() -> Callable[..., bytes]:
    """``encode_image(image, format="PNG", **save_options)``: a PIL image as encoded bytes."""
    return _encode


@pytest.fixture(scope="session")
def bomb_png() -> bytes:
    """A 100-byte, well-formed PNG whose header claims 20000×20000 pixels (a decompression bomb)."""
    return _png_claiming_size(20_000, 20_000)


def _png_claiming_size(width: int, height: int) -> bytes:

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def write_bytes(tmp_path: Path) -> Callable[[str, bytes], Path]:
    """Write raw bytes to ``tmp_path/name`` and return the path."""

    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def write_image(tmp_path: Path) -> ImageWriter:
    """Save a PIL image to ``tmp_path/name`` (format from ``format=`` or PNG) and return the path."""

    def write(name: str, image: Image.Image, format: str = "PNG", **options: Any) -> Path:
        path = tmp_path / name
        path.write_bytes(_encode(image, format, **options))
        return path

    return write


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], None]]:
    """``install_plugin(name, source)``: a real distribution on sys.path with one ``svgai`` entry point.

    The modules live in ``tmp_path/site`` (not in ``tmp_path`` itself, which tests list for output files).
    """
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    names: list[str] = []

    def install(name: str, source: str) -> None:
        names.append(name)
        (site / f"{name}.py").write_text(textwrap.dedent(source))
        info = site / f"{name}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[svgai]\n{name} = {name}\n")

    yield install
    for name in names:
        sys.modules.pop(name, None)
