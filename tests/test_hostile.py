"""Hostile inputs: each gets its typed error (or its correct fallback) and leaves no partial output.

Every image case runs twice — through the library (`svgai.quality.convert`) for the error's type and
through `svgai convert` for what a user sees: exit status 2, one line on stderr, and the output
folder exactly as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import pickle
import re
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest
from click.testing import CliRunner
from PIL import Image

from svgai import plugins as svgai_plugins
from svgai.cli import cli
from svgai.errors import InvalidImage, InvalidParams, ModelUnavailable, SvgaiError, VectorizeTimeout
from svgai.model_folder import METHODS_DIR_ENV, MODEL_DIR_ENV
from svgai.params import ENCODED_DIM
from svgai.plugins import load_plugins
from svgai.quality import convert
from svgai.router import IntelligentRouter, performance_of
from svgai.vectorize import vectorize
from svgai_quality.features import FEATURE_DIM, IMAGE_SIZE
from svgai_quality.predictor import LocalQualityPredictor


def encoded(image: Image.Image, format: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def png_chunks(*chunks: tuple[bytes, bytes]) -> bytes:
    body = b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in chunks
    )
    return b"\x89PNG\r\n\x1a\n" + body


def png_header(width: int, height: int, depth: int = 8, colour_type: int = 2) -> bytes:
    return png_chunks(
        (b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)),
        (b"IDAT", zlib.compress(b"\x00" * 64)),
        (b"IEND", b""),
    )


def gif_claiming(width: int, height: int) -> bytes:
    screen = struct.pack("<HHBBB", width, height, 0, 0, 0)
    return b"GIF89a" + screen + b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00\x3b"


def red_png(size: int = 32) -> bytes:
    return encoded(Image.new("RGB", (size, size), (200, 30, 30)))


def animated_gif() -> bytes:
    frames = [Image.new("P", (32, 32), index) for index in (1, 2)]
    for frame in frames:
        frame.putpalette([255, 255, 255, 255, 0, 0, 0, 255, 0] + [0] * 759)
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])


def palette_with_transparency() -> bytes:
    image = Image.new("P", (32, 32), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (8, 8, 24, 24))
    return encoded(image, transparency=0)


def noise(size: int) -> bytes:
    return encoded(Image.fromarray(np.random.default_rng(size).integers(0, 256, (size, size, 3), dtype=np.uint8)))


def noise_gif() -> bytes:
    return encoded(Image.open(io.BytesIO(noise(64))).convert("P"), "GIF")


@dataclass(frozen=True)
class ImageCase:
    """A hostile image: how to make it, and the typed error it must give (None: it must convert)."""

    make: Callable[[Path], Path]
    error: type[SvgaiError] | None
    says: str = ""
    cli_says: str | None = None
    """What ``svgai convert`` says when it differs from the library (it reads a folder as a batch)."""


def file(name: str, data: Callable[[], bytes]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data())
        return path

    return make


def missing(folder: Path) -> Path:
    return folder / "missing.png"


def directory(folder: Path) -> Path:
    (folder / "logo.png").mkdir()
    return folder / "logo.png"


def broken_link(folder: Path) -> Path:
    os.symlink(folder / "gone.png", folder / "link.png")
    return folder / "link.png"


IMAGE_CASES: dict[str, ImageCase] = {
    "missing file": ImageCase(missing, InvalidImage, "no such file"),
    "a directory": ImageCase(directory, InvalidImage, "is a directory", cli_says="no images in"),
    "a broken symlink": ImageCase(broken_link, InvalidImage, "no such file"),
    "0 bytes": ImageCase(file("empty.png", lambda: b""), InvalidImage, "empty (0 bytes)"),
    "PNG signature only": ImageCase(file("sig.png", lambda: b"\x89PNG\r\n\x1a\n"), InvalidImage, "not a recognised"),
    "truncated PNG": ImageCase(file("cut.png", lambda: red_png()[:60]), InvalidImage, "truncated or corrupt"),
    "PNG with a corrupt IDAT": ImageCase(
        file("crc.png", lambda: red_png()[:-20] + bytes([red_png()[-20] ^ 0xFF]) + red_png()[-19:]),
        InvalidImage,
        "truncated or corrupt",
    ),
    "truncated JPEG": ImageCase(
        file("cut.jpg", lambda: encoded(Image.new("RGB", (64, 64), "red"), "JPEG")[:300]),
        InvalidImage,
        "truncated or corrupt",
    ),
    "truncated GIF": ImageCase(file("cut.gif", lambda: noise_gif()[:-10]), InvalidImage, "truncated or corrupt"),
    "a text file": ImageCase(file("notes.txt", lambda: b"just words\n"), InvalidImage, "not a recognised"),
    "text named .png": ImageCase(file("notes.png", lambda: b"just words\n"), InvalidImage, "not a recognised"),
    "an SVG as input": ImageCase(
        file("logo.svg.png", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'),
        InvalidImage,
        "not a recognised",
    ),
    "0x0 PNG header": ImageCase(file("zero.png", lambda: png_header(0, 0)), InvalidImage, "not a recognised"),
    "20000x20000 PNG bomb": ImageCase(file("bomb.png", lambda: png_header(20_000, 20_000)), InvalidImage, "too large"),
    "50000000x1 PNG": ImageCase(file("wide.png", lambda: png_header(50_000_000, 1)), InvalidImage, "too large"),
    "65535x65535 GIF bomb": ImageCase(file("bomb.gif", lambda: gif_claiming(65535, 65535)), InvalidImage, "too large"),
    "PNG bytes named .jpg": ImageCase(file("logo.jpg", red_png), None),
    "JPEG bytes named .png": ImageCase(file("photo.png", lambda: encoded(Image.new("RGB", (32, 32), "red"), "JPEG")), None),
    "1x1 image": ImageCase(file("dot.png", lambda: red_png(1)), None),
    "16-bit grayscale": ImageCase(
        file("deep.png", lambda: encoded(Image.fromarray(np.full((32, 32), 40000, np.uint16)))), None
    ),
    "palette with transparency": ImageCase(file("pal.png", palette_with_transparency), None),
    "LA": ImageCase(file("la.png", lambda: encoded(Image.new("LA", (32, 32), (0, 128)))), None),
    "CMYK JPEG": ImageCase(file("cmyk.jpg", lambda: encoded(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG")), None),
    "animated GIF": ImageCase(file("anim.gif", animated_gif), None),
    "noise with a huge SVG, in time": ImageCase(file("noise.png", lambda: noise(64)), None),
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.mark.parametrize("case", IMAGE_CASES.values(), ids=IMAGE_CASES.keys())
def test_hostile_image(case: ImageCase, tmp_path: Path, runner: CliRunner) -> None:
    image = case.make(tmp_path)
    before = listing(tmp_path)
    out = tmp_path / "out.svg"
    result = runner.invoke(cli, ["convert", str(image), "-o", str(out), "--timeout", "60"])
    if case.error is None:
        assert result.exit_code == 0, result.output
        conversion = convert(image)
        assert 0.0 <= conversion.ssim <= 1.0 and conversion.svg_bytes > 0
        assert listing(tmp_path) == before | {"out.svg"}
        return
    with pytest.raises(case.error, match=re.escape(case.says)):
        convert(image)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert (case.cli_says or case.says) in result.stderr
    assert listing(tmp_path) == before


def test_noise_past_its_time_limit_is_a_timeout_and_writes_nothing(tmp_path: Path, runner: CliRunner) -> None:
    image = file("noise.png", lambda: noise(256))(tmp_path)
    with pytest.raises(VectorizeTimeout):
        vectorize(image, timeout_s=0.05)
    explicit = runner.invoke(
        cli, ["convert", str(image), "-o", str(tmp_path / "out.svg"), "--timeout", "0.05", "--param", "mode=spline"]
    )
    assert explicit.exit_code == 2 and "did not finish within 0.05 s" in explicit.stderr
    routed = runner.invoke(cli, ["convert", str(image), "-o", str(tmp_path / "out.svg"), "--timeout", "0.05"])
    assert routed.exit_code == 2 and routed.stderr.count("\n") == 1
    assert listing(tmp_path) == {"noise.png"}


def test_noise_svg_is_huge_but_measured(tmp_path: Path) -> None:
    image = file("noise.png", lambda: noise(64))(tmp_path)
    result = convert(image, timeout_s=60)
    assert result.svg_bytes > 3 * 64 * 64 * 3  # three times the raw pixels
    assert result.ssim < 0.5


PARAM_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "color_precision 0 (VTracer panics)": ({"color_precision": 0}, "out of range"),
    "color_precision -1 (VTracer overflows)": ({"color_precision": -1}, "out of range"),
    "max_iterations 0 in spline mode (VTracer panics)": ({"mode": "spline", "max_iterations": 0}, "out of range"),
    "negative filter_speckle": ({"filter_speckle": -4}, "out of range"),
    "negative corner_threshold": ({"corner_threshold": -60}, "out of range"),
    "negative splice_threshold": ({"splice_threshold": -1}, "out of range"),
    "huge layer_difference": ({"layer_difference": 2**40}, "out of range"),
    "unknown mode (VTracer would use its default)": ({"mode": "bezier"}, "not a known choice"),
    "unknown colormode": ({"colormode": "grey"}, "not a known choice"),
    "choice in the wrong case": ({"hierarchical": "Stacked"}, "not a known choice"),
    "path_precision None (VTracer: unrounded)": ({"path_precision": None}, "of type NoneType"),
    "length_threshold NaN (VTracer: slow)": ({"length_threshold": math.nan}, "not a finite number"),
    "length_threshold 0 (VTracer: slow)": ({"length_threshold": 0.0}, "out of range"),
    "length_threshold inf": ({"length_threshold": math.inf}, "not a finite number"),
    "float for an int": ({"color_precision": 3.5}, "not an integer"),
    "bool for an int": ({"filter_speckle": True}, "of type bool"),
    "string for an int": ({"color_precision": "6"}, "of type str"),
    "int for a choice": ({"mode": 1}, "of type int"),
    "list for a number": ({"corner_threshold": [60]}, "of type list"),
    "unknown key": ({"colour_precision": 6}, "unknown parameter"),
    "non-string key": ({7: 6}, "unknown parameter"),
}


@pytest.mark.parametrize(("bad", "says"), PARAM_CASES.values(), ids=PARAM_CASES.keys())
def test_hostile_parameters_are_refused_before_vtracer(bad: dict[Any, Any], says: str, two_colour_path: Path) -> None:
    with pytest.raises(InvalidParams, match=says) as caught:
        convert(two_colour_path, bad)
    assert "accepted" in str(caught.value)


CLI_PARAM_CASES = [
    "color_precision=0",
    "max_iterations=0",
    "filter_speckle=-1",
    "mode=bezier",
    "path_precision=None",
    "length_threshold=nan",
    "length_threshold=0",
    "color_precision=2.5",
    "colour_precision=3",
    "color_precision",
]


@pytest.mark.parametrize("assignment", CLI_PARAM_CASES)
def test_hostile_parameters_on_the_command_line(
    assignment: str, two_colour_path: Path, tmp_path: Path, runner: CliRunner
) -> None:
    result = runner.invoke(cli, ["convert", str(two_colour_path), "-o", str(tmp_path / "out.svg"), "--param", assignment])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "accepted" in result.stderr or "expected key=value" in result.stderr
    assert listing(tmp_path) == set()


# Model files: the predictor refuses each damaged folder with ModelUnavailable, runs no code from it,
# and the router converts anyway without it.

EMBEDDING = 8


def tiny_graphs(image_size: int = IMAGE_SIZE, params_dim: int = ENCODED_DIM, params_name: str = "params") -> dict[str, bytes]:
    """A real, tiny encoder and head with the runtime's input specification (and variations of it)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def tensor(name: str, *shape: int | str) -> onnx.ValueInfoProto:
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))

    rng = np.random.default_rng(0)
    encoder = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["pixels"], ["brightness"], axes=[1, 2, 3], keepdims=1),
            helper.make_node("Flatten", ["brightness"], ["brightness_2d"]),
            helper.make_node("Concat", ["brightness_2d", "features"], ["joined"], axis=1),
            helper.make_node("MatMul", ["joined", "w"], ["embedding"]),
        ],
        "encoder",
        [tensor("pixels", "batch", 3, image_size, image_size), tensor("features", "batch", FEATURE_DIM)],
        [tensor("embedding", "batch", EMBEDDING)],
        [numpy_helper.from_array(rng.normal(size=(FEATURE_DIM + 1, EMBEDDING)).astype(np.float32), "w")],
    )
    head = helper.make_graph(
        [
            helper.make_node("MatMul", [params_name, "w"], ["projected"]),
            helper.make_node("Add", ["embedding", "projected"], ["hidden"]),
            helper.make_node("ReduceMean", ["hidden"], ["score"], axes=[1], keepdims=0),
            helper.make_node("Sigmoid", ["score"], ["ssim"]),
            helper.make_node("Add", ["score", "log_offset"], ["log_svg_bytes"]),
        ],
        "head",
        [tensor("embedding", "batch", EMBEDDING), tensor(params_name, "batch", params_dim)],
        [tensor("ssim", "batch"), tensor("log_svg_bytes", "batch")],
        [numpy_helper.from_array(rng.normal(size=(params_dim, EMBEDDING)).astype(np.float32), "w"),
         numpy_helper.from_array(np.array(8.0, np.float32), "log_offset")],
    )
    opset = [helper.make_opsetid("", 17)]
    return {
        "encoder.onnx": helper.make_model(encoder, opset_imports=opset, ir_version=8).SerializeToString(),
        "head.onnx": helper.make_model(head, opset_imports=opset, ir_version=8).SerializeToString(),
    }


