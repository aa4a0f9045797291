"""``svgai eval routing`` on a tiny real dataset: the router against VTracer's defaults and presets, all measured."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from svgai.evaluation import eval_group
from svgai.evaluation.measure import PRESET_NAMES
from svgai.evaluation.summary import WORSE_BY, defaults_margins
from svgai.images import encode_png, load_image
from svgai.params import preset
from svgai.quality import convert
from svgai.routed import DEFAULTS_MARGIN
from svgai.router import measured_quality
from svgai.targets import ROUTING

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def two_source_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``images.parquet`` of four fixture icons from two sources; three of them in the val split."""
    folder = tmp_path_factory.mktemp("dataset")
    names = ("python", "github", "firefoxbrowser", "two_colour")
    rows = [{"image_id": f"{i:064x}", "source": "icons" if i < 2 else "logos", "name": name, "license": "CC0",
             "split": "train" if i == 2 else "val", "png": encode_png(load_image(ROOT / "tests" / "fixtures" / f"{name}.png"))}
            for i, name in enumerate(names)]
    pq.write_table(pa.Table.from_pylist(rows), folder / "images.parquet")
    return folder


def test_eval_routing_measures_the_router_against_the_defaults_and_the_best_preset(
    two_source_dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "routing.json"
    args = ["routing", "--dataset", str(two_source_dataset), "--split", "val", "--images", "3", "--out", str(out)]
    result = CliRunner().invoke(eval_group, args)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    rows, price = report["images"], report["constraints"]["ssim_per_kb"]
    assert [(r["image_id"][-1], r["source"]) for r in rows] == [("0", "icons"), ("1", "icons"), ("3", "logos")]
    pngs = {r["image_id"]: r["png"] for r in pq.read_table(two_source_dataset / "images.parquet").to_pylist()}
    for row in rows:
        rgb = load_image(pngs[row["image_id"]])
        defaults, best = row["defaults"], row["presets"]
        again = convert(rgb)
        assert (defaults["quality"], defaults["svg_bytes"]) == (pytest.approx(measured_quality(again)), again.svg_bytes)
        chosen = convert(rgb, preset(best["chosen"]))
        assert best["chosen"] in PRESET_NAMES and best["svg_bytes"] == chosen.svg_bytes and best["conversions"] == 4
        # the best preset is ranked by the objective and the defaults are among the presets
        assert best["objective"] >= defaults["objective"]
        assert best["objective"] == pytest.approx(best["quality"] - price * (best["svg_bytes"] - again.svg_bytes) / 1000)
        # every measured part of a conversion is reported, for the router and each peer
        reported = {k for k in again.summary() if k not in ("params", "measures")} | {f"measures.{k}" for k in again.measures}
        assert all(reported <= set(row[approach]) for approach in ("router", "defaults", "presets"))
        assert row["router"]["conversions"] >= 1 and row["router"]["ms"] >= row["router"]["convert_ms"] > 0
        # the route's yardstick: the defaults converted from the file alone, their reference built too
        assert row["defaults"]["alone_ms"] > row["defaults"]["vectorize_ms"] > 0
        # the first choice is judged too: identical to the result when the router kept it
        if row["router"]["choice_svg_bytes"] == row["router"]["svg_bytes"]:
            assert row["router"]["choice_quality"] == pytest.approx(row["router"]["quality"])
        assert row["router"]["upscale"] in (1, 2, 3, 4)
        # what the router measured against the proxy: its choice unless it converted the defaults alone (its
        # predicted lead was within the margin), the defaults whenever it converted them
        router = row["router"]
        alone = router["conversions"] == 1 and router["choice_quality_by_router"] is None
        assert alone or 0 <= router["choice_quality_by_router"] <= 1
        assert not alone or (router["method"] == "defaults" and router["predicted_gap_to_defaults"] <= DEFAULTS_MARGIN)
        assert 0 <= router["choice_predicted_quality"] <= 1  # the shipped predictor's, before converting
        assert (router["defaults_quality_by_router"] is None) == (router["conversions"] == 1 and not alone)
    summary = json.loads(result.stdout)
    assert {k: s["images"] for k, s in summary.items()} == {"all": 3, "source:icons": 2, "source:logos": 1}
    overall = summary["all"]
    assert overall["router"]["conversions"] == pytest.approx(np.mean([r["router"]["conversions"] for r in rows]))
    assert overall["presets"]["quality"] == pytest.approx(np.mean([r["presets"]["quality"] for r in rows]))
    worse = sum(r["router"]["quality"] < r["defaults"]["quality"] - WORSE_BY for r in rows)
    assert overall["router_vs_defaults"][f"worse_by_more_than_{WORSE_BY}"] == worse
    targets = overall["targets"]
    assert targets["conversions_per_image"]["measured"] == overall["router"]["conversions"]
    assert targets["worse_than_defaults_share"]["measured"] == worse / 3
    assert targets["route_p50_vs_defaults_conversion"]["measured"] == pytest.approx(
        np.median([r["router"]["ms"] for r in rows]) / np.median([r["defaults"]["alone_ms"] for r in rows]))
    assert set(targets) == {t.name for t in ROUTING} and all(isinstance(t["met"], bool) for t in targets.values())
    # the same figure per band of the raster's long side: every image in exactly one band
    assert all(r["long_side"] == max(load_image(pngs[r["image_id"]]).shape[:2]) for r in rows)
    bands = overall["route_time_by_long_side"]
    assert sum(b["images"] for b in bands) == len(rows)
    assert all(b["ratio"] == pytest.approx(b["route_ms_p50"] / b["defaults_from_file_ms_p50"]) for b in bands)
    # the margin table: without originals the proxy is the truth, so keeping the choice on any lead never loses
    margins = {m["margin"]: m for m in overall["defaults_margin"]}
    assert all(r["defaults"]["quality_by_proxy"] == pytest.approx(r["defaults"]["quality"]) for r in rows)
    measured = sum(r["router"]["choice_quality_by_router"] is not None for r in rows)  # the choice converted
    assert all(m["worse_share"] == 0 and m["gain"] >= 0 and m["images"] == measured for m in margins.values())
    assert margins[0.0]["kept_share"] >= margins[0.05]["kept_share"]


def test_the_margin_table_keeps_a_choice_only_when_its_lead_by_the_proxy_exceeds_the_margin() -> None:
    def row(by_proxy: float, by_truth: float) -> dict[str, dict[str, float]]:  # same size: the objective is the quality
        return {"router": {"choice_quality_by_router": 0.9 + by_proxy, "choice_quality": 0.9 + by_truth, "choice_svg_bytes": 1000},
                "defaults": {"quality_by_proxy": 0.9, "quality": 0.9, "svg_bytes": 1000}}

    rows = [row(0.015, -0.05), row(0.06, 0.04), row(-0.01, -0.02), row(0.0, 0.0)]
    table = {m["margin"]: m for m in defaults_margins(rows, (0.0, 0.01, 0.02, 0.1))}
    assert table[0.01] == {"margin": 0.01, "images": 4, "kept_share": 0.5, "worse_share": 0.25, "gain": pytest.approx(-0.0025)}
    assert (table[0.02]["kept_share"], table[0.02]["worse_share"], table[0.02]["gain"]) == (0.25, 0.0, pytest.approx(0.01))
    assert (table[0.1]["kept_share"], table[0.1]["gain"]) == (0.0, 0.0)
