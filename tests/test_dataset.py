"""The dataset build on tiny real inputs: SVG files and npm-shaped tarballs written into tmp_path."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from svgai.cli import cli
from svgai.dataset import load_dataset
from svgai.dataset.build import BuildConfig, build
from svgai.dataset.card import distribution
from svgai.dataset.executors import ProcessExecutor
from svgai.dataset.jobs import Task, parameter_sets, task_for
from svgai.dataset.render import RenderCounts, image_id, is_blank, rasterize, render_unique, split_of
from svgai.dataset.sources import ICON_SETS, IconSet, fetch, read_icons, resolve
from svgai.dataset.store import LABEL_SCHEMA
from svgai.errors import SourceUnavailable, SvgaiError
from svgai.params import NAMES, defaults

TIMING = ("convert_ms", "measure_ms")
SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}">{body}</svg>'


def shape(colour: str, body: str = '<circle cx="12" cy="12" r="9"/>', w: int = 24, h: int = 24) -> str:
    return SVG.format(w=w, h=h, body=f'<g fill="{colour}">{body}</g>')


LOGOS = {
    "red-circle": shape("#d62828"),
    "blue-square": shape("#1d4ed8", '<rect x="3" y="3" width="18" height="18"/>'),
    "green-ring": shape("#15803d", '<circle cx="12" cy="12" r="10"/><circle cx="12" cy="12" r="5" fill="#fff"/>'),
    "two-bars": shape("#7c3aed", '<rect x="2" y="4" width="8" height="16"/><rect x="14" y="4" width="8" height="16" fill="#f59e0b"/>'),
    "triangle": shape("#0f766e", '<path d="M12 2 22 21H2z"/>'),
    "wide-bar": shape("#be123c", '<rect width="48" height="12"/>', w=48, h=12),
}


@pytest.fixture
def icon_folder(tmp_path: Path) -> Path:
    """Six distinct logos, one white-on-white (blank) and one exact copy under another name."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "LICENSE").write_text("CC0-1.0\n")
    for name, svg in LOGOS.items():
        (folder / f"{name}.svg").write_text(svg)
    (folder / "white-on-white.svg").write_text(shape("#ffffff"))
    (folder / "red-circle-copy.svg").write_text(LOGOS["red-circle"])
    return folder


def test_rasterize_fits_and_centres_on_white() -> None:
    wide = rasterize(LOGOS["wide-bar"])
    assert wide is not None and wide.shape == (256, 256, 3) and wide.dtype == np.uint8
    rows_drawn = np.flatnonzero((wide < 250).any(axis=(1, 2)))
    # a 4:1 bar fitted into 256 wide is 64 tall, centred: rows 96..159
    assert rows_drawn.min() == 96 and rows_drawn.max() == 159
    assert (wide[:96] == 255).all() and (wide[160:] == 255).all()
    assert rasterize("<svg") is None


def test_blank_and_duplicate_icons_are_dropped(icon_folder: Path) -> None:
    icons = read_icons("tiny", icon_folder)
    counts = RenderCounts()
    kept = list(render_unique(icons, counts))
    assert (counts.rendered, counts.blank, counts.duplicate, counts.failed) == (6, 1, 1, 0)
    assert sorted(k.name for k in kept if k.name.startswith("red-circle")) == ["red-circle"]
    assert all(k.license == "CC0-1.0" and k.source == "tiny" for k in kept)
    white = rasterize(shape("#ffffff"))
    assert white is not None and is_blank(white)


def test_split_is_a_fixed_function_of_the_image() -> None:
    rgb = rasterize(LOGOS["triangle"])
    assert rgb is not None
    assert image_id(rgb) == image_id(rgb.copy())
    ids = [f"{i:08x}" + "0" * 56 for i in range(1000)]
    splits = [split_of(i) for i in ids]
    assert splits == [split_of(i) for i in ids]
    assert splits.count("train") == 800 and splits.count("val") == 100 and splits.count("test") == 100


def test_parameter_sets_are_defaults_then_a_sample_fixed_per_image_and_seed() -> None:
    sets = parameter_sets("a" * 64, 8, seed=0)
    assert len(sets) == 8 and sets[0] == defaults()
    assert sets == parameter_sets("a" * 64, 8, seed=0)
    assert sets[1:] != parameter_sets("b" * 64, 8, seed=0)[1:]
    assert sets[1:] != parameter_sets("a" * 64, 8, seed=1)[1:]
    assert [i for i, _ in task_for("a" * 64, b"", 8, 0, done={0, 3}).sets] == [1, 2, 4, 5, 6, 7]


