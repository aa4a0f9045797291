"""The dataset build on tiny real inputs: SVG and PNG files, npm-shaped tarballs and a font, written into tmp_path."""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner
from PIL import Image

from svgai.cli import cli
from svgai.dataset import load_dataset
from svgai.dataset.build import BuildConfig, build
from svgai.dataset.canvas import ASPECTS, Plan, plan_for, wrap
from svgai.dataset.card import distribution
from svgai.dataset.degrade import degrade
from svgai.dataset.executors import ProcessExecutor
from svgai.dataset.jobs import PROXY_EVERY, Task, parameter_sets, task_for
from svgai.dataset.render import RenderCounts, draw, image_id, is_blank, render_unique, split_of
from svgai.dataset.sources import ICON_SETS, Icon, IconSet, fetch, read_icons, resolve
from svgai.dataset.store import LABEL_SCHEMA
from svgai.errors import SourceUnavailable, SvgaiError
from svgai.images import load_rgba
from svgai.params import NAMES, defaults, preset
from svgai.quality import MEASURE, comparison_size, render

TIMING = ("convert_ms", "measure_ms")
FIXTURES = Path(__file__).parent / "fixtures"
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
INVISIBLE = shape("none")
PIXEL_HEART = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#c2410c" '
               'd="M4 6h6v2H4zm10 0h6v2h-6zM2 8h2v6H2zm18 0h2v6h-2zM4 14h2v2H4zm14 0h2v2h-2zM6 16h2v2H6zm10 0h2v2h-2zM8 18h8v2H8z"/></svg>')


def _plan(width: int, height: int, background: tuple[int, int, int] | None = None, **kw: object) -> Plan:
    values: dict[str, object] = {"key": "ab" * 32, "width": width, "height": height, "margin": 0.0,
                                 "background": background, "ink": (20, 20, 120), "degradation": None}
    values.update(kw)
    return Plan(**values)  # type: ignore[arg-type]