def record(folder: Path) -> None:
    """(Re)write config.json listing every file of the folder with its sha256."""
    files = sorted(p.name for p in folder.iterdir() if p.name != "config.json")
    manifest = {
        "variants": {"distilled": {"encoder": "encoder.onnx", "head": "head.onnx"}},
        "preference": ["distilled"],
        "artifacts": {f: {"sha256": hashlib.sha256((folder / f).read_bytes()).hexdigest()} for f in files},
    }
    (folder / "config.json").write_text(json.dumps(manifest))


def model_folder(folder: Path, **graph_options: Any) -> Path:
    folder.mkdir()
    for name, data in tiny_graphs(**graph_options).items():
        (folder / name).write_bytes(data)
    record(folder)
    return folder


class RunsCode:
    """Unpickling this opens (creates) a file: the proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def test_the_pickle_payload_really_runs_code_when_unpickled(tmp_path: Path) -> None:
    pickle.loads(pickle.dumps(RunsCode(tmp_path / "ran")))  # what np.load(allow_pickle=True) or torch.load would do
    assert (tmp_path / "ran").exists()


def edit_manifest(folder: Path, change: Callable[[dict[str, Any]], None]) -> None:
    manifest = json.loads((folder / "config.json").read_text())
    change(manifest)
    (folder / "config.json").write_text(json.dumps(manifest))


def replace_head(data: Callable[[Path], bytes], *, recorded: bool) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        (folder / "head.onnx").write_bytes(data(folder))
        if recorded:
            record(folder)

    return damage


MODEL_CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "no config.json": (lambda f: (f / "config.json").unlink(), "no model manifest"),
    "config.json is not JSON": (lambda f: (f / "config.json").write_text("{variants:"), "unreadable model manifest"),
    "config.json without variants": (lambda f: (f / "config.json").write_text("{}"), "not a quality-model manifest"),
    "config.json is a list": (lambda f: (f / "config.json").write_text("[]"), "not a quality-model manifest"),
    "a variant that is a string": (
        lambda f: edit_manifest(f, lambda m: m["variants"].update(distilled="encoder.onnx")), "variant 'distilled' is"),
    "an artifact entry that is a string": (
        lambda f: edit_manifest(f, lambda m: m["artifacts"].update({"head.onnx": "0" * 64})), "artifact 'head.onnx' is"),
    "a preference that is a string": (
        lambda f: edit_manifest(f, lambda m: m.update(preference="distilled")), "'preference' is"),
    "encoder file missing": (lambda f: (f / "encoder.onnx").unlink(), "has its files present"),
    "head is a directory": (lambda f: ((f / "head.onnx").unlink(), (f / "head.onnx").mkdir()), "has its files present"),
    "truncated head": (replace_head(lambda f: (f / "head.onnx").read_bytes()[:100], recorded=False), "does not match"),
    "wrong sha256 in the manifest": (
        lambda f: edit_manifest(f, lambda m: m["artifacts"]["encoder.onnx"].update(sha256="0" * 64)), "does not match"),
    "artifact not in the manifest": (lambda f: edit_manifest(f, lambda m: m["artifacts"].pop("head.onnx")), "not listed"),
    "truncated head, sha256 recorded": (
        replace_head(lambda f: (f / "head.onnx").read_bytes()[:100], recorded=True), "ONNX Runtime cannot load it"),
    "a pickle that would run code, as the head": (
        replace_head(lambda f: pickle.dumps(RunsCode(f.parent / "pwned")), recorded=True), "ONNX Runtime cannot load it"),
    "head for another parameter encoding": (
        replace_head(lambda f: tiny_graphs(params_dim=ENCODED_DIM - 1)["head.onnx"], recorded=True),
        "another input specification"),
    "manifest recording another parameter encoding": (
        lambda f: edit_manifest(f, lambda m: m.update(input={"params": {"encoding": ["filter_speckle"] * ENCODED_DIM}})),
        "trained on the parameter encoding"),
    "head with a renamed input": (
        replace_head(lambda f: tiny_graphs(params_name="parameters")["head.onnx"], recorded=True),
        "another input specification"),
    "encoder for another image size": (
        lambda f: ((f / "encoder.onnx").write_bytes(tiny_graphs(image_size=64)["encoder.onnx"]), record(f)),
        "another input specification"),
}


def test_the_tiny_model_itself_loads_and_predicts(tmp_path: Path, two_colour_path: Path) -> None:
    predictor = LocalQualityPredictor(model_folder(tmp_path / "model"))
    prediction = predictor.predict(two_colour_path, [{}, {"mode": "polygon"}])
    assert prediction.quality.shape == (2,) and np.all((prediction.quality >= 0) & (prediction.quality <= 1))


@pytest.mark.parametrize(("damage", "says"), MODEL_CASES.values(), ids=MODEL_CASES.keys())
def test_a_damaged_model_is_refused_and_routing_carries_on(
    damage: Callable[[Path], None], says: str, tmp_path: Path, two_colour_path: Path,
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = model_folder(tmp_path / "model")
    damage(folder)
    with pytest.raises(ModelUnavailable, match=says):
        LocalQualityPredictor(folder)
    assert not (tmp_path / "pwned").exists()
    monkeypatch.setenv(MODEL_DIR_ENV, str(folder))
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(cli, ["convert", str(two_colour_path), "-o", str(out / "logo.svg"), "--json"])
    assert result.exit_code == 0, result.output
    fallbacks = {f["method"]: f["reason"] for f in json.loads(result.stdout)["fallbacks"]}
    assert fallbacks["quality"].startswith("predictor unavailable")
    assert listing(out) == {"logo.svg"}


def test_a_missing_model_folder_and_an_unknown_variant_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="no model manifest"):
        LocalQualityPredictor(tmp_path / "nowhere")
    with pytest.raises(ModelUnavailable, match="no variant 'fp16'"):
        LocalQualityPredictor(model_folder(tmp_path / "model"), variant="fp16")


@pytest.mark.parametrize(
    "arguments",
    [{"intra_op_threads": 10_000}, {"intra_op_threads": 0}, {"intra_op_threads": -1}, {"intra_op_threads": 1.5},
     {"intra_op_threads": True}, {"cache_size": -1}, {"cache_size": "256"}, {"variant": 5}],
    ids=str,
)
def test_hostile_predictor_arguments_are_refused_before_any_thread_starts(
    tmp_path: Path, arguments: dict[str, Any]
) -> None:
    folder = model_folder(tmp_path / "model")
    threads = psutil.Process().num_threads()  # native threads too: ONNX Runtime's pool is not Python's
    with pytest.raises(InvalidParams, match=f"{next(iter(arguments))}=.* is invalid; accepted"):
        LocalQualityPredictor(folder, **arguments)
    assert psutil.Process().num_threads() == threads


def test_a_predictor_with_no_cache_still_predicts(tmp_path: Path, two_colour_path: Path) -> None:
    predictor = LocalQualityPredictor(model_folder(tmp_path / "model"), cache_size=0, intra_op_threads=1)
    first, again = (predictor.predict_quality(two_colour_path, {}) for _ in range(2))
    assert first == again and 0.0 <= first <= 1.0


def test_a_method_artifact_holding_a_pickle_is_refused_without_running_it(
    tmp_path: Path, two_colour_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    methods = tmp_path / "methods"
    methods.mkdir()
    marker = tmp_path / "pwned"
    np.savez(methods / "regression.npz", feature=np.array([RunsCode(marker)], dtype=object))
    monkeypatch.setenv(METHODS_DIR_ENV, str(methods))
    info = performance_of(load_plugins().manager, "regression")
    assert info["available"] is False and "allow_pickle=False" in str(info["reason"])
    choice = IntelligentRouter(load_plugins().manager).choose(two_colour_path, method="regression")
    assert choice.candidates[0].method == "defaults"
    assert not marker.exists()


# Plugins: a third-party plugin that breaks at import, at registration or at run time never stops a
# conversion; `svgai convert` writes exactly one SVG and names the plugin in its fallback trail.

GOOD_INFO = """
from svgai.hookspecs import PerformanceInfo, hookimpl