def _tarball(path: Path, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_npm_tarballs_of_known_sets_are_read_with_brand_colour_and_viewbox(tmp_path: Path) -> None:
    simple = _tarball(tmp_path / "si.tgz", {
        "package.json": json.dumps({"name": "simple-icons", "version": "16.37.0"}),
        "data/simple-icons.json": json.dumps([{"title": "Dot", "slug": "dot", "hex": "FF0000"}]),
        "icons/dot.svg": '<svg role="img" viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><path d="M4 4h16v16H4z"/></svg>',
    })
    source, path, version = resolve(str(simple))
    [icon] = read_icons(source, path)
    assert (source, version, icon.name, icon.license) == ("simple-icons", "16.37.0", "dot", "CC0-1.0")
    red = rasterize(icon.svg)
    assert red is not None and tuple(red[128, 128]) == (255, 0, 0)

    logos = _tarball(tmp_path / "logos.tgz", {
        "package.json": json.dumps({"name": "@iconify-json/logos", "version": "1.2.19"}),
        "icons.json": json.dumps({"prefix": "logos", "icons": {"box": {
            "body": '<rect width="40" height="10" fill="#00f"/>', "width": 40, "height": 10}}, "aliases": {"box2": {"parent": "box"}}}),
    })
    source, path, _ = resolve(str(logos))
    [box] = read_icons(source, path)
    blue = rasterize(box.svg)
    assert blue is not None and tuple(blue[128, 128]) == (0, 0, 255) and (blue[:80] == 255).all()


def test_missing_npm_and_unfetchable_packages_are_clear_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = IconSet("broken", "file:/nonexistent-svgai-package", "1.0.0", "none")
    with pytest.raises(SourceUnavailable, match=r"npm pack file:/nonexistent-svgai-package@1\.0\.0 failed"):
        fetch(broken, tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SourceUnavailable, match="npm is not installed"):
        fetch(ICON_SETS["logos"], tmp_path / "empty-cache")
    result = CliRunner().invoke(cli, ["dataset", "build", "--out", str(tmp_path / "ds"), "--sources", "logos",
                                      "--cache", str(tmp_path / "empty-cache")])
    assert result.exit_code == 2 and "npm is not installed" in result.output
    with pytest.raises(SourceUnavailable, match="unknown source 'nope'"):
        resolve("nope")


def test_a_small_build_is_balanced_across_sources(icon_folder: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "teal.svg").write_text(shape("#0d9488", '<rect x="6" y="2" width="12" height="20"/>'))
    config = BuildConfig(out=tmp_path / "ds", sources=(str(icon_folder), str(other)), limit_images=2, sets=1, workers=1, progress=False)
    card = build(config, command="test")
    assert card["images_per_source"] == {"other": 1, "tiny": 1}


@pytest.fixture(scope="module")
def reference_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An uninterrupted build of the tiny folder (6 images × 6 sets) through the CLI."""
    root = tmp_path_factory.mktemp("reference")
    folder = root / "tiny"
    folder.mkdir()
    for name, svg in LOGOS.items():
        (folder / f"{name}.svg").write_text(svg)
    (folder / "white-on-white.svg").write_text(shape("#ffffff"))
    out = root / "ds"
    result = CliRunner().invoke(cli, [
        "dataset", "build", "--out", str(out), "--sources", str(folder), "--sets", "6", "--workers", "2", "--no-progress",
    ])
    assert result.exit_code == 0, result.output
    return folder, out


def test_card_figures_match_the_parquet(reference_build: tuple[Path, Path]) -> None:
    _, out = reference_build
    data = load_dataset(out)
    card = data.card
    assert card is not None and card["command"].startswith("svgai dataset build --out")
    assert data.images.num_rows == card["images"] == 6 and data.labels.num_rows == card["labels"] == 36
    assert data.labels.schema.equals(LABEL_SCHEMA)
    statuses = data.labels["status"].to_pylist()
    assert card["status"] == {s: statuses.count(s) for s in ("ok", "panic", "timeout", "error")}
    assert data.labels.column_names == ["image_id", "set_index", *NAMES, "status", "ssim", "svg_bytes",
                                        "path_count", "convert_ms", "measure_ms", "error"]
    ok = data.ok_labels()
    assert card["ssim"] == distribution(ok["ssim"].to_numpy())
    assert card["svg_bytes"] == distribution(ok["svg_bytes"].to_numpy().astype(np.float64))
    assert card["icons_dropped"] == {"blank": 1, "duplicate": 0, "failed": 0}
    assert sum(card["images_per_split"].values()) == 6
    assert card["throughput"]["labels_this_run"] == 36 and card["throughput"]["labels_per_s"] > 0
    assert card["versions"]["icon_sets"] == {"tiny": None} and card["versions"]["vtracer"]
    # every image has sets 0..5, set 0 is VTracer's defaults, and the measured label is sane
    for split in ("train", "val", "test"):
        part = data.split(split)
        assert set(part.labels["image_id"].to_pylist()) <= set(part.images["image_id"].to_pylist())
    defaults_rows = data.labels.filter(pc.equal(data.labels["set_index"], 0)).to_pylist()
    assert all({k: r[k] for k in NAMES} == defaults() for r in defaults_rows)
    assert all(0.0 < s <= 1.0 for s in ok["ssim"].to_pylist())
    image = data.images.to_pylist()[0]
    from svgai.images import load_image

    assert image_id(load_image(image["png"])) == image["image_id"] and image["split"] == split_of(image["image_id"])


def test_a_rerun_of_a_finished_build_keeps_it_and_other_settings_are_refused(reference_build: tuple[Path, Path]) -> None:
    folder, out = reference_build
    card = json.loads((out / "card.json").read_text())
    assert build(BuildConfig(out=out, sources=(str(folder),), sets=6, progress=False), command="again") == card
    with pytest.raises(SvgaiError, match="other settings"):
        build(BuildConfig(out=out, sources=(str(folder),), sets=5, progress=False), command="test")


def _without_timing(path: Path) -> list[dict[str, object]]:
    return load_dataset(path).labels.drop_columns(list(TIMING)).to_pylist()


def test_a_killed_build_resumes_to_exactly_the_uninterrupted_rows(reference_build: tuple[Path, Path], tmp_path: Path) -> None:
    folder, reference = reference_build
    out = tmp_path / "killed"
    command = [str(Path(sys.executable).parent / "svgai"), "dataset", "build", "--out", str(out), "--sources", str(folder),
               "--sets", "6", "--workers", "1", "--part-rows", "4", "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((out / "labels").glob("part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = load_dataset(out, allow_partial=True)
    assert partial.card is None and 0 < partial.labels.num_rows < 36
    with pytest.raises(SvgaiError, match="has not finished"):
        load_dataset(out)
    card = build(BuildConfig(out=out, sources=(str(folder),), sets=6, workers=1, progress=False), command="resume")
    assert card["throughput"]["labels_this_run"] == 36 - partial.labels.num_rows
    assert _without_timing(out) == _without_timing(reference)


def test_a_hung_or_crashed_conversion_costs_only_itself(reference_build: tuple[Path, Path]) -> None:
    _, out = reference_build
    image = load_dataset(out).images.to_pylist()[0]
    sets = tuple(enumerate(parameter_sets(image["image_id"], 3, 0)))
    hung = list(ProcessExecutor(workers=1, timeout_s=0.005).run([Task(image["image_id"], image["png"], sets)]))
    assert sorted(r["set_index"] for r in hung) == [0, 1, 2]
    assert {r["status"] for r in hung} == {"timeout"} and all(r["ssim"] is None for r in hung)
    crashed = Task("not-an-image", b"not a png", sets[:2])
    good = Task(image["image_id"], image["png"], sets[:1])
    rows = list(ProcessExecutor(workers=1, timeout_s=60).run([crashed, good]))
    by_image = {(r["image_id"], r["set_index"]): r["status"] for r in rows}
    assert by_image == {("not-an-image", 0): "error", ("not-an-image", 1): "error", (image["image_id"], 0): "ok"}


def test_throughput_compares_a_single_process_loop_with_the_pool_on_the_same_labels(
    reference_build: tuple[Path, Path],
) -> None:
    _, out = reference_build
    result = CliRunner().invoke(cli, ["dataset", "throughput", "--dataset", str(out), "--images", "2", "--sets", "2",
                                      "--repeats", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["labels_per_run"] == 4
    assert set(report["labels_per_s"]) == {"single_process_loop", "pool_1_worker", "pool_2_workers"}
    assert all(rate > 0 for rates in report["labels_per_s"].values() for rate in rates)


def test_mining_labels_the_predictors_favourites_of_train_and_val_images_and_resumes(
    reference_build: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    from svgai.dataset.mine import MINED_BASE, favourites
    from svgai.images import load_image
    from svgai.methods import search
    from svgai.quality import convert
    from svgai_quality import LocalQualityPredictor

    out = tmp_path / "ds"
    shutil.copytree(reference_build[1], out)
    result = CliRunner().invoke(cli, ["dataset", "mine", "--dataset", str(out), "--sets", "3", "--workers", "1"])
    assert result.exit_code == 0, result.output
    data = load_dataset(out)
    splits = dict(zip(data.images["image_id"].to_pylist(), data.images["split"].to_pylist(), strict=True))
    mined = [r for r in data.labels.to_pylist() if r["set_index"] >= MINED_BASE]
    mined_images = {r["image_id"] for r in mined}
    assert mined_images == {i for i, s in splits.items() if s in ("train", "val")} and mined_images
    assert all(sorted(r["set_index"] for r in mined if r["image_id"] == i) == [1000, 1001, 1002] for i in mined_images)
    assert data.card is not None and data.card["mined"]["labels"] == len(mined) and data.card["mined"]["predictors"] == ["quality"]
    first = next(r for r in mined if r["set_index"] == MINED_BASE)
    png = next(p for i, p in zip(data.images["image_id"].to_pylist(), data.images["png"].to_pylist(), strict=True)
               if i == first["image_id"])
    scores = LocalQualityPredictor().predict(load_image(png), search.encoded_candidates())
    picked = favourites(scores.ssim, scores.svg_bytes, search.candidates(), 3)
    assert {k: first[k] for k in NAMES} == picked[0] and len({tuple(p.items()) for p in picked}) == 3
    assert first["ssim"] == pytest.approx(convert(load_image(png), picked[0]).ssim)
    again = CliRunner().invoke(cli, ["dataset", "mine", "--dataset", str(out), "--sets", "3", "--workers", "1"])
    assert again.exit_code == 0 and "0 this run" in again.output
