"""The built-in methods: features, objective, fitted artifacts loaded without pickle, PPO's environment."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from svgai.dataset.jobs import label, parameter_sets
from svgai.dataset.store import LABEL_SCHEMA
from svgai.features import FEATURE_NAMES, image_features
from svgai.hookspecs import Constraints
from svgai.images import encode_png, load_image
from svgai.methods import ppo, search
from svgai.methods.objective import rank, trace_work, value
from svgai.methods.regression import Forest
from svgai.params import ENCODED_DIM, NAMES, decode, defaults, encode, validate
from svgai.plugins import load_plugins
from svgai.quality import convert
from svgai.router import IntelligentRouter, performance_of
from svgai.training.fit import methods
from svgai.training.methods import Images, fit_regression

ROOT = Path(__file__).resolve().parents[1]


def test_features_mean_what_they_say(two_colour_path: Path) -> None:
    flat = image_features(two_colour_path)
    noise = image_features(np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8))
    blank = image_features(np.full((64, 64, 3), 255, np.uint8))
    stripes = np.repeat(np.repeat(np.arange(8, dtype=np.uint8)[None, :, None] * 32, 64, axis=0), 8, axis=1)
    assert image_features(np.repeat(stripes, 3, axis=2)).colour_count == 8
    assert 2 <= flat.colour_count <= 6 and noise.colour_count == 0  # noise has no colour covering 0.1 % of pixels
    assert noise.entropy > flat.entropy and noise.edge_density > flat.edge_density
    assert 0.0 < flat.foreground < 1.0 and flat.corner_density > 0
    assert blank == type(blank)(0.0, 1, 0.0, 0.0, 0.0, 0.0, 0.0)  # one colour, nothing else
    assert flat.vector().shape == (len(FEATURE_NAMES),) and np.all(np.isfinite(noise.vector()))


def test_the_objective_prefers_the_smallest_svg_that_reaches_the_target_else_the_best_ssim() -> None:
    ssim = np.array([0.90, 0.97, 0.96, 0.99, np.nan])
    size = np.array([100.0, 300.0, 200.0, 900.0, 50.0])
    target = Constraints(target_ssim=0.95, max_bytes_ratio=2.0)
    assert rank(ssim, size, target, reference_bytes=250.0).tolist() == [2, 1, 0, 3, 4]  # 3 breaks the size cap
    assert rank(ssim, size, Constraints(target_ssim=None, max_bytes_ratio=None), None).tolist() == [3, 1, 2, 0, 4]
    assert rank(ssim, size, Constraints(target_ssim=0.999, max_bytes_ratio=1.2), 1.0)[0] == 3  # nothing fits: best SSIM


def test_without_a_target_size_has_a_price_per_kilobyte() -> None:
    ssim = np.array([0.950, 0.960, 0.990, 0.940])
    size = np.array([10_000.0, 12_000.0, 60_000.0, 4_000.0])  # the defaults' SVG: 10 kB
    free, priced = Constraints(ssim_per_kb=0.0), Constraints(ssim_per_kb=0.001)
    assert rank(ssim, size, free, 10_000.0).tolist() == [2, 1, 0, 3]
    # +50 kB must buy 0.05 SSIM and buys 0.04; +2 kB buys 0.01 for a price of 0.002; -6 kB earns 0.006
    assert value(ssim, size, priced, 10_000.0) == pytest.approx([0.950, 0.958, 0.940, 0.946])
    assert rank(ssim, size, priced, 10_000.0).tolist() == [1, 0, 3, 2]
    assert rank(ssim, size, priced, None).tolist() == [2, 1, 0, 3]  # no reference size: no price


def test_tracing_work_counts_the_pixels_an_enlargement_makes_vtracer_trace() -> None:
    sets = [defaults(), {**defaults(), "upscale": 2}, {**defaults(), "upscale": 4}]
    assert trace_work(sets, 64, 48).tolist() == [1.0, 4.0, 16.0]
    assert trace_work(sets, 512, 300).tolist() == [1.0, 4.0, 4.0]  # enlarged to at most 1024 px: 2x
    assert trace_work(sets, 2000, 1000).tolist() == [1.0, 1.0, 1.0]  # already larger: nothing to enlarge


def test_without_a_target_time_has_a_price_per_raster_of_traced_pixels() -> None:
    quality, size = np.array([0.950, 0.965, 0.970]), np.array([10_000.0] * 3)
    work = np.array([1.0, 4.0, 16.0])  # VTracer as it is, a 2x and a 4x enlargement
    free, priced = Constraints(quality_per_trace=0.0), Constraints(quality_per_trace=0.002)
    assert rank(quality, size, free, 10_000.0, work).tolist() == [2, 1, 0]
    # 2x: +0.015 for 3 more rasters' worth of pixels (0.006); 4x: +0.020 for 15 more (0.030)
    assert value(quality, size, priced, 10_000.0, work) == pytest.approx([0.950, 0.959, 0.940])
    assert rank(quality, size, priced, 10_000.0, work).tolist() == [1, 0, 2]
    assert rank(quality, size, priced, 10_000.0).tolist() == [2, 1, 0]  # no work given: no price


def test_the_exported_forest_predicts_exactly_what_scikit_learn_does() -> None:
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(80, len(FEATURE_NAMES))), rng.random((80, ENCODED_DIM))
    arrays, fit = fit_regression(Images([], [], x, y), Images([], [], x[:10], y[:10]), trees=8, depth=5)
    reference = RandomForestRegressor(n_estimators=8, max_depth=5, min_samples_leaf=3, random_state=0, n_jobs=1).fit(x, y)
    forest = Forest(**arrays)
    for row in x[:20]:
        np.testing.assert_allclose(forest.predict(row), reference.predict(row[None, :])[0], rtol=1e-12)
    assert fit["train_r2"] > fit["val_r2"] - 1.0


def test_search_candidates_cover_the_space_with_the_defaults_first() -> None:
    pool = search.candidates()
    assert pool[0] == defaults() and len(pool) > search.SAMPLES
    assert all(validate(p) == p for p in pool[:50])
    assert len({tuple(p.values()) for p in pool}) > 0.95 * len(pool)
    assert {p["mode"] for p in pool} == {"spline", "polygon", "none"}


@given(actions=st.lists(st.integers(0, len(ppo.ACTIONS) - 1), max_size=40))
def test_any_walk_of_ppo_actions_stays_a_valid_parameter_set(actions: list[int]) -> None:
    state = encode(defaults())
    for action in actions:
        state = ppo.apply(state, action)
        assert validate(decode(state)) == decode(state)
    assert state.shape == (ENCODED_DIM,)


def test_each_ppo_action_moves_exactly_its_parameter() -> None:
    inside = validate({**defaults(), "upscale": 2})  # VTracer's defaults, with room to move upscale both ways
    start = decode(encode(inside))
    for action, (name, change) in enumerate(ppo.ACTIONS):
        moved = decode(ppo.apply(encode(inside), action))
        assert [k for k in NAMES if moved[k] != start[k]] == [name], (action, name, change)  # type: ignore[literal-required]


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real dataset in the build's format: 8 images (fixtures, flipped/rotated), 4 real labels each."""
    folder = tmp_path_factory.mktemp("dataset")
    sources = [ROOT / "tests" / "fixtures" / f"{n}.png" for n in ("python", "github", "firefoxbrowser", "two_colour")]
    rasters = [load_image(p) for p in sources]
    rasters += [np.ascontiguousarray(np.fliplr(r)) for r in rasters[:2]] + [np.ascontiguousarray(np.rot90(r)) for r in rasters[2:]]
    rows, labels = [], []
    for i, rgb in enumerate(rasters):
        image_id = f"{i:064x}"
        rows.append({"image_id": image_id, "source": "fixtures", "name": f"image-{i}", "license": "CC0",
                     "split": "val" if i in (1, 6) else "train", "png": encode_png(rgb)})
        labels += [label(image_id, rgb, k, params) for k, params in enumerate(parameter_sets(image_id, 4, seed=0))]
    pq.write_table(pa.Table.from_pylist(rows), folder / "images.parquet")
    (folder / "labels").mkdir()
    pq.write_table(pa.Table.from_pylist(labels, schema=LABEL_SCHEMA), folder / "labels" / "part-0.parquet")
    return folder


