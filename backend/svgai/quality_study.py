"""``svgai quality study``, ``upscale``, ``margin`` and ``proxies``: the measurements behind docs/quality.md.

For icons whose vector original exists, each is rendered to a 256 px raster and traced three times
with VTracer's defaults in each curve mode: ``spline`` (curves), ``polygon`` (straight segments) and
``none`` (pixel staircases). Every candidate term is computed against the ground truth (the original
rendered at the comparison size) and against the proxy built from the raster alone. Pixel-art icons
(``pixelarticons``: a 24 px grid upscaled by nearest neighbour) are the counter-case, where a
staircase is exactly right. The report says, per term, how often curves beat staircases on ordinary
icons, how closely proxy scores track ground-truth scores, what each term costs at 1024², and sweeps
the share of the edge term in the score.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import cv2
import numpy as np
from PIL import Image
from tqdm import tqdm

from svgai import measures
from svgai.dataset.sources import DEFAULT_CACHE, read_icons, resolve
from svgai.images import sharp_upscale
from svgai.log import get_logger
from svgai.params import PRESETS, defaults, preset
from svgai.quality import Reference, render
from svgai.vectorize import vectorize

log = get_logger("quality.study")
MODES = ("spline", "polygon", "none")
PIXEL_ART = "pixelarticons"
RASTER_SIDE = 256
Term = Callable[[np.ndarray, np.ndarray, float], float]


def _gmsd(reference: np.ndarray, candidate: np.ndarray, scale: float) -> float:
    """1 − gradient magnitude similarity deviation (Xue et al. 2014), on both alpha composites."""
    scores = []
    for ref, cand in zip(measures.composites(reference), measures.composites(candidate), strict=True):
        mr = np.hypot(*measures._gradients(ref, 0.0))
        mc = np.hypot(*measures._gradients(cand, 0.0))
        similarity = (2 * mr * mc + 0.0026) / (mr * mr + mc * mc + 0.0026)
        scores.append(1.0 - float(np.std(similarity)))
    return float(np.mean(scores))


def _edge_at(sigma_per_scale: float) -> Term:
    return lambda reference, candidate, scale: measures.edge_fidelity(reference, candidate, scale, sigma_per_scale)


CHOSEN_EDGE = f"edge_sigma{measures.EDGE_SIGMA_PER_SCALE:g}"
"""The edge term the score uses (``measures.EDGE_SIGMA_PER_SCALE``): the one the weight sweep mixes with SSIM."""
TERMS: dict[str, Term] = {
    "ssim_scaled": lambda r, c, s: measures.alpha_ssim(r, c),
    "edge_sigma0": _edge_at(0.0),
    "edge_sigma0.25": _edge_at(0.25),
    "edge_sigma0.5": _edge_at(0.5),
    "gmsd": _gmsd,
}


def _raster(svg: str, pixel_art: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(raster, ground truth at 4×)``; pixel art is its 24 px grid upscaled by nearest neighbour."""
    if not pixel_art:
        raster = render(svg, RASTER_SIDE, RASTER_SIDE)
        return raster, render(svg, 4 * RASTER_SIDE, 4 * RASTER_SIDE)
    grid = Image.fromarray(render(svg, 24, 24))
    raster = np.asarray(grid.resize((96, 96), Image.Resampling.NEAREST))
    return raster, np.asarray(grid.resize((384, 384), Image.Resampling.NEAREST))


def study_icon(svg: str, pixel_art: bool) -> list[dict[str, Any]]:
    """One row per curve mode: every term against the ground truth and against the proxy."""
    raster, truth = _raster(svg, pixel_art)
    proxy = Reference.of(raster)
    rows = []
    for mode in MODES:
        traced = vectorize(raster, {"mode": mode})
        candidate = render(traced, truth.shape[1], truth.shape[0])
        row: dict[str, Any] = {"mode": mode, "pixel_art": pixel_art, "svg_bytes": len(traced)}
        for name, term in TERMS.items():
            row[f"{name}/truth"] = term(truth, candidate, proxy.scale)
            row[f"{name}/proxy"] = term(proxy.scaled, candidate, proxy.scale)
        rows.append(row)
    return rows


