"""Summaries of evaluated images: overall and per source, with the router's wins and losses against its peers.

The overall summary's ``targets`` checks ``svgai.targets.ROUTING`` (docs/targets.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from svgai.evaluation.measure import APPROACHES
from svgai.hookspecs import Constraints
from svgai.methods.objective import value
from svgai.targets import ROUTING, check

WORSE_BY = 0.005
"""A quality difference smaller than this is a tie; the router is "worse" only below it."""
PEERS = ("defaults", "poster", "presets")
MARGINS = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05)
"""The margins ``defaults_margins`` tries."""


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"all": ..., "source:NAME": ...}``: the summary of every image, then of each source's images."""
    groups = {"all": rows} | {f"source:{s}": [r for r in rows if r["source"] == s] for s in sorted({r["source"] for r in rows})}
    summaries = {name: summary(group) for name, group in groups.items()}
    overall = summaries["all"]
    figures = {
        "quality_gain_vs_presets": overall["router_vs_presets"]["quality_gain"],
        "bytes_ratio_vs_defaults": overall["router_vs_defaults"]["bytes_ratio"],
        "worse_than_defaults_share": overall["router_vs_defaults"][f"worse_by_more_than_{WORSE_BY}"] / len(rows),
        "conversions_per_image": overall["router"]["conversions"],
        "router_choose_ms_p95": float(np.percentile([r["router"]["choose_ms"] for r in rows], 95)),
        "staircase_share": _staircase_share(rows),
        "route_p50_vs_defaults_conversion": float(np.percentile([r["router"]["ms"] for r in rows], 50)
                                                  / np.percentile([r["defaults"].get("alone_ms", r["defaults"]["ms"])
                                                                   for r in rows], 50)),
    }
    # against VTracer and measuring alone (the reference built for the defaults not counted), as before
    overall["route_p50_vs_defaults_vtracer_and_measure"] = float(
        np.percentile([r["router"]["ms"] for r in rows], 50) / np.percentile([r["defaults"]["ms"] for r in rows], 50))
    overall["targets"] = check(ROUTING, figures)
    overall["defaults_margin"] = defaults_margins(rows)
    return summaries


def defaults_margins(rows: list[dict[str, Any]], margins: tuple[float, ...] = MARGINS) -> list[dict[str, Any]]:
    """Per margin: had the router measured VTracer's defaults beside its first choice on every image and kept
    the choice only when it leads them by more than the margin against the proxy (``routed.DEFAULTS_MARGIN``),
    how often would it be worse than the defaults against the truth, and what would it gain?

    Read off each row's first choice and defaults, measured against the proxy (what the router sees) and
    the reference (ground truth where the dataset has one); objective values under the evaluation's
    default size price, the defaults' SVG as the size reference. ``kept_share``: images where the choice
    is kept; ``worse_share``: images where that leaves it more than ``WORSE_BY`` below the defaults;
    ``gain``: mean true quality over the defaults. Images whose first choice is the defaults count as ties.
    """
    constraints = Constraints()
    usable = [r for r in rows if r["router"].get("choice_quality_by_router") is not None
              and r["defaults"].get("quality_by_proxy") is not None]

    def lead(row: dict[str, Any], choice: str, plain: str) -> float:
        size, reference = float(row["router"]["choice_svg_bytes"]), float(row["defaults"]["svg_bytes"])
        return float(value(np.array([row["router"][choice]]), np.array([size]), constraints, reference)[0]
                     - row["defaults"][plain])

    table = []
    for margin in margins:
        kept = [r for r in usable if lead(r, "choice_quality_by_router", "quality_by_proxy") > margin]
        gains = [r["router"]["choice_quality"] - r["defaults"]["quality"] for r in kept]
        table.append({"margin": margin, "images": len(usable), "kept_share": len(kept) / max(len(usable), 1),
                      "worse_share": sum(g < -WORSE_BY for g in gains) / max(len(usable), 1),
                      "gain": sum(gains) / max(len(usable), 1)})
    return table


def _staircase_share(rows: list[dict[str, Any]]) -> float | None:
    """Share of routed SVGs in VTracer's pixel mode (``mode=none``) among images that are not pixel art."""
    drawn = [r for r in rows if r.get("kind", "vector") != "pixel"]
    return sum(r["router"]["mode"] == "none" for r in drawn) / len(drawn) if drawn else None


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per approach the mean of every measured figure and time percentiles; the router against each peer."""
    found: dict[str, Any] = {"images": len(rows)}
    for approach in (a for a in APPROACHES if a in rows[0]):
        measured = [r[approach] for r in rows]
        numbers = [k for k, v in measured[0].items() if isinstance(v, int | float) and not isinstance(v, bool)]
        means = {k: float(np.mean([m[k] for m in measured if m.get(k) is not None] or [np.nan])) for k in numbers}
        ms = [m["ms"] for m in measured]
        found[approach] = means | {"ms_p50": float(np.percentile(ms, 50)), "ms_p95": float(np.percentile(ms, 95))}
    for peer in PEERS:
        gains = np.array([r["router"]["quality"] - r[peer]["quality"] for r in rows])
        found[f"router_vs_{peer}"] = {
            "quality_gain": float(gains.mean()),
            "objective_gain": found["router"]["objective"] - found[peer]["objective"],
            "bytes_ratio": found["router"]["svg_bytes"] / found[peer]["svg_bytes"],
            f"worse_by_more_than_{WORSE_BY}": int((gains < -WORSE_BY).sum()),
            f"better_by_more_than_{WORSE_BY}": int((gains > WORSE_BY).sum()),
        }
    return found