def test_fit_writes_measured_artifacts_that_the_methods_load(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, two_colour_path: Path
) -> None:
    monkeypatch.setenv("SVGAI_METHODS_DIR", str(tmp_path))
    manager = load_plugins().manager
    assert not performance_of(manager, "feature_mapping")["available"]
    args = ["fit", "--dataset", str(tiny_dataset), "--only", "defaults", "--only", "feature_mapping", "--only", "regression"]
    result = CliRunner().invoke(methods, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["defaults.json", "feature_mapping.json", "regression.json", "regression.npz"]
    for name in ("defaults", "feature_mapping", "regression"):
        metrics = json.loads((tmp_path / f"{name}.json").read_text())
        validation = metrics["validation"]
        assert validation["images"] == 2 and 0.5 < validation["mean_quality"] <= 1.0
        defaults_measured = json.loads((tmp_path / "defaults.json").read_text())["validation"]
        assert validation["defaults_mean_quality"] == pytest.approx(defaults_measured["mean_quality"])
        info = performance_of(manager, name)
        assert info["available"] and info["expected_quality"] == validation["mean_objective"]
        choice = IntelligentRouter(manager).choose(two_colour_path, method=name)
        assert choice.candidates[0].method == name and validate(choice.candidates[0].params) == choice.candidates[0].params
    fitted = json.loads((tmp_path / "feature_mapping.json").read_text())
    assert len(fitted["coefficients"]) == 1 + len(FEATURE_NAMES) and fitted["fit"]["train_images"] == 6


def test_a_corrupt_artifact_makes_its_method_unavailable_not_the_router(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, two_colour_path: Path
) -> None:
    monkeypatch.setenv("SVGAI_METHODS_DIR", str(tmp_path))
    (tmp_path / "feature_mapping.json").write_text("{not json")
    (tmp_path / "regression.npz").write_bytes(b"PK\x03\x04 truncated")
    manager = load_plugins().manager
    for name in ("feature_mapping", "regression"):
        info = performance_of(manager, name)
        assert not info["available"] and "cannot be loaded" in str(info["reason"])
    routed = IntelligentRouter(manager).choose(two_colour_path)
    assert routed.candidates[0].method == "defaults"
    assert {"feature_mapping", "regression"} <= {f.method for f in routed.trail}


def test_a_shipped_method_artifact_records_how_it_was_measured() -> None:
    shipped = sorted((ROOT / "models" / "methods").glob("*.json"))
    if not shipped:
        pytest.skip("no method artifacts shipped yet (svgai methods fit writes them)")
    for path in shipped:
        metrics = json.loads(path.read_text())
        assert metrics["command"].startswith("svgai methods fit") and "validation" in metrics, path


def test_a_third_party_method_is_measured_like_the_built_ins_and_ranked_by_it(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, two_colour_path: Path,
    install_plugin: Callable[[str, str], None],
) -> None:
    from svgai import plugins as svgai_plugins
    from svgai.cli import cli

    install_plugin("svgai_test_mine", """
        from svgai.hookspecs import hookimpl
        from svgai.methods.base import CallStats, measured_performance
        from svgai.params import defaults

        stats = CallStats()

        @hookimpl
        def get_performance_info():
            return measured_performance(stats, "svgai_test_mine")

        @hookimpl
        def propose_params():
            with stats.timed():
                return [{**defaults(), "color_precision": 8, "filter_speckle": 2}]
        """)
    monkeypatch.setenv("SVGAI_METHODS_DIR", str(tmp_path / "methods"))
    monkeypatch.setattr(svgai_plugins, "_loaded", None)  # the command loads the plugins afresh, entry points included
    assert performance_of(load_plugins().manager, "svgai_test_mine")["expected_quality"] is None  # never measured

    runner = CliRunner()
    unknown = runner.invoke(cli, ["methods", "fit", "--dataset", str(tiny_dataset), "--only", "nobody"])
    assert unknown.exit_code == 2 and "no method named 'nobody'; registered: defaults" in unknown.output
    result = runner.invoke(cli, ["methods", "fit", "--dataset", str(tiny_dataset), "--only", "svgai_test_mine"])
    assert result.exit_code == 0, result.output
    validation = json.loads((tmp_path / "methods" / "svgai_test_mine.json").read_text())["validation"]
    assert validation["images"] == 2 and validation["fell_back"] == 0 and 0.5 < validation["mean_quality"] <= 1.0
    chosen = {"color_precision": 8, "filter_speckle": 2}
    images = {r["image_id"]: r["png"] for r in pq.read_table(tiny_dataset / "images.parquet").to_pylist()}
    real = [convert(images[f"{i:064x}"], {**defaults(), **chosen}).quality for i in (1, 6)]
    assert validation["mean_quality"] == pytest.approx(np.mean(real))  # its own choice, converted for real
    info = performance_of(load_plugins().manager, "svgai_test_mine")
    assert info["expected_quality"] == validation["mean_objective"] and "svgai_test_mine.json" in str(info["quality_source"])