def term_costs(repeats: int = 5) -> dict[str, float]:
    """Median milliseconds of each term (and of one 1024² render) on a 1024² pair."""
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#358"/></svg>'
    reference = render(svg, 1024, 1024)
    candidate = cv2.GaussianBlur(reference, (0, 0), 1.0)
    calls: dict[str, Callable[[], object]] = {"render_1024": lambda: render(svg, 1024, 1024)}
    for name, term in TERMS.items():
        calls[name] = functools.partial(term, reference, candidate, 4.0)
    costs = {}
    for name, call in calls.items():
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1e3)
        costs[name] = float(np.median(times))
    return costs


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Curves-vs-staircase wins per term, proxy-vs-truth Pearson per term, and the edge-weight sweep."""
    by_icon = [rows[i : i + len(MODES)] for i in range(0, len(rows), len(MODES))]
    ordinary = [icon for icon in by_icon if not icon[0]["pixel_art"]]
    pixel = [icon for icon in by_icon if icon[0]["pixel_art"]]
    out: dict[str, Any] = {"icons": len(ordinary), "pixel_art_icons": len(pixel), "terms": {}}
    for name, ref in itertools.product(TERMS, ("truth", "proxy")):
        key = f"{name}/{ref}"
        out["terms"][key] = {
            "curves_beat_staircase": sum(icon[0][key] > icon[2][key] for icon in ordinary),
            "staircase_at_least_curves_on_pixel_art": sum(icon[2][key] >= icon[0][key] for icon in pixel),
        }
    for name in TERMS:
        truth = [row[f"{name}/truth"] for row in rows]
        proxy = [row[f"{name}/proxy"] for row in rows]
        out["terms"][f"{name}/proxy"]["pearson_with_truth"] = float(np.corrcoef(truth, proxy)[0, 1])
    sweep = {}
    for weight in (1.0, 0.95, 0.9, 0.85, 0.8, 0.7, 0.5):
        def score(row: dict[str, Any], ref: str, w: float = weight) -> float:
            return w * row[f"{CHOSEN_EDGE}/{ref}"] + (1 - w) * row[f"ssim_scaled/{ref}"]

        best = [max(icon, key=lambda r: score(r, "truth"))["mode"] for icon in ordinary]
        sweep[str(weight)] = {
            "curves_beat_staircase": sum(score(i[0], "truth") > score(i[2], "truth") for i in ordinary),
            "best_mode_is_staircase": best.count("none"),
            "proxy_pearson_with_truth": float(
                np.corrcoef([score(r, "truth") for r in rows], [score(r, "proxy") for r in rows])[0, 1]
            ),
        }
    out["edge_weight_sweep"] = sweep
    return out


@click.group("quality")
def quality_group() -> None:
    """The quality measure: the study that chose its terms (docs/quality.md)."""


@quality_group.command("study")
@click.option("--sources", multiple=True, default=("logos", "noto", "flat-color-icons"), show_default=True,
              help="Icon sets with vector originals (repeatable).")
@click.option("--per-source", default=25, show_default=True, help="Icons taken from each set.")
@click.option("--pixel-art", default=25, show_default=True, help="Pixel-art icons (pixelarticons).")
@click.option("--seed", default=0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("out/quality/study.json"), show_default=True)
def study_command(sources: tuple[str, ...], per_source: int, pixel_art: int, seed: int, out: Path) -> None:
    """Compare candidate quality terms on curves vs staircase traces of the same icons."""
    chosen = []
    for token, count in [*((s, per_source) for s in sources), (PIXEL_ART, pixel_art)]:
        name, path, _ = resolve(token, DEFAULT_CACHE)
        icons = read_icons(name, path)
        order = np.random.default_rng(seed).permutation(len(icons))[:count]
        chosen += [(icons[i], token == PIXEL_ART) for i in order]
    rows = []
    for icon, is_pixel_art in tqdm(chosen, desc="study", unit="icon"):
        for row in study_icon(icon.svg, is_pixel_art):
            rows.append({"source": icon.source, "name": icon.name, **row})
    report = {"command": " ".join(["svgai", *sys.argv[1:]]),
              "summary": summarise(rows), "costs_ms": term_costs(), "rows": rows}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    click.echo(json.dumps({"summary": report["summary"], "costs_ms": report["costs_ms"]}, indent=2))


SIZE_BANDS = ((0, 64), (64, 128), (128, 256), (256, 512), (512, 1024))
"""Raster long sides (exclusive, inclusive] in which the upscale study reports."""


def upscale_rows(images: list[dict[str, Any]], factors: tuple[int, ...], modes: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each image traced with VTracer's defaults in each mode at each ``upscale``, scored against its ground
    truth and against the proxy (which is itself a sharp upscale, so it may favour upscaled traces)."""
    rows = []
    for image in tqdm(images, desc="upscale", unit="image"):
        truth = Reference.of(image["png"], scaled=image["reference_png"])
        proxy = Reference.of(image["png"])
        for mode, factor in itertools.product(modes, factors):
            started = time.perf_counter()
            svg = vectorize(truth.raster, {"mode": mode, "upscale": factor})
            traced_ms = (time.perf_counter() - started) * 1e3
            rendering = truth.render(svg)
            rows.append({"image_id": image["image_id"], "source": image["source"], "kind": image["kind"],
                         "long_side": max(image["width"], image["height"]), "mode": mode, "upscale": factor,
                         "quality": truth.score(rendering)[0], "quality_proxy": proxy.score(rendering)[0],
                         "svg_bytes": len(svg.encode()), "trace_ms": traced_ms})
    return rows


