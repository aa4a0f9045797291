"""The `svgai` command, in-process with click's runner and as a real subprocess a user would start."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import vtracer
from click.testing import CliRunner

from svgai import vectorize as vectorize_module
from svgai.cli import LAZY_COMMANDS, cli
from svgai.params import NAMES


def svgai(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the real command in a fresh Python process."""
    return subprocess.run(
        [sys.executable, "-m", "svgai.cli", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_convert_writes_the_svg_and_prints_measured_quality(
    runner: CliRunner, two_colour_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "logo.svg"
    result = runner.invoke(cli, ["convert", str(two_colour_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{out}: quality ")
    measured = float(result.output.split("quality ", 1)[1].split(" ", 1)[0])
    assert 0.9 <= measured <= 1.0
    assert "bytes" in result.output and "paths" in result.output
    assert out.read_text().rstrip().endswith("</svg>")
    assert files_in(tmp_path) == ["logo.svg"]


def test_convert_json_is_machine_readable(runner: CliRunner, two_colour_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "logo.svg"
    result = runner.invoke(
        cli, ["convert", str(two_colour_path), "-o", str(out), "--param", "mode=polygon", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ssim"] >= 0.95 and report["svg_bytes"] == out.stat().st_size
    assert report["params"]["mode"] == "polygon" and report["method"] == "explicit"
    assert report["output"] == str(out.resolve()) or report["output"] == str(out)
    assert {"path_count", "vectorize_ms", "total_ms", "width", "height", "fallbacks"} <= set(report)


def test_a_bad_parameter_is_refused_before_vtracer_runs(
    runner: CliRunner, two_colour_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    real_convert = vtracer.convert_raw_image_to_svg
    monkeypatch.setattr(
        vectorize_module.vtracer,
        "convert_raw_image_to_svg",
        lambda *a, **k: calls.append(k) or real_convert(*a, **k),
    )
    out = tmp_path / "logo.svg"
    result = runner.invoke(cli, ["convert", str(two_colour_path), "-o", str(out), "--param", "color_precision=0"])
    assert result.exit_code == 2
    assert result.stderr == "error: parameter color_precision=0 is out of range; accepted: an integer from 1 to 8\n"
    assert calls == [] and files_in(tmp_path) == []


def test_a_failed_conversion_leaves_an_existing_output_untouched(
    runner: CliRunner, write_bytes: Any, two_colour_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "logo.svg"
    out.write_text("previous result")
    broken = write_bytes("broken.png", two_colour_path.read_bytes()[:200])
    result = runner.invoke(cli, ["convert", str(broken), "-o", str(out)])
    assert result.exit_code == 2 and "truncated or corrupt" in result.stderr
    assert out.read_text() == "previous result"
    assert files_in(tmp_path) == ["broken.png", "logo.svg"]


@pytest.mark.parametrize("target", ["missing-folder/logo.svg", "a-folder"])
def test_an_unwritable_output_is_one_line_and_leaves_no_temp_file(
    runner: CliRunner, two_colour_path: Path, tmp_path: Path, target: str
) -> None:
    (tmp_path / "a-folder").mkdir()
    result = runner.invoke(cli, ["convert", str(two_colour_path), "-o", str(tmp_path / target)])
    assert result.exit_code != 0 and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output
    assert files_in(tmp_path) == ["a-folder"] and files_in(tmp_path / "a-folder") == []


def test_the_default_output_is_the_image_name_with_svg(runner: CliRunner, two_colour_path: Path, tmp_path: Path) -> None:
    image = tmp_path / "two.png"
    image.write_bytes(two_colour_path.read_bytes())
    assert runner.invoke(cli, ["convert", str(image)]).exit_code == 0
    assert files_in(tmp_path) == ["two.png", "two.svg"]


def test_the_real_command_converts_and_reports(two_colour_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "logo.svg"
    done = svgai("convert", two_colour_path, "-o", out, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ssim"] >= 0.95 and out.exists()


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("missing.png", None, "no such file"),
        ("README.md", b"# svgai\n\nnot an image\n", "not a recognised image format"),
    ],
)
def test_the_real_command_gives_one_line_without_traceback(
    tmp_path: Path, name: str, content: bytes | None, says: str
) -> None:
    image = tmp_path / name
    if content is not None:
        image.write_bytes(content)
    done = svgai("convert", image)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and says in done.stderr
    assert "Traceback" not in done.stderr
    assert not image.with_suffix(".svg").exists()


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    done = svgai("--debug", "convert", tmp_path / "missing.png")
    assert done.returncode != 0 and "Traceback" in done.stderr and "InvalidImage" in done.stderr


def test_params_lists_the_space_with_defaults(runner: CliRunner) -> None:
    text = runner.invoke(cli, ["params"])
    assert text.exit_code == 0
    assert [line.split()[0] for line in text.output.splitlines()] == list(NAMES)
    rows = json.loads(runner.invoke(cli, ["params", "--json"]).output)
    assert {r["name"]: r["default"] for r in rows}["color_precision"] == 6
    assert all("accepted" in r for r in rows)


def test_info_shows_versions_cpu_features_and_providers(runner: CliRunner) -> None:
    text = runner.invoke(cli, ["info"])
    assert text.exit_code == 0
    assert "vtracer" in text.output and "simd: avx2" in text.output and "onnxruntime providers" in text.output
    env = json.loads(runner.invoke(cli, ["info", "--json"]).output)
    assert env["packages"]["vtracer"] == version("vtracer")
    assert "avx2" in env["cpu"]["simd"] and env["cpu"]["usable_cpus"] >= 1


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("svgai, version ")


def test_bench_measures_the_real_loop_and_says_what_it_could_not_measure(runner: CliRunner, tmp_path: Path) -> None:
    fixtures = Path(__file__).parent / "fixtures"
    no_model = tmp_path / "no-model"
    no_model.mkdir()
    result = runner.invoke(cli, [
        "bench", "--images", str(fixtures), "--image-count", "2", "--candidates", "2", "--repeats", "2",
        "--model-dir", str(no_model), "--out", str(tmp_path / "bench"),
    ])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "bench" / "bench.json").read_text())
    loop = report["real_loop"]
    assert loop["conversions"] == 2 * 2 * 2 and loop["per_candidate"]["p50_ms"] > 0 and 0 < loop["mean_quality"] <= 1
    assert len(loop["per_candidate"]["repeat_p50_ms"]) == 2
    assert "no model manifest" in report["model"]["unavailable"]
    markdown = (tmp_path / "bench" / "bench.md").read_text()
    assert "Predictor: unavailable" in markdown and "real loop, per candidate" in markdown


def test_bench_load_keeps_predictor_and_router_busy_without_errors(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, [
        "bench", "load", "--duration", "10", "--threads", "2", "--image-count", "4", "--out", str(tmp_path),
    ])
    assert result.exit_code == 0, result.output
    load = json.loads((tmp_path / "load.json").read_text())
    assert load["errors"] == 0 and load["calls"] > 0 and load["totals"]["router"]["calls"] > 0
    assert len(load["intervals"]) == 10 and all(row["calls_per_s"] > 0 for row in load["intervals"])
    assert load["rss_end_mb"] > 0 and "| interval (s) |" in (tmp_path / "load.md").read_text()


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_every_lazy_sub_command_is_found_and_loads(runner: CliRunner, name: str) -> None:
    result = runner.invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert name in runner.invoke(cli, ["--help"]).output
