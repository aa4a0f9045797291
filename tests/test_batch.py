"""`svgai convert` on many images: folders and globs, mirrored outputs, a process pool, a manifest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from svgai.batch import Job, Options, plan, run_batch
from svgai.cli import cli
from svgai.errors import InvalidImage
from svgai.manifest import measured, read_manifest

ICONS = ("python", "github", "firefoxbrowser")


@pytest.fixture
def logos(tmp_path: Path, icon_paths: list[Path], two_colour_path: Path) -> Path:
    """A folder with the three icons, the two-colour logo and a text file that is no image."""
    folder = tmp_path / "logos"
    folder.mkdir()
    for path in [*icon_paths, two_colour_path]:
        shutil.copy(path, folder / path.name)
    (folder / "notes.txt").write_text("not an image")
    return folder


def convert(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["convert", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_a_folder_is_converted_on_two_workers_into_mirrored_names_with_a_manifest(logos: Path, tmp_path: Path) -> None:
    out, manifest = tmp_path / "svg", tmp_path / "run.jsonl"
    code, stdout, _ = convert(logos, "-o", out, "--jobs", "2", "--manifest", manifest)
    assert code == 0, stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.svg" for n in [*ICONS, "two_colour"])
    records = read_manifest(manifest)
    assert {r["status"] for r in records} == {"ok"} and len(records) == 4
    for r in records:
        assert Path(r["output"]).stat().st_size == r["svg_bytes"] and r["path_count"] > 0
        assert 0.8 < r["quality"] <= 1.0 and r["measures"] and r["params"]["mode"] in {"spline", "polygon", "none"}
        assert r["method"] and r["time_ms"] > 0 and r["error"] is None and isinstance(r["fallbacks"], list)
    assert "converted                          4" in stdout and "failed                             0" in stdout


def test_a_second_run_skips_what_is_up_to_date_and_force_converts_again(logos: Path, tmp_path: Path) -> None:
    out = tmp_path / "svg"
    assert convert(logos, "-o", out, "--jobs", "1")[0] == 0
    os.utime(logos / "python.png")  # edited after its SVG was written
    manifest = tmp_path / "again.jsonl"
    assert convert(logos, "-o", out, "--jobs", "1", "--manifest", manifest)[0] == 0
    status = {Path(r["input"]).stem: r["status"] for r in read_manifest(manifest)}
    assert status == {"python": "ok", "github": "skipped", "firefoxbrowser": "skipped", "two_colour": "skipped"}
    assert convert(logos, "-o", out, "--force", "--manifest", manifest)[0] == 0
    assert {r["status"] for r in read_manifest(manifest)} == {"ok"}


def test_a_broken_image_fails_alone_and_the_exit_status_counts_it(
    logos: Path, tmp_path: Path, two_colour_path: Path
) -> None:
    (logos / "broken.png").write_bytes(two_colour_path.read_bytes()[:200])
    out, manifest = tmp_path / "svg", tmp_path / "run.jsonl"
    code, stdout, stderr = convert(logos, "-o", out, "--jobs", "2", "--manifest", manifest)
    assert code == 1 and stderr == "1 of 5 images failed\n"
    failed = [r for r in read_manifest(manifest) if r["status"] == "failed"]
    assert len(failed) == 1 and "truncated or corrupt" in failed[0]["error"] and failed[0]["quality"] is None
    assert "broken.png: " in stdout and not (out / "broken.svg").exists() and len(list(out.iterdir())) == 4


def test_globs_files_and_recursive_folders_mirror_below_the_folder(logos: Path, tmp_path: Path) -> None:
    nested = logos / "more"
    nested.mkdir()
    shutil.copy(logos / "python.png", nested / "python.png")
    flat = plan([str(logos)], str(tmp_path / "o"), Options())
    assert len(flat) == 4
    deep = plan([str(logos)], str(tmp_path / "o"), Options(), recursive=True)
    assert str(tmp_path / "o" / "more" / "python.svg") in {j.output for j in deep} and len(deep) == 5
    globbed = plan([str(logos / "*.png"), str(logos / "notes.txt")], str(tmp_path / "o"), Options())
    assert [Path(j.output).name for j in globbed][-1] == "notes.svg" and len(globbed) == 5
    with pytest.raises(InvalidImage, match="would both be written to"):
        plan([str(logos / "python.png"), str(nested / "python.png")], str(tmp_path / "o"), Options())
    with pytest.raises(InvalidImage, match="no images in"):
        plan([str(tmp_path / "nothing-*.png")], None, Options())


def test_one_image_keeps_o_as_its_file_and_bad_options_fail_before_any_work(logos: Path, tmp_path: Path) -> None:
    assert plan([str(logos / "python.png")], str(tmp_path / "x.svg"), Options())[0].output == str(tmp_path / "x.svg")
    code, _, stderr = convert(logos, "-o", tmp_path / "svg", "--param", "color_precision=0")
    assert code == 2 and stderr.startswith("error: parameter color_precision=0 is out of range")
    assert not (tmp_path / "svg").exists()


def test_stdin_to_stdout_with_the_result_on_stderr(two_colour_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "svgai.cli", "convert", "-", "-o", "-"],
                          input=two_colour_path.read_bytes(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(b"</svg>") and done.stderr.startswith(b"-: quality ")


def test_measured_reads_quality_and_parts_when_the_report_has_them() -> None:
    assert measured({"ssim": 0.9}) == (0.9, {"ssim": 0.9})
    assert measured({"ssim": 0.9, "quality": 0.8, "measures": {"ssim_1x": 0.9, "edges": 0.7}}) == (
        0.8, {"ssim_1x": 0.9, "edges": 0.7})


@pytest.mark.slow
def test_ray_converts_the_same_batch_as_the_process_pool(logos: Path, tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        # explicit parameters: the router's choice depends on its time budget, a conversion does not
        explicit = Options(params=("mode=polygon", "color_precision=5"))
        jobs = [Job(str(p), str(tmp_path / "ray" / f"{p.stem}.svg"), explicit) for p in sorted(logos.glob("*.png"))]
        on_ray = sorted(run_batch(jobs, executor="ray"), key=lambda r: r["input"])
    finally:
        ray.shutdown()
    local = [Job(j.input, str(tmp_path / "local" / Path(j.output).name), explicit) for j in jobs]
    in_pool = sorted(run_batch(local, workers=2), key=lambda r: r["input"])
    assert [r["status"] for r in on_ray] == ["ok"] * 4
    assert [(r["params"], r["svg_bytes"]) for r in on_ray] == [(r["params"], r["svg_bytes"]) for r in in_pool]
    assert json.dumps([r["quality"] for r in on_ray]) == json.dumps([r["quality"] for r in in_pool])