@hookimpl
def get_performance_info():
    return PerformanceInfo(available=True, reason=None, expected_quality=1.0, quality_source="test",
                           latency_p50_ms=None, latency_p95_ms=None, calls=0, failures=0, needs_predictor=False)
"""
PLUGIN_CASES: dict[str, tuple[str, str]] = {
    "raises on import": ("raise RuntimeError('cannot start: licence server unreachable')", "licence server unreachable"),
    "wrong hook signature": (
        GOOD_INFO + "\n@hookimpl\ndef propose_params(image, colour):\n    return []\n", "colour"),
    "unknown hook": (GOOD_INFO + "\n@hookimpl\ndef propose_parameters(image):\n    return []\n", "unknown hooks"),
    "hangs past the budget": (
        GOOD_INFO + "\nimport time\n@hookimpl\ndef propose_params(image):\n    time.sleep(3)\n    return []\n", "timed out"),
    "exits the interpreter": (
        GOOD_INFO + "\nimport sys\n@hookimpl\ndef propose_params(image):\n    sys.exit('bye')\n", "SystemExit"),
    "proposes NaN": (
        GOOD_INFO + "\nfrom svgai.params import defaults\n@hookimpl\ndef propose_params(image):\n"
        "    return [{**defaults(), 'length_threshold': float('nan')}]\n", "not a finite number"),
    "performance info raises": (
        "from svgai.hookspecs import hookimpl\n@hookimpl\ndef get_performance_info():\n    raise KeyError('x')\n"
        "@hookimpl\ndef propose_params(image):\n    return []\n", "get_performance_info failed"),
}


@pytest.mark.parametrize(("source", "says"), PLUGIN_CASES.values(), ids=PLUGIN_CASES.keys())
def test_a_hostile_plugin_never_stops_a_conversion(
    source: str, says: str, install_plugin: Callable[[str, str], None], tmp_path: Path, two_colour_path: Path,
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_plugin("hostile_plugin", source)
    monkeypatch.setattr(svgai_plugins, "_loaded", None)  # the CLI loads the plugins afresh, entry points included
    out = tmp_path / "out"
    out.mkdir()
    started = time.perf_counter()
    result = runner.invoke(
        cli, ["convert", str(two_colour_path), "-o", str(out / "logo.svg"), "--budget-ms", "300", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 2.5
    report = json.loads(result.stdout)
    loaded = svgai_plugins.get_plugins()
    reasons = [f["reason"] for f in report["fallbacks"] if f["method"] == "hostile_plugin"]
    reasons += [b.error for b in loaded.broken if b.name == "hostile_plugin"]
    assert any(says in reason for reason in reasons), reasons
    assert report["method"] != "hostile_plugin" and report["ssim"] >= 0.9
    assert listing(out) == {"logo.svg"}
