"""Summaries of evaluated images: overall and per source, with the router's wins and losses against its peers.

Targets (``targets`` in the overall summary): the router's mean quality at least ``TARGET_GAIN`` above
the best of VTracer's presets, at no more than ``TARGET_BYTES_RATIO`` times the defaults' mean bytes;
worse than the defaults by more than ``WORSE_BY`` on at most ``TARGET_WORSE_SHARE`` of the images;
at most ``TARGET_CONVERSIONS`` real conversions per image on average.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from svgai.evaluation.measure import APPROACHES

WORSE_BY = 0.005
TARGET_GAIN = 0.01
TARGET_BYTES_RATIO = 1.0
TARGET_WORSE_SHARE = 0.02
TARGET_CONVERSIONS = 1.5
PEERS = ("defaults", "presets")


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"all": ..., "source:NAME": ...}``: the summary of every image, then of each source's images."""
    groups = {"all": rows} | {f"source:{s}": [r for r in rows if r["source"] == s] for s in sorted({r["source"] for r in rows})}
    summaries = {name: summary(group) for name, group in groups.items()}
    summaries["all"]["targets"] = targets(summaries["all"])
    return summaries


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


def targets(overall: dict[str, Any]) -> dict[str, bool]:
    """Which of the module's targets the overall summary meets."""
    worse = overall["router_vs_defaults"][f"worse_by_more_than_{WORSE_BY}"]
    return {
        f"quality gain over the best preset >= {TARGET_GAIN}": overall["router_vs_presets"]["quality_gain"] >= TARGET_GAIN,
        f"bytes <= {TARGET_BYTES_RATIO}x the defaults'": overall["router_vs_defaults"]["bytes_ratio"] <= TARGET_BYTES_RATIO,
        f"worse than the defaults by > {WORSE_BY} on <= {TARGET_WORSE_SHARE:.0%} of images":
            worse <= TARGET_WORSE_SHARE * overall["images"],
        f"conversions per image <= {TARGET_CONVERSIONS}": overall["router"]["conversions"] <= TARGET_CONVERSIONS,
    }