def summarise_upscale(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per size band, mode and factor: mean quality, its gain over ``upscale=1`` against the truth and
    against the proxy, the share of images it improves by more than 0.005, bytes and trace time."""
    table = []
    for (low, high), mode in itertools.product(SIZE_BANDS, sorted({r["mode"] for r in rows})):
        band = [r for r in rows if low < r["long_side"] <= high and r["mode"] == mode]
        plain = {r["image_id"]: r for r in band if r["upscale"] == 1}
        for factor in sorted({r["upscale"] for r in band}):
            these = [r for r in band if r["upscale"] == factor and r["image_id"] in plain]
            if not these:
                continue
            pairs = [(r, plain[r["image_id"]]) for r in these]
            table.append({
                "long_side": f"{low + 1}-{high}", "mode": mode, "upscale": factor, "images": len(these),
                "quality": round(float(np.mean([r["quality"] for r in these])), 4),
                "gain": round(float(np.mean([r["quality"] - b["quality"] for r, b in pairs])), 4),
                "gain_by_proxy": round(float(np.mean([r["quality_proxy"] - b["quality_proxy"] for r, b in pairs])), 4),
                "better_share": round(float(np.mean([r["quality"] > b["quality"] + 0.005 for r, b in pairs])), 3),
                "bytes_ratio": round(float(sum(r["svg_bytes"] for r in these) / sum(b["svg_bytes"] for _, b in pairs)), 2),
                "trace_ms_p50": round(float(np.median([r["trace_ms"] for r in these])), 1),
            })
    return table


def _dataset_study(name: str, default_split: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The options every study of a built dataset's images takes: ``--dataset``, ``--split``, ``--images``, ``--out``."""
    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        for option in reversed((
            click.option("--dataset", "dataset_path", type=click.Path(exists=True, file_okay=False, path_type=Path),
                         required=True, help="A built dataset (svgai dataset build); images with a ground truth are used."),
            click.option("--split", default=default_split, show_default=True,
                         type=click.Choice(["train", "val", "test", "heldout"])),
            click.option("--images", "limit", default=None, type=click.IntRange(1), help="Use at most this many images."),
            click.option("--out", type=click.Path(path_type=Path), default=Path(f"out/quality/{name}.json"), show_default=True),
        )):
            command = option(command)
        return quality_group.command(name)(command)
    return decorate


def _images_with_truth(dataset_path: Path, split: str, limit: int | None, pixel_art: bool | None = None) -> list[dict[str, Any]]:
    """The first ``limit`` images of ``split`` that have a ground truth (only pixel art, or none, if asked)."""
    from svgai.dataset import load_dataset

    return [row for row in load_dataset(dataset_path).split(split).images.to_pylist()
            if row["reference_png"] is not None and (pixel_art is None or (row["kind"] == "pixel") == pixel_art)][:limit]


def _report(out: Path, summary: list[dict[str, Any]], rows: list[dict[str, Any]] | None = None) -> None:
    """Write a study's report (its command, summary and rows) to ``out`` and echo the summary, one line per row."""
    report: dict[str, Any] = {"command": " ".join(["svgai", *sys.argv[1:]]), "summary": summary}
    if rows is not None:
        report["rows"] = rows
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    for line in summary:
        click.echo("  ".join(f"{k}={v}" for k, v in line.items()))


@_dataset_study("upscale", default_split="test")
@click.option("--factors", default="1,2,3,4", show_default=True, help="upscale values, comma-separated.")
@click.option("--modes", default="spline,polygon", show_default=True,
              help="VTracer modes, comma-separated (upscale does not apply to none).")
@click.option("--pixel-art", is_flag=True, help="Study the pixel-art images instead of the others.")
def upscale_command(dataset_path: Path, split: str, limit: int | None, out: Path, factors: str, modes: str,
                    pixel_art: bool) -> None:
    """Measure what tracing a sharp upscale (the ``upscale`` parameter) gains against the vector originals."""
    images = _images_with_truth(dataset_path, split, limit, pixel_art)
    rows = upscale_rows(images, tuple(int(f) for f in factors.split(",")), tuple(modes.split(",")))
    _report(out, summarise_upscale(rows), rows)


MARGINS = (0.0, 0.005, 0.01, 0.02, 0.03)
"""Leads (objective value, measured against the proxy) over VTracer's defaults that the margin study tries."""


def margin_rows(labels: list[dict[str, Any]], margins: tuple[float, ...] = MARGINS) -> list[dict[str, Any]]:
    """Per margin: how often keeping a parameter set over VTracer's defaults because it leads them by more
    than the margin *against the proxy* leaves an SVG that is worse than the defaults' against the truth.

    Each image's defaults (set 0) are paired with its other sets that were also measured against the
    proxy (``quality_proxy``); leads are ``svgai.evaluation.summary.lead_over_defaults`` (the router's
    default constraints, the defaults' SVG as the size reference). ``worse_share``: pairs where the set
    is kept and its true quality is more than 0.005 below the defaults'; ``gain``: the mean true
    objective gain of the decision over always keeping the defaults (``margin_table``).
    """
    from svgai.evaluation.summary import WORSE_BY, lead_over_defaults, margin_table

    by_image: dict[str, dict[int, dict[str, Any]]] = {}
    for row in labels:
        if row["status"] == "ok" and row["quality_proxy"] is not None:
            by_image.setdefault(row["image_id"], {})[row["set_index"]] = row

    def lead(row: dict[str, Any], plain: dict[str, Any], field: str) -> float:
        return lead_over_defaults(row[field], row["svg_bytes"], plain[field], plain["svg_bytes"])

    pairs = []
    for sets in by_image.values():
        plain = sets.pop(0, None)
        if plain is None:
            continue
        for other in sets.values():
            pairs.append((lead(other, plain, "quality_proxy"), lead(other, plain, "quality"),
                          other["quality"] < plain["quality"] - WORSE_BY))
    return [{"margin": line["margin"], "pairs": len(pairs), "kept_share": round(line["kept_share"], 3),
             "worse_share": round(line["worse_share"], 4), "gain": round(line["gain"], 4)}
            for line in margin_table(pairs, margins)]


@quality_group.command("margin")
@click.option("--dataset", "dataset_path", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="A built dataset (svgai dataset build); labels measured against both truth and proxy are used.")
@click.option("--split", default="train", show_default=True, type=click.Choice(["train", "val", "test", "heldout"]))
@click.option("--out", type=click.Path(path_type=Path), default=Path("out/quality/margin.json"), show_default=True)
def margin_command(dataset_path: Path, split: str, out: Path) -> None:
    """Measure how large a measured lead over VTracer's defaults must be to be real (the router's ``DEFAULTS_MARGIN``)."""
    from svgai.dataset import load_dataset

    _report(out, margin_rows(load_dataset(dataset_path).split(split).ok_labels().to_pylist()))


PROXIES: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {
    "sharp (the proxy)": sharp_upscale,
    "sharp, snap above 0.05": functools.partial(sharp_upscale, contrast=0.05),
    "sharp, snap above 0.3": functools.partial(sharp_upscale, contrast=0.3),
    "lanczos (no snapping)": functools.partial(sharp_upscale, contrast=math.inf),
    "nearest neighbour": lambda raster, width, height: cv2.resize(raster, (width, height), interpolation=cv2.INTER_NEAREST),
}
"""Candidate references built from the raster alone at the comparison size; the first is ``svgai.quality``'s."""
PROXY_SETS: dict[str, dict[str, Any]] = {"defaults": dict(defaults()), **{name: dict(preset(name)) for name in PRESETS},
                                         "defaults, upscale 4": {"upscale": 4}, "polygon, upscale 2": {"mode": "polygon", "upscale": 2}}
"""The parameter sets each image is traced with: VTracer's presets and two traces of an enlargement."""


def proxy_rows(images: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each image traced with each of ``PROXY_SETS``, scored against its ground truth and each of ``PROXIES``."""
    rows = []
    for image in tqdm(images, desc="proxies", unit="image"):
        truth = Reference.of(image["png"], scaled=image["reference_png"])
        height, width = truth.scaled.shape[:2]
        candidates = {}
        for name, build in PROXIES.items():
            scaled = build(truth.raster, width, height)
            candidates[name] = replace(truth, scaled=scaled, kind="proxy", prepared=measures.Prepared(scaled, truth.scale))
        for set_name, params in PROXY_SETS.items():
            rendering = truth.render(vectorize(truth.raster, params, size=truth.size))
            rows.append({"image_id": image["image_id"], "source": image["source"], "kind": image["kind"], "set": set_name,
                         "truth": truth.score(rendering)[0],
                         **{name: proxy.score(rendering)[0] for name, proxy in candidates.items()}})
    return rows


def summarise_proxies(rows: list[dict[str, Any]], names: tuple[str, ...] = tuple(PROXIES)) -> list[dict[str, Any]]:
    """Per candidate proxy, how its scores track the truth's: Pearson, mean absolute error and bias over every
    conversion; within each image, the share of pairs of sets that differ by more than 0.01 against the
    truth which it orders as the truth does; and ``regret``, the true quality lost per image by keeping the
    set it scores best instead of the truly best one."""
    by_image: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_image.setdefault(row["image_id"], []).append(row)
    truth = np.array([r["truth"] for r in rows])
    table = []
    for name in names:
        scores = np.array([r[name] for r in rows])
        pairs = [(a, b) for sets in by_image.values() for a, b in itertools.combinations(sets, 2)
                 if abs(a["truth"] - b["truth"]) > 0.01]
        agree = sum((a[name] > b[name]) == (a["truth"] > b["truth"]) for a, b in pairs)
        regret = [max(r["truth"] for r in sets) - max(sets, key=lambda r: r[name])["truth"] for sets in by_image.values()]
        table.append({"proxy": name, "conversions": len(rows), "pearson": round(float(np.corrcoef(truth, scores)[0, 1]), 4),
                      "mae": round(float(np.mean(np.abs(scores - truth))), 4), "bias": round(float(np.mean(scores - truth)), 4),
                      "pairs": len(pairs), "pairs_in_order": round(agree / max(len(pairs), 1), 4),
                      "regret": round(float(np.mean(regret)), 4)})
    return table


@_dataset_study("proxies", default_split="val")
def proxies_command(dataset_path: Path, split: str, limit: int | None, out: Path) -> None:
    """Compare candidate proxy references: which tracks the vector originals' judgement best?"""
    rows = proxy_rows(_images_with_truth(dataset_path, split, limit))
    _report(out, summarise_proxies(rows), rows)


COLOUR_EDGE_RATIOS = (1.5, 2.0, 4.0)
"""Ratios of colour to luminance edge mass the ``edges`` study counts images above."""


def edge_rows(images: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each image's ground truth: its edge mass found in luminance and in the colour channels."""
    rows = []
    for image in tqdm(images, desc="edges", unit="image"):
        truth = Reference.of(image["png"], scaled=image["reference_png"])
        rows.append({"image_id": image["image_id"], "source": image["source"], "kind": image["kind"],
                     "luminance": measures.edge_mass(truth.scaled, truth.scale, by_colour=False),
                     "colour": measures.edge_mass(truth.scaled, truth.scale)})
    return rows


def summarise_edges(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """How many images have no edge in luminance, and how many have more edge in colour than in luminance."""
    luminance = np.array([r["luminance"] for r in rows])
    ratio = np.array([r["colour"] for r in rows]) / np.maximum(luminance, 1e-9)
    summary: dict[str, Any] = {"images": len(rows), "no_luminance_edges": round(float(np.mean(luminance == 0)), 4)}
    summary |= {f"colour_over_luminance_above_{r}": round(float(np.mean(ratio > r)), 4) for r in COLOUR_EDGE_RATIOS}
    return [summary]


@_dataset_study("edges", default_split="test")
def edges_command(dataset_path: Path, split: str, limit: int | None, out: Path) -> None:
    """Count the images whose drawing has edges between colours that luminance does not show."""
    rows = edge_rows(_images_with_truth(dataset_path, split, limit))
    _report(out, summarise_edges(rows), rows)