def _tarball(path: Path, files: dict[str, str | bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode() if isinstance(text, str) else text
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _font_tarball(path: Path) -> Path:
    return _tarball(path, {"package.json": json.dumps({"name": "dejavu-fonts-ttf", "version": "2.37.3"}),
                           "ttf/DejaVuSans.ttf": (FIXTURES / "aileron-subset.ttf").read_bytes()})


def test_plans_spread_sizes_aspects_backgrounds_and_degradations() -> None:
    plans = [plan_for(Icon("t", str(i), "CC0", shape("#123456", f'<circle cx="12" cy="12" r="{i % 9 + 2}"/>' * (1 + i // 9))),
                      seed=0) for i in range(400)]
    long_sides = np.array([max(p.width, p.height) for p in plans])
    assert long_sides.min() >= 32 and long_sides.max() <= 1024
    assert 0.6 < np.mean((long_sides >= 64) & (long_sides <= 512)) < 0.95
    assert {(p.width > p.height, p.width < p.height) for p in plans} == {(True, False), (False, True), (False, False)}
    transparent = np.mean([p.background is None for p in plans])
    assert 0.4 < transparent < 0.6 and (255, 255, 255) in {p.background for p in plans}
    degraded = Counter(p.degradation for p in plans if p.degradation)
    assert set(degraded) == {"jpeg", "blur", "noise", "palette"} and 0.2 < sum(degraded.values()) / 400 < 0.4
    assert all(p.background is not None for p in plans if p.degradation == "jpeg")
    assert plan_for(Icon("t", "x", "CC0", LOGOS["triangle"]), 0) == plan_for(Icon("u", "y", "MIT", LOGOS["triangle"]), 0)
    assert all(max(plan_for(Icon("t", "x", "CC0", LOGOS["triangle"]), s, max_side=64).width, 1) <= 64 for s in range(20))
    assert len(ASPECTS) == 6


def test_the_wrapper_fits_and_centres_the_drawing_and_is_its_own_reference_at_scale() -> None:
    plan = _plan(64, 64, margin=0.125)
    drawn = draw(Icon("t", "wide", "CC0", LOGOS["wide-bar"]), plan)
    assert drawn.raster.shape == (64, 64, 4) and drawn.original_svg is not None
    rows = np.flatnonzero(drawn.raster[..., 3].max(axis=1) > 0)
    cols = np.flatnonzero(drawn.raster[..., 3].max(axis=0) > 0)
    # a 4:1 bar fitted into 48 px (8 px margins) is 12 tall, centred: rows 26..37, columns 8..55
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (26, 37, 8, 55)
    assert drawn.raster[0, 0, 3] == 0  # transparent canvas
    assert drawn.reference is not None and drawn.reference.shape == (256, 256, 4)
    assert np.array_equal(drawn.reference, render(drawn.original_svg, 256, 256))
    on_blue = draw(Icon("t", "wide", "CC0", LOGOS["wide-bar"]), _plan(96, 48, background=(0, 0, 255)))
    assert tuple(on_blue.raster[0, 0]) == (0, 0, 255, 255) and tuple(on_blue.raster[24, 48]) == (0xBE, 0x12, 0x3C, 255)
    with pytest.raises(SvgaiError, match="no <svg> element"):
        wrap("<html/>", plan)


def test_pixel_art_is_a_nearest_neighbour_sprite_and_so_is_its_reference() -> None:
    plan = _plan(26 * 3, 26 * 3, margin=1 / 26, grid=26)
    drawn = draw(Icon("px", "heart", "MIT", PIXEL_HEART, "pixel"), plan)
    grid = render(wrap(PIXEL_HEART, plan), 26, 26)
    assert np.array_equal(drawn.raster, np.kron(grid, np.ones((3, 3, 1), dtype=np.uint8)))
    assert drawn.reference is not None and np.array_equal(drawn.reference, np.kron(grid, np.ones((12, 12, 1), dtype=np.uint8)))
    assert set(np.unique(drawn.raster[..., 3])) == {0, 255}  # hard pixel edges, no anti-aliasing


def test_words_are_anti_aliased_text_and_the_reference_is_the_same_text_at_scale() -> None:
    font = (FIXTURES / "aileron-subset.ttf").read_bytes()
    icon = Icon("text", "kazo", "CC0", kind="text", text="Kazo", font=font)
    drawn = draw(icon, _plan(120, 60, margin=0.1))
    assert drawn.original_svg is None and drawn.reference is not None and drawn.reference.shape == (240, 480, 4)
    alpha = drawn.raster[..., 3]
    assert np.count_nonzero((alpha > 0) & (alpha < 255)) > 20  # anti-aliased edges
    assert (drawn.raster[alpha == 255][:, :3] == (20, 20, 120)).all()
    # the same layout at both sizes: equal ink coverage, equal bounding box (hinting moves stems < 1 px)
    assert drawn.reference[..., 3].sum() / 16 == pytest.approx(alpha.sum(), rel=0.03)
    assert np.allclose(_ink_box(drawn.reference) / 4, _ink_box(drawn.raster), atol=1.5)


def _ink_box(rgba: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(rgba[..., 3].max(axis=1)), np.flatnonzero(rgba[..., 3].max(axis=0))
    return np.array([rows.min(), rows.max() + 1, cols.min(), cols.max() + 1], dtype=float)


@pytest.mark.parametrize("kind", ["jpeg", "blur", "noise", "palette"])
def test_a_degradation_changes_the_pixels_but_not_the_size(kind: str) -> None:
    clean = draw(Icon("t", "ring", "CC0", LOGOS["green-ring"]), _plan(80, 60, background=(255, 255, 255), margin=0.1)).raster
    png = degrade(clean, kind, "cd" * 32)
    degraded = load_rgba(png)
    assert degraded.shape == clean.shape and not np.array_equal(degraded, clean)
    assert png == degrade(clean, kind, "cd" * 32)
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == ("P" if kind == "palette" else "RGB")
    if kind == "palette":
        transparent = draw(Icon("t", "ring", "CC0", LOGOS["green-ring"]), _plan(80, 60, margin=0.1)).raster
        kept = load_rgba(degrade(transparent, kind, "cd" * 32))
        assert kept[0, 0, 3] == 0 and kept[30, 40, 3] == 255


def test_blank_failed_and_duplicate_icons_are_dropped(tmp_path: Path) -> None:
    icons = [Icon("t", name, "CC0", svg) for name, svg in LOGOS.items()]
    icons += [Icon("t", "invisible", "CC0", INVISIBLE), Icon("t", "broken", "CC0", "<svg"),
              Icon("u", "red-circle-copy", "MIT", LOGOS["red-circle"])]
    counts = RenderCounts()
    kept = list(render_unique(icons, counts, holdout=("u",)))
    assert (counts.rendered, counts.blank, counts.duplicate, counts.failed) == (6, 1, 1, 1)
    assert [k.name for k in kept] == list(LOGOS)
    white = _plan(32, 32, background=(255, 255, 255))
    assert is_blank(draw(Icon("t", "white", "CC0", shape("#ffffff")), white).raster, white)
    assert not is_blank(draw(Icon("t", "white", "CC0", shape("#ffffff")), _plan(32, 32)).raster, _plan(32, 32))


def test_split_is_a_fixed_function_of_the_image() -> None:
    pixels = np.zeros((4, 6, 4), dtype=np.uint8)
    assert image_id(pixels) == image_id(pixels.copy()) != image_id(pixels.reshape(6, 4, 4))
    ids = [f"{i:08x}" + "0" * 56 for i in range(1000)]
    splits = [split_of(i) for i in ids]
    assert splits == [split_of(i) for i in ids]
    assert splits.count("train") == 800 and splits.count("val") == 100 and splits.count("test") == 100


def test_parameter_sets_are_defaults_the_presets_then_a_sample_fixed_per_image_and_seed() -> None:
    sets = parameter_sets("a" * 64, 8, seed=0)
    assert len(sets) == 8 and sets[:4] == [defaults(), preset("bw"), preset("poster"), preset("photo")]
    assert sets == parameter_sets("a" * 64, 8, seed=0)
    assert sets[4:] != parameter_sets("b" * 64, 8, seed=0)[4:]
    assert sets[4:] != parameter_sets("a" * 64, 8, seed=1)[4:]
    assert parameter_sets("a" * 64, 2, seed=0) == sets[:2]
    assert [i for i, _ in task_for("a" * 64, b"", 8, 0, done={0, 3}).sets] == [1, 2, 4, 5, 6, 7]


def test_npm_tarballs_of_known_sets_are_read_with_colours_licences_and_viewbox(tmp_path: Path) -> None:
    simple = _tarball(tmp_path / "si.tgz", {
        "package.json": json.dumps({"name": "simple-icons", "version": "16.37.0"}),
        "data/simple-icons.json": json.dumps([{"title": "Dot", "slug": "dot", "hex": "FF0000"}]),
        "icons/dot.svg": '<svg role="img" viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><path d="M4 4h16v16H4z"/></svg>',
    })
    source, path, version = resolve(str(simple))
    [icon] = read_icons(source, path)
    assert (source, version, icon.name, icon.license) == ("simple-icons", "16.37.0", "dot", "CC0-1.0")
    red = draw(icon, _plan(32, 32)).raster
    assert tuple(red[16, 16]) == (255, 0, 0, 255)

    noto = _tarball(tmp_path / "noto.tgz", {
        "package.json": json.dumps({"name": "@iconify-json/noto", "version": "1.2.9"}),
        "info.json": json.dumps({"license": {"spdx": "Apache-2.0"}}),
        "icons.json": json.dumps({"prefix": "noto", "width": 16, "icons": {"box": {
            "body": '<rect width="40" height="10" fill="currentColor"/>', "width": 40, "height": 10}},
            "aliases": {"box2": {"parent": "box"}}}),
    })
    source, path, _ = resolve(str(noto))
    [box] = read_icons(source, path)
    assert (source, box.license) == ("noto", "Apache-2.0") and "currentColor" not in (box.svg or "")
    drawn = draw(box, _plan(80, 80)).raster
    assert drawn[40, 40, 3] == 255 and drawn[10, 40, 3] == 0  # 4:1 box fitted and centred

    emoji = _tarball(tmp_path / "emoji.tgz", {
        "package.json": json.dumps({"name": "emoji-datasource-google", "version": "16.0.0"}),
        "img/google/64/1f600.png": (FIXTURES / "python.png").read_bytes(),
        "img/google/32/1f600.png": (FIXTURES / "github.png").read_bytes(),
    })
    source, path, _ = resolve(str(emoji))
    [face] = read_icons(source, path)
    assert (source, face.kind, face.name, face.license) == ("emoji-google", "raster", "1f600", "Apache-2.0")
    assert draw(face, plan_for(face, 0)).reference is None

    source, path, _ = resolve(str(_font_tarball(tmp_path / "font.tgz")))
    words = read_icons(source, path)
    assert source == "text" and len(words) == 1200 and len({w.text for w in words}) > 500
    assert all(w.kind == "text" and w.font for w in words[:5])


def test_missing_npm_and_unfetchable_packages_are_clear_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = IconSet("broken", "file:/nonexistent-svgai-package", "1.0.0", "none", "iconify")
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


def _folder(path: Path, icons: dict[str, str], pngs: tuple[str, ...] = ()) -> Path:
    path.mkdir()
    (path / "LICENSE").write_text("CC0-1.0\n")
    for name, svg in icons.items():
        (path / f"{name}.svg").write_text(svg)
    for name in pngs:
        shutil.copy(FIXTURES / f"{name}.png", path / f"{name}.png")
    return path


def test_a_small_build_is_balanced_across_sources_and_holdout_is_checked(tmp_path: Path) -> None:
    tiny = _folder(tmp_path / "tiny", LOGOS)
    other = _folder(tmp_path / "other", {"teal": shape("#0d9488", '<rect x="6" y="2" width="12" height="20"/>')})
    config = BuildConfig(out=tmp_path / "ds", sources=(str(tiny), str(other)), limit_images=2, sets=1, workers=1,
                         max_side=64, progress=False, holdout=("other",))
    card = build(config, command="test")
    assert card["images_per_source"] == {"other": 1, "tiny": 1}
    assert card["images_per_source_and_split"]["other"]["heldout"] == 1 and card["settings"]["holdout"] == ["other"]
    with pytest.raises(SvgaiError, match="--holdout nope: not a source"):
        build(BuildConfig(out=tmp_path / "ds2", sources=(str(tiny),), holdout=("nope",), progress=False), command="t")


def test_a_build_grows_with_a_larger_limit_keeping_the_labels_it_has(tmp_path: Path) -> None:
    tiny = _folder(tmp_path / "tiny", LOGOS)
    config = BuildConfig(out=tmp_path / "ds", sources=(str(tiny),), limit_images=1, sets=2, workers=1, max_side=64,
                         progress=False)
    build(config, command="test")
    first = load_dataset(config.out).labels.to_pylist()
    card = build(replace(config, limit_images=2), command="test")
    grown = load_dataset(config.out)
    assert card["images"] == 2 and grown.labels.num_rows == 4 and card["settings"]["limit_images"] == 2
    assert {r["image_id"] for r in first} < set(grown.images["image_id"].to_pylist())
    kept = [row for row in grown.labels.to_pylist() if row["image_id"] == first[0]["image_id"]]
    assert [r["convert_ms"] for r in kept] == [r["convert_ms"] for r in first]  # not labelled again
    with pytest.raises(SvgaiError, match="limit_images differ"):  # a build does not shrink
        build(config, command="test")


REFERENCE_ARGS = ["--sets", "3", "--max-side", "96", "--limit-images", "9", "--holdout", "other"]


@pytest.fixture(scope="module")
def reference_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    """An uninterrupted build through the CLI: SVGs, a held-out folder, words, raster-origin PNGs (9 images × 3 sets)."""
    root = tmp_path_factory.mktemp("reference")
    tiny = _folder(root / "tiny", {**LOGOS, "invisible": INVISIBLE})
    other = _folder(root / "other", {"teal": shape("#0d9488", '<rect x="6" y="2" width="12" height="20"/>'),
                                     "dot": shape("#9333ea", '<circle cx="12" cy="12" r="4"/>')})
    pngs = _folder(root / "pngs", {}, pngs=("two_colour", "python"))
    sources = ["--sources", f"{tiny},{other},{_font_tarball(root / 'font.tgz')},{pngs}", *REFERENCE_ARGS]
    out = root / "ds"
    result = CliRunner().invoke(cli, ["dataset", "build", "--out", str(out), *sources, "--workers", "2", "--no-progress"])
    assert result.exit_code == 0, result.output
    return sources, out


def test_images_vary_and_carry_their_reference(reference_build: tuple[list[str], Path]) -> None:
    data = load_dataset(reference_build[1])
    images = data.images.to_pylist()
    per_source = Counter(r["source"] for r in images)
    assert per_source["other"] == per_source["pngs"] == 2 and per_source["tiny"] >= 2 and per_source["text"] >= 2
    assert {r["split"] for r in images if r["source"] == "other"} == {"heldout"}
    assert {r["kind"] for r in images} == {"vector", "raster", "text"}
    assert len({(r["width"], r["height"]) for r in images}) >= 5 and max(max(r["width"], r["height"]) for r in images) <= 128
    for image in images:
        raster = load_rgba(image["png"])
        assert image_id(raster) == image["image_id"] and raster.shape[:2] == (image["height"], image["width"])
        assert image["has_alpha"] == bool(raster[..., 3].min() < 255)
        assert image["split"] == ("heldout" if image["source"] == "other" else split_of(image["image_id"]))
        if image["kind"] == "raster":
            assert image["reference_png"] is None and image["original_svg"] is None
            continue
        w, h, _ = comparison_size(image["width"], image["height"])
        reference = load_rgba(image["reference_png"])
        assert reference.shape == (h, w, 4)
        if image["kind"] == "vector":
            assert np.array_equal(reference, render(image["original_svg"], w, h))


def test_card_figures_match_the_parquet(reference_build: tuple[list[str], Path]) -> None:
    data = load_dataset(reference_build[1])
    card = data.card
    assert card is not None and card["command"].startswith("svgai dataset build --out")
    assert "--holdout other" in card["command"] and card["settings"]["max_side"] == 96
    assert data.images.num_rows == card["images"] == 9 and data.labels.num_rows == card["labels"] == 27
    assert data.labels.schema.equals(LABEL_SCHEMA)
    statuses = data.labels["status"].to_pylist()
    assert card["status"] == {s: statuses.count(s) for s in ("ok", "panic", "timeout", "error")}
    ok = data.ok_labels()
    assert card["quality"] == distribution(ok["quality"].to_numpy())
    assert card["edge_fidelity"] == distribution(ok["edge_fidelity"].to_numpy())
    assert set(card["quality_per_source"]) == {"tiny", "other", "text", "pngs"}
    assert card["images_per_split"]["heldout"] == 2 and set(card["long_side_px_per_split"]) >= {"heldout", "train"}
    assert card["alpha_share"] == pytest.approx(np.mean(data.images["has_alpha"].to_pylist()))
    assert sum(card["degradations"].values()) == 9 and sum(card["aspects"].values()) == 9
    assert card["reference"] == dict(sorted(Counter(ok["reference"].to_pylist()).items()))
    assert card["proxy_vs_truth"]["rows"] == pc.sum(pc.is_valid(ok["quality_proxy"])).as_py() > 0
    assert card["icons_dropped"]["blank"] >= 0 and card["stored_mb"]["reference_png"] > 0
    assert card["throughput"]["labels_this_run"] == 27 and card["throughput"]["labels_per_s"] > 0
    assert card["versions"]["icon_sets"] == {"tiny": None, "other": None, "text": "2.37.3", "pngs": None}
    assert card["licenses_per_source"]["text"] == ["Bitstream-Vera"]


def test_labels_carry_the_quality_its_parts_and_the_image(reference_build: tuple[list[str], Path]) -> None:
    data = load_dataset(reference_build[1])
    images = {r["image_id"]: r for r in data.images.to_pylist()}
    rows = data.labels.to_pylist()
    assert all(r["status"] == "ok" for r in rows)
    for row in rows:
        image = images[row["image_id"]]
        assert (row["width"], row["height"], row["has_alpha"]) == (image["width"], image["height"], image["has_alpha"])
        assert 0.0 <= row["quality"] <= 1.0 and 0.0 <= row["edge_fidelity"] <= 1.0 and row["ssim"] == row["ssim_1x"]
        assert row["reference"] == ("proxy" if image["kind"] == "raster" else "original")
        expect_proxy = image["kind"] != "raster" and row["set_index"] % PROXY_EVERY == 0
        assert (row["quality_proxy"] is not None) == expect_proxy
    by_set = {r["set_index"]: {k: r[k] for k in NAMES} for r in rows if r["image_id"] == rows[0]["image_id"]}
    assert by_set == {0: defaults(), 1: preset("bw"), 2: preset("poster")}


def test_a_rerun_of_a_finished_build_keeps_it_and_other_settings_are_refused(reference_build: tuple[list[str], Path]) -> None:
    sources, out = reference_build
    card = json.loads((out / "card.json").read_text())
    again = CliRunner().invoke(cli, ["dataset", "build", "--out", str(out), *sources, "--no-progress"])
    assert again.exit_code == 0 and json.loads((out / "card.json").read_text()) == card
    other = CliRunner().invoke(cli, ["dataset", "build", "--out", str(out), *sources[:-2], "--no-progress"])
    assert other.exit_code == 2 and "other settings (holdout differ" in other.output


def test_labels_of_another_measure_are_not_resumed(reference_build: tuple[list[str], Path], tmp_path: Path) -> None:
    sources, out = reference_build
    settings = json.loads((out / "build.json").read_text())
    assert settings["measure"] == MEASURE
    older = tmp_path / "older"
    older.mkdir()
    (older / "build.json").write_text(json.dumps({k: v for k, v in settings.items() if k != "measure"}))
    refused = CliRunner().invoke(cli, ["dataset", "build", "--out", str(older), *sources, "--no-progress"])
    assert refused.exit_code == 2
    assert f"labelled with the measure quality-v2.0; this svgai measures {MEASURE}" in refused.output


def _without_timing(path: Path) -> list[dict[str, object]]:
    return load_dataset(path).labels.drop_columns(list(TIMING)).to_pylist()


def test_a_killed_build_resumes_to_exactly_the_uninterrupted_rows(reference_build: tuple[list[str], Path], tmp_path: Path) -> None:
    sources, reference = reference_build
    out = tmp_path / "killed"
    command = [str(Path(sys.executable).parent / "svgai"), "dataset", "build", "--out", str(out), *sources,
               "--workers", "1", "--part-rows", "4", "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((out / "labels").glob("part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = load_dataset(out, allow_partial=True)
    assert partial.card is None and 0 < partial.labels.num_rows < 27
    with pytest.raises(SvgaiError, match="has not finished"):
        load_dataset(out)
    resumed = CliRunner().invoke(cli, ["dataset", "build", "--out", str(out), *sources, "--workers", "1", "--no-progress"])
    assert resumed.exit_code == 0, resumed.output
    card = load_dataset(out).card
    assert card is not None and card["throughput"]["labels_this_run"] == 27 - partial.labels.num_rows
    assert _without_timing(out) == _without_timing(reference)


def test_a_hung_or_crashed_conversion_costs_only_itself(reference_build: tuple[list[str], Path]) -> None:
    image = next(r for r in load_dataset(reference_build[1]).images.to_pylist() if r["reference_png"] is not None)
    sets = tuple(enumerate(parameter_sets(image["image_id"], 3, 0)))
    task = Task(image["image_id"], image["png"], sets, image["reference_png"])
    hung = list(ProcessExecutor(workers=1, timeout_s=0.005).run([task]))
    assert sorted(r["set_index"] for r in hung) == [0, 1, 2]
    assert {r["status"] for r in hung} == {"timeout"} and all(r["quality"] is None for r in hung)
    crashed = Task("not-an-image", b"not a png", sets[:2])
    rows = list(ProcessExecutor(workers=1, timeout_s=60).run([crashed, task.remaining(sets[:1])]))
    by_image = {(r["image_id"], r["set_index"]): r["status"] for r in rows}
    assert by_image == {("not-an-image", 0): "error", ("not-an-image", 1): "error", (image["image_id"], 0): "ok"}


def test_throughput_compares_a_single_process_loop_with_the_pool_on_the_same_labels(
    reference_build: tuple[list[str], Path],
) -> None:
    result = CliRunner().invoke(cli, ["dataset", "throughput", "--dataset", str(reference_build[1]), "--images", "2",
                                      "--sets", "2", "--repeats", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["labels_per_run"] == 4
    assert set(report["labels_per_s"]) == {"single_process_loop", "pool_1_worker", "pool_2_workers"}
    assert all(rate > 0 for rates in report["labels_per_s"].values() for rate in rates)
    assert len(report["single_process_labels_per_cpu_s"]) == 1 and report["single_process_labels_per_cpu_s"][0] > 0


def test_mining_labels_the_predictors_favourites_of_train_and_val_images_and_resumes(
    reference_build: tuple[list[str], Path], tmp_path: Path
) -> None:
    from svgai.dataset.mine import MINED_BASE, favourites
    from svgai.images import load_image
    from svgai.methods import search
    from svgai_quality import LocalQualityPredictor

    out = tmp_path / "ds"
    shutil.copytree(reference_build[1], out)
    result = CliRunner().invoke(cli, ["dataset", "mine", "--dataset", str(out), "--sets", "2", "--workers", "1"])
    assert result.exit_code == 0, result.output
    data = load_dataset(out)
    images = {r["image_id"]: r for r in data.images.to_pylist()}
    mined = [r for r in data.labels.to_pylist() if r["set_index"] >= MINED_BASE]
    mined_images = {r["image_id"] for r in mined}
    assert mined_images == {i for i, r in images.items() if r["split"] in ("train", "val")} and mined_images
    assert all(sorted(r["set_index"] for r in mined if r["image_id"] == i) == [1000, 1001] for i in mined_images)
    assert data.card is not None and data.card["mined"]["labels"] == len(mined) and data.card["mined"]["predictors"] == ["quality"]
    first = next(r for r in mined if r["set_index"] == MINED_BASE)
    scores = LocalQualityPredictor().predict(load_image(images[first["image_id"]]["png"]), search.encoded_candidates())
    picked = favourites(scores.quality, scores.svg_bytes, search.candidates(), 2)
    assert {k: first[k] for k in NAMES} == picked[0] and first["quality"] is not None
    assert first["width"] == images[first["image_id"]]["width"]
    again = CliRunner().invoke(cli, ["dataset", "mine", "--dataset", str(out), "--sets", "2", "--workers", "1"])
    assert again.exit_code == 0 and "0 this run" in again.output
