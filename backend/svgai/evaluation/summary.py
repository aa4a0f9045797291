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
        "route_p50_vs_defaults_conversion": route_time(rows)["ratio"],
    }
    # against VTracer and measuring alone (the reference built for the defaults not counted), as before
    overall["route_p50_vs_defaults_vtracer_and_measure"] = float(
        np.percentile([r["router"]["ms"] for r in rows], 50) / np.percentile([r["defaults"]["ms"] for r in rows], 50))
    overall["targets"] = check(ROUTING, figures)
    overall["route_time_by_long_side"] = route_time_by_long_side(rows)
    overall["defaults_margin"] = defaults_margins(rows)
    return summaries


LONG_SIDES = ((0, 100), (100, 200), (200, 300), (300, 600), (600, None))
"""Bands of the raster's long side (px, from inclusive, to exclusive) that ``route_time_by_long_side`` reports."""


def route_time(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The route's p50 time, one defaults conversion's from the file (VTracer and measuring alone in rows
    from before that was timed), and their ratio: the route target's figure."""
    route = float(np.percentile([r["router"]["ms"] for r in rows], 50))
    alone = float(np.percentile([r["defaults"].get("alone_ms", r["defaults"]["ms"]) for r in rows], 50))
    return {"route_ms_p50": route, "defaults_from_file_ms_p50": alone, "ratio": route / alone}


def route_time_by_long_side(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``route_time`` per band of the raster's long side (for small icons and for 256 px logos apart)."""
    table = []
    for low, high in LONG_SIDES:
        band = [r for r in rows if "long_side" in r and r["long_side"] >= low and (high is None or r["long_side"] < high)]
        if band:
            table.append({"long_side_from": low, "long_side_to": high, "images": len(band)} | route_time(band))
    return table


def lead_over_defaults(quality: float, svg_bytes: float, plain_quality: float, plain_bytes: float,
                       work: float = 1.0) -> float:
    """How far a conversion's objective value (``svgai.methods.objective.value`` under the default
    constraints, the defaults' SVG as the size reference, ``work`` its tracing work) is above the
    defaults' ``plain_quality``."""
    got = value(np.array([quality]), np.array([float(svg_bytes)]), Constraints(), float(plain_bytes), np.array([work]))[0]
    return float(got - plain_quality)


def margin_table(decisions: list[tuple[float, float, bool]], margins: tuple[float, ...]) -> list[dict[str, float]]:
    """Per margin, keeping a candidate over VTracer's defaults only when its lead by the proxy exceeds the margin.

    ``decisions``: per candidate, its lead over the defaults by the proxy, its true gain over them and
    whether the truth finds it worse by more than ``WORSE_BY``. ``kept_share``: candidates kept;
    ``worse_share``: candidates kept that the truth finds worse; ``gain``: the true gain of the decision
    over always keeping the defaults — each per candidate, over all of them.
    """
    count = max(len(decisions), 1)
    table = []
    for margin in margins:
        kept = [(gain, worse) for lead, gain, worse in decisions if lead > margin]
        table.append({"margin": margin, "kept_share": len(kept) / count,
                      "worse_share": sum(worse for _, worse in kept) / count, "gain": sum(gain for gain, _ in kept) / count})
    return table


def defaults_margins(rows: list[dict[str, Any]], margins: tuple[float, ...] = MARGINS) -> list[dict[str, Any]]:
    """Per margin: had the router measured VTracer's defaults beside its first choice on every image and kept
    the choice only when it leads them by more than the margin against the proxy (``routed.DEFAULTS_MARGIN``),
    how often would it be worse than the defaults against the truth, and what would it gain?

    Read off each row's first choice and defaults, measured against the proxy (what the router sees) and
    the reference (ground truth where the dataset has one); the lead is ``lead_over_defaults``, the gain
    the true quality over the defaults (``margin_table``). Images whose first choice is the defaults
    count as ties.
    """
    decisions = []
    for row in rows:
        router, plain = row["router"], row["defaults"]
        if router.get("choice_quality_by_router") is None or plain.get("quality_by_proxy") is None:
            continue
        gain = router["choice_quality"] - plain["quality"]
        decisions.append((lead_over_defaults(router["choice_quality_by_router"], router["choice_svg_bytes"],
                                             plain["quality_by_proxy"], plain["svg_bytes"], router.get("choice_trace_work", 1.0)),
                          gain, gain < -WORSE_BY))
    return [{"margin": line["margin"], "images": len(decisions)} | line for line in margin_table(decisions, margins)]


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
